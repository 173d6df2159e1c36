"""What was sent to whom: the outbox as HR and support leads see it."""

from __future__ import annotations

from django.db.models import QuerySet

from rotations.models import Booking, EmailStatus, OutgoingEmail, Person


def deliveries_of_booking(booking: Booking) -> QuerySet[OutgoingEmail]:
    return (
        OutgoingEmail.objects.filter(booking=booking)
        .select_related("recipient", "calendar_change")
        .defer("message")
        .order_by("created_at", "pk")
    )


def deliveries_visible_to(person: Person, *, status: str = "") -> QuerySet[OutgoingEmail]:
    """HR sees every delivery; a support lead those about bookings in their queues."""
    emails = OutgoingEmail.objects.select_related(
        "recipient", "calendar_change", "booking__person", "booking__shift__queue"
    ).defer("message")
    if not (person.is_superuser or person.has_perm("rotations.view_deliveries")):
        emails = emails.filter(booking__shift__queue__leads=person)
    if status in EmailStatus.values:
        emails = emails.filter(status=status)
    return emails.order_by("-created_at", "-pk")
