"""Turn outbox rows into their subjects and wire bytes; once per row, by a worker.

Each kind of email is rendered by the domain that writes it: a domain registers its
renderer for its kinds with ``@renders`` (``rotations/apps.py`` imports the modules that
do), so the outbox needs to know no domain. Booking invites, reminders and insight
prompts are the outbox's own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC

from django.conf import settings
from django.urls import reverse

from rotations.common.emails import mime_message, render_email_content
from rotations.common.timezones import wall_clock
from rotations.invites.ical import CalendarEvent, Method, Party, build_calendar
from rotations.invites.identity import event_uid, organizer
from rotations.invites.imip import imip_message, message_id
from rotations.models import (
    Booking,
    CalendarChange,
    CalendarChangeKind,
    EmailKind,
    OutgoingEmail,
    Shift,
)

# Rows of one kind, and every row of the same calendar changes (an invite names all its
# attendees), to each row's subject and wire bytes by primary key. A row left out stays
# unrendered and unsent, as a row whose subject (a pairing, a program) is gone.
Renderer = Callable[[list[OutgoingEmail], list[OutgoingEmail]], dict[int, tuple[str, bytes]]]
_RENDERERS: dict[str, Renderer] = {}


def renders(*kinds: str) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the renderer of these kinds of email."""

    def register(renderer: Renderer) -> Renderer:
        for kind in kinds:
            if kind in _RENDERERS:
                raise ValueError(f"{kind} emails already have a renderer")
            _RENDERERS[kind] = renderer
        return renderer

    return register


def renderer_for(kind: str) -> Renderer:
    try:
        return _RENDERERS[kind]
    except KeyError:
        raise LookupError(f"nothing renders {kind} emails") from None


def render_all(
    rows: list[OutgoingEmail], *, siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    """Subject and wire bytes of each row, by primary key."""
    by_kind: dict[str, list[OutgoingEmail]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    rendered: dict[int, tuple[str, bytes]] = {}
    for kind, of_kind in by_kind.items():
        rendered.update(renderer_for(kind)(of_kind, siblings))
    return rendered


def outbox_message(email: OutgoingEmail, *, template: str, context: dict) -> tuple[str, bytes]:
    """The subject and wire bytes of a plain (not calendar) email from a template triple."""
    recipient = email.recipient
    content = render_email_content(template, context)
    message = mime_message(
        subject=content.subject,
        text=content.text,
        html=content.html,
        to_email=email.to_email,
        to_name=recipient.full_name if recipient else "",
        date=email.created_at,
        message_id=message_id(
            email.key, domain=organizer().email.rpartition("@")[2] or "frontline"
        ),
    )
    return content.subject, message


@renders(EmailKind.INVITE)
def _render_booking_invites(
    rows: list[OutgoingEmail], siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    return render_invites(rows, siblings=siblings)


@renders(EmailKind.REMINDER, EmailKind.INSIGHT_PROMPT)
def _render_booking_notes(
    rows: list[OutgoingEmail], siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    return {row.pk: _render_booking_note(row, template=f"emails/{row.kind}") for row in rows}


def booking_of(row: OutgoingEmail) -> Booking:
    """The booking a booking's email (invite, reminder, prompt) is about: it has one."""
    if row.booking is None:
        raise ValueError(f"outbox row {row.pk} ({row.kind}) has no booking")
    return row.booking


def change_of(row: OutgoingEmail) -> CalendarChange:
    """The calendar change an invite row tells of: every invite has one."""
    if row.calendar_change is None:
        raise ValueError(f"outbox row {row.pk} ({row.kind}) has no calendar change")
    return row.calendar_change


def shift_of(change: CalendarChange) -> Shift:
    if change.shift is None:
        raise ValueError(f"calendar change {change.pk} has no shift")
    return change.shift


def _render_booking_note(email: OutgoingEmail, *, template: str) -> tuple[str, bytes]:
    booking = booking_of(email)
    shift = booking.shift
    queue = shift.queue
    recipient = email.recipient
    zone = recipient.zone if recipient else queue.zone
    context = {
        "recipient": recipient,
        "booking": booking,
        "shift": shift,
        "queue": queue,
        "is_buddy": recipient is not None and recipient.pk != booking.person_id,
        "starts_local": wall_clock(booking.starts_at, zone),
        "ends_local": wall_clock(booking.ends_at, zone),
        "starts_queue": wall_clock(booking.starts_at, queue.zone),
        "recipient_zone": str(zone),
        "link": settings.SITE_URL + reverse("shifts:detail", args=[shift.pk]),
        "insight_link": settings.SITE_URL + insight_form_path(booking),
        "schedule_link": settings.SITE_URL + reverse("schedule"),
    }
    return outbox_message(email, template=template, context=context)


def insight_form_path(booking) -> str:
    return reverse("shifts:log-insight", args=[booking.pk])


# --- booking invites --------------------------------------------------------------------


def render_invites(
    rows: list[OutgoingEmail], *, siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    """Subject and message of each invite row: one calendar per change and method, shared
    by all its recipients. ``siblings`` holds every row of those changes, in the order
    they were written (with ``recipient`` and ``calendar_change__shift`` selected)."""
    attendees: dict[tuple[int | None, str], list[Party]] = {}
    for row in siblings:
        if row.kind == EmailKind.INVITE:
            name = row.recipient.full_name if row.recipient else ""
            attendees.setdefault((row.calendar_change_id, row.method), []).append(
                Party(email=row.to_email, name=name)
            )
    calendars: dict[tuple[int | None, str], bytes] = {}
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
    change, booking = change_of(row), booking_of(row)
    shift = shift_of(described)
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
    change = change_of(row)
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
    change, booking = change_of(row), booking_of(row)
    shift = shift_of(described)
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
