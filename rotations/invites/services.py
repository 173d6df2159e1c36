"""Invites: the calendar messages for a booking, written to the outbox with each change.

One calendar event per booking (UID from the booking), whose SEQUENCE is the booking's
and grows with every change. The executive and the shift's buddy are its attendees; the
app itself is the organizer. A reschedule that changes the buddy sends the old buddy a
CANCEL, so nobody keeps an event they are no longer part of.
"""

from __future__ import annotations

from django.utils import timezone

from rotations.common.sql import insert
from rotations.invites import outbox
from rotations.invites.ical import Method
from rotations.invites.identity import invite_key
from rotations.models import (
    Booking,
    CalendarChange,
    CalendarChangeKind,
    EmailKind,
    OutgoingEmail,
    Person,
    Shift,
)


def attendees_of(booking: Booking, shift: Shift) -> list[Person]:
    people = [booking.person]
    if shift.buddy_id and shift.buddy_id != booking.person_id and shift.buddy is not None:
        people.append(shift.buddy)
    return people


def record_invites(change: CalendarChange) -> list[OutgoingEmail]:
    """The outbox rows for one calendar change, enqueued to send once it commits."""
    booking, now = change.booking, timezone.now()
    current = attendees_of(booking, booking.shift if change.shift is None else change.shift)
    if change.kind == CalendarChangeKind.BOOKED:
        requests, cancels = current, []
    else:
        invited = _invited_before(booking, change.sequence)
        if change.kind == CalendarChangeKind.CANCELLED:
            requests, cancels = [], _union(current, invited)
        else:
            emails = {person.email.lower() for person in current}
            requests = current
            cancels = [person for person in invited if person.email.lower() not in emails]
    rows = [
        OutgoingEmail(
            key=invite_key(booking, change.sequence, person.email),
            kind=EmailKind.INVITE,
            booking=booking,
            calendar_change=change,
            recipient=person,
            to_email=person.email,
            method=method,
            next_attempt_at=now,
        )
        for method, people in ((Method.REQUEST, requests), (Method.CANCEL, cancels))
        for person in people
    ]
    insert(rows)
    outbox.enqueue(rows)
    return rows


def _invited_before(booking: Booking, sequence: int) -> list[Person]:
    """Who held the event before this change: the attendees of its latest REQUEST."""
    earlier = list(
        OutgoingEmail.objects.filter(
            booking=booking,
            kind=EmailKind.INVITE,
            method=Method.REQUEST,
            calendar_change__sequence__lt=sequence,
        )
        .select_related("recipient")
        .order_by("-calendar_change__sequence")
    )
    if not earlier:
        return []
    latest = earlier[0].calendar_change_id
    return [row.recipient for row in earlier if row.calendar_change_id == latest and row.recipient]


def _union(*groups: list[Person]) -> list[Person]:
    seen: dict[str, Person] = {}
    for group in groups:
        for person in group:
            seen.setdefault(person.email.lower(), person)
    return list(seen.values())
