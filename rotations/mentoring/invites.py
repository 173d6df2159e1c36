"""A pairing's calendar: one recurring series per pairing, through the invites outbox.

The series (UID from the pairing) repeats in the executive's time zone with an RRULE
ending with the cycle. A moved session travels as an overridden occurrence
(RECURRENCE-ID) inside a full REQUEST of the series, whose SEQUENCE is the pairing's;
ending the pairing CANCELs the series. Both the executive and the mentor are attendees.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from rotations.common.emails import render_email_content
from rotations.common.timezones import wall_clock
from rotations.directory.selectors import holders_of
from rotations.invites import outbox
from rotations.invites.ical import CalendarEvent, Method, Party, build_calendar
from rotations.invites.identity import organizer
from rotations.invites.imip import imip_message, message_id
from rotations.invites.rendering import outbox_message, renders
from rotations.models import EmailKind, OutgoingEmail, Pairing, Person, SessionStatus


def series_uid(pairing: Pairing) -> str:
    return f"pairing-{pairing.uid}@frontline"


def record(pairing: Pairing, *, method: str) -> list[OutgoingEmail]:
    """Outbox rows telling both calendars of the pairing's current state (its sequence)."""
    now = timezone.now()
    rows = [
        OutgoingEmail(
            key=f"mentoring:{pairing.uid}:{pairing.sequence}:{person.email.lower()}",
            kind=EmailKind.MENTORING_INVITE,
            pairing=pairing,
            sequence=pairing.sequence,
            recipient=person,
            to_email=person.email,
            method=method,
            next_attempt_at=now,
        )
        for person in (pairing.mentee, pairing.mentor)
    ]
    OutgoingEmail.objects.bulk_create(rows)
    outbox.enqueue(rows)
    return rows


def hr_contacts(pairing: Pairing) -> list[Person]:
    """Who at HR hears of an ended pairing: the cycle's owner, or else every HR admin."""
    owner = pairing.cycle.created_by
    if owner is not None and owner.is_active:
        return [owner]
    return list(holders_of("manage_mentoring"))


def tell_hr_ended(pairing: Pairing) -> list[OutgoingEmail]:
    now = timezone.now()
    rows = [
        OutgoingEmail(
            key=f"pairing-ended:{pairing.uid}:{person.email.lower()}",
            kind=EmailKind.PAIRING_ENDED,
            pairing=pairing,
            recipient=person,
            to_email=person.email,
            next_attempt_at=now,
        )
        for person in hr_contacts(pairing)
    ]
    OutgoingEmail.objects.bulk_create(rows)
    outbox.enqueue(rows)
    return rows


# --- rendering (by the worker, once per row) -------------------------------------------------


def _link(pairing: Pairing) -> str:
    return settings.SITE_URL + reverse("mentoring:pairing", args=[pairing.pk])


def series_events(pairing: Pairing, *, sequence: int, stamp) -> list[CalendarEvent]:
    """The master event and one override per moved session, as of now."""
    if pairing.first_session_at is None:
        raise ValueError(f"pairing {pairing.pk} has no series yet (it is not published)")
    first = pairing.first_session_at
    cycle = pairing.cycle
    length = timedelta(minutes=cycle.session_minutes)
    attendees = [Party(email=p.email, name=p.full_name) for p in (pairing.mentee, pairing.mentor)]
    summary = f"Reverse mentoring: {pairing.mentor.full_name} and {pairing.mentee.full_name}"
    description = (
        f"{pairing.mentor.full_name} mentors {pairing.mentee.full_name} in “{cycle.name}”, "
        f"{cycle.session_minutes} minutes every {_weeks(cycle.cadence_weeks)}.\n\n"
        f"Move one session, mark it held or end the pairing in Frontline: {_link(pairing)}"
    )
    common = dict(
        uid=series_uid(pairing),
        sequence=sequence,
        stamp=stamp,
        summary=summary,
        organizer=organizer(),
        attendees=attendees,
        description=description,
        url=_link(pairing),
        time_zone=pairing.time_zone,
    )
    events = [
        CalendarEvent(
            start=first,
            end=first + length,
            rrule=pairing.rrule,
            **common,
        )
    ]
    for session in pairing.sessions.all():
        if session.status != SessionStatus.CANCELLED and session.starts_at != session.occurrence_at:
            events.append(
                CalendarEvent(
                    start=session.starts_at,
                    end=session.ends_at,
                    recurrence_id=session.occurrence_at,
                    **common,
                )
            )
    return events


