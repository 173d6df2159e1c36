"""Invites: the calendar messages for a booking, written to the outbox with each change.

One calendar event per booking (UID from the booking), whose SEQUENCE is the booking's
and grows with every change. The executive and the shift's buddy are its attendees; the
app itself is the organizer. A reschedule that changes the buddy sends the old buddy a
CANCEL, so nobody keeps an event they are no longer part of.
"""

from __future__ import annotations

from datetime import UTC
from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from rotations.common.emails import render_email_content
from rotations.common.sql import insert
from rotations.common.timezones import wall_clock
from rotations.invites import outbox
from rotations.invites.ical import CalendarEvent, Method, Party, build_calendar
from rotations.invites.imip import imip_message, message_id
from rotations.models import (
    Booking,
    CalendarChange,
    CalendarChangeKind,
    EmailKind,
    OutgoingEmail,
    Person,
    Shift,
)


def event_uid(booking: Booking) -> str:
    """Stable for the life of the booking: every change updates the same calendar entry."""
    return f"booking-{booking.uid}@frontline"


def invite_key(booking: Booking, sequence: int, email: str) -> str:
    return f"invite:{booking.uid}:{sequence}:{email.lower()}"


def attendees_of(booking: Booking, shift: Shift) -> list[Person]:
    people = [booking.person]
    if shift.buddy_id and shift.buddy_id != booking.person_id:
        people.append(shift.buddy)
    return people


def record_invites(change: CalendarChange) -> list[OutgoingEmail]:
    """The outbox rows for one calendar change, enqueued to send once it commits."""
    booking, now = change.booking, timezone.now()
    current = attendees_of(booking, change.shift)
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


# --- rendering (by the worker, once per row) ---------------------------------------------


def organizer() -> Party:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return Party(email=address, name=name or "Frontline")


def render_invites(
    rows: list[OutgoingEmail], *, siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    """Subject and message of each invite row: one calendar per change and method, shared
    by all its recipients. ``siblings`` holds every row of those changes, in the order
    they were written (with ``recipient`` and ``calendar_change__shift`` selected)."""
    attendees: dict[tuple[int, str], list[Party]] = {}
    for row in siblings:
        if row.kind == EmailKind.INVITE:
            name = row.recipient.full_name if row.recipient else ""
            attendees.setdefault((row.calendar_change_id, row.method), []).append(
                Party(email=row.to_email, name=name)
            )
    calendars: dict[tuple[int, str], bytes] = {}
    rendered = {}
    for row in rows:
        key = (row.calendar_change_id, row.method)
        described = _described(row)
        if key not in calendars:
            calendars[key] = build_calendar(
                Method(row.method), [_event(row, attendees[key], described)]
            )
        rendered[row.pk] = _invite_message(row, calendars[key], described)
    return rendered


def _link(shift: Shift) -> str:
    return settings.SITE_URL + reverse("shifts:detail", args=[shift.pk])


def _event(row: OutgoingEmail, attendees: list[Party], described: CalendarChange) -> CalendarEvent:
    change, booking = row.calendar_change, row.booking
    shift = described.shift
    queue = shift.queue
    cancelled = row.method == Method.CANCEL.value and change.kind == CalendarChangeKind.CANCELLED
    description = "\n\n".join(
        part
        for part in (
            f"Cancelled: {booking.cancel_reason}" if cancelled and booking.cancel_reason else "",
            queue.brief,
            f"Buddy: {shift.buddy.full_name}" if shift.buddy else "",
            f"Booked for {booking.person.full_name} through Frontline: {_link(shift)}",
        )
        if part
    )
    return CalendarEvent(
        uid=event_uid(booking),
        sequence=change.sequence,
        stamp=change.created_at,
        start=described.starts_at,
        end=described.ends_at,
        summary=f"Front-line shift: {queue.name} ({queue.get_channel_display().lower()})",
        organizer=organizer(),
        attendees=attendees,
        description=description,
        location=shift.location or shift.meeting_url,
        url=shift.meeting_url or _link(shift),
    )


def _described(row: OutgoingEmail) -> CalendarChange:
    """The change whose shift and times an invite row talks about. A buddy dropped by a
    move is told about the shift they were on, not the one the booking moved to."""
    change = row.calendar_change
    if row.method == Method.CANCEL.value and change.kind == CalendarChangeKind.RESCHEDULED:
        before = (
            CalendarChange.objects.filter(
                booking_id=change.booking_id, sequence__lt=change.sequence
            )
            .select_related("shift__queue", "shift__buddy")
            .order_by("-sequence")
            .first()
        )
        return before or change
    return change


def _invite_message(
    row: OutgoingEmail, calendar: bytes, described: CalendarChange
) -> tuple[str, bytes]:
    change, booking = row.calendar_change, row.booking
    shift = described.shift
    queue = shift.queue
    method = Method(row.method)
    recipient = row.recipient
    zone = recipient.zone if recipient else UTC
    context = {
        "method": method.value,
        "is_update": method is Method.REQUEST and change.sequence > 0,
        "is_buddy": recipient is not None and recipient.pk != booking.person_id,
        "recipient": recipient,
        "booking": booking,
        "change": change,
        "shift": shift,
        "queue": queue,
        "starts_local": wall_clock(described.starts_at, zone),
        "ends_local": wall_clock(described.ends_at, zone),
        "starts_queue": wall_clock(described.starts_at, queue.zone),
        "ends_queue": wall_clock(described.ends_at, queue.zone),
        "recipient_zone": str(zone),
        "link": _link(shift),
        "schedule_link": settings.SITE_URL + reverse("schedule"),
    }
    content = render_email_content("emails/invite", context)
    message = imip_message(
        method=method,
        calendar=calendar,
        subject=content.subject,
        text=content.text,
        html=content.html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to_email=row.to_email,
        to_name=recipient.full_name if recipient else "",
        date=change.created_at,
        message_id=message_id(
            event_uid(booking),
            str(change.sequence),
            row.method,
            row.to_email.lower(),
            domain=organizer().email.rpartition("@")[2] or "frontline",
        ),
    )
    return content.subject, message
