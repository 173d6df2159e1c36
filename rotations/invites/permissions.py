"""Who may see how a booking's emails went, and retry one: HR for every booking, a
support lead for bookings in the queues they lead (``get_<thing>_for_<action>``, as in
``rotations.shifts.permissions``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from rotations.models import Booking, OutgoingEmail, Person
from rotations.shifts.permissions import get_booking_for_view, is_lead_of


def can_list_deliveries(person: Person) -> bool:
    return person.has_perm("rotations.view_deliveries") or person.has_perm(
        "rotations.manage_queues"
    )


def can_see_deliveries(person: Person, booking: Booking) -> bool:
    """HR for every booking; a support lead for bookings in the queues they lead."""
    return person.has_perm("rotations.view_deliveries") or (
        person.has_perm("rotations.manage_queues") and is_lead_of(person, booking.shift.queue)
    )


def get_booking_for_deliveries(person: Person, booking_id: int) -> Booking:
    booking = get_booking_for_view(person, booking_id)
    if not can_see_deliveries(person, booking):
        raise PermissionDenied
    return booking


def get_email_for_retry(person: Person, email_id: int) -> OutgoingEmail:
    if not can_list_deliveries(person):
        raise PermissionDenied
    try:
        email = (
            OutgoingEmail.objects.select_related("booking__shift__queue")
            .defer("message")
            .get(pk=email_id)
        )
    except OutgoingEmail.DoesNotExist:
        raise Http404 from None
    if email.booking is None or not can_see_deliveries(person, email.booking):
        raise Http404
    return email