def _weeks(n: int) -> str:
    return "week" if n == 1 else ("other week" if n == 2 else f"{n} weeks")


@renders(EmailKind.MENTORING_INVITE, EmailKind.PAIRING_ENDED)
def render(
    rows: list[OutgoingEmail], siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    pairings = {
        p.pk: p
        for p in Pairing.objects.filter(pk__in={row.pairing_id for row in rows})
        .select_related("cycle", "mentee", "mentor")
        .prefetch_related("sessions")
    }
    rendered = {}
    for row in rows:
        pairing = pairings.get(row.pairing_id) if row.pairing_id else None
        if pairing is None:
            continue
        if row.kind == EmailKind.PAIRING_ENDED:
            rendered[row.pk] = _ended_message(row, pairing)
        else:
            rendered[row.pk] = _invite_message(row, pairing)
    return rendered


def _context(row: OutgoingEmail, pairing: Pairing) -> dict:
    recipient = row.recipient
    zone = recipient.zone if recipient else pairing.zone
    upcoming = [
        {"session": s, "starts_local": wall_clock(s.starts_at, zone)}
        for s in pairing.sessions.all()
        if s.status == SessionStatus.SCHEDULED and s.starts_at > row.created_at
    ][:3]
    return {
        "recipient": recipient,
        "pairing": pairing,
        "cycle": pairing.cycle,
        "is_mentor": recipient is not None and recipient.pk == pairing.mentor_id,
        "first_local": wall_clock(pairing.first_session_at, zone)
        if pairing.first_session_at
        else None,
        "series_local": wall_clock(pairing.first_session_at, pairing.zone)
        if pairing.first_session_at
        else None,
        "recipient_zone": str(zone),
        "cadence": _weeks(pairing.cycle.cadence_weeks),
        "upcoming": upcoming,
        "link": _link(pairing),
        "reasons": pairing.reasons,
    }


def _invite_message(row: OutgoingEmail, pairing: Pairing) -> tuple[str, bytes]:
    method = Method(row.method)
    events = series_events(pairing, sequence=row.sequence or 0, stamp=row.created_at)
    if method is Method.CANCEL:
        events = events[:1]  # the whole series goes
    calendar = build_calendar(method, events)
    context = {
        **_context(row, pairing),
        "method": method.value,
        "is_update": method is Method.REQUEST and (row.sequence or 0) > 0,
        # Ended: a CANCEL, or the series sent again to stop now (the held sessions stay).
        "ended": method is Method.CANCEL or pairing.status == "ended",
    }
    content = render_email_content("emails/mentoring_invite", context)
    message = imip_message(
        method=method,
        calendar=calendar,
        subject=content.subject,
        text=content.text,
        html=content.html,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to_email=row.to_email,
        to_name=row.recipient.full_name if row.recipient else "",
        date=row.created_at,
        message_id=message_id(
            series_uid(pairing),
            str(row.sequence or 0),
            row.method,
            row.to_email.lower(),
            domain=organizer().email.rpartition("@")[2] or "frontline",
        ),
    )
    return content.subject, message


def _ended_message(row: OutgoingEmail, pairing: Pairing) -> tuple[str, bytes]:
    context = {
        **_context(row, pairing),
        "cycle_link": settings.SITE_URL + reverse("mentoring:cycle", args=[pairing.cycle_id]),
    }
    return outbox_message(row, template="emails/pairing_ended", context=context)
