"""Turn outbox rows into their subjects and wire bytes; once per row, by a worker."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from rotations.common.emails import mime_message
from rotations.common.timezones import wall_clock
from rotations.invites.imip import message_id
from rotations.invites.services import organizer, render_invites
from rotations.mentoring import invites as mentoring_invites
from rotations.models import EmailKind, InsightNotice, OutgoingEmail

MENTORING_KINDS = (EmailKind.MENTORING_INVITE, EmailKind.PAIRING_ENDED)
PROGRAM_KINDS = (EmailKind.PROGRAM_INVITATION, EmailKind.PROGRAM_NUDGE, EmailKind.PROGRAM_DIGEST)


def render_all(
    rows: list[OutgoingEmail], *, siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    """Subject and wire bytes of each row, by primary key; ``siblings`` holds every row
    of the same calendar changes (an invite names all its attendees)."""
    invites = [row for row in rows if row.kind == EmailKind.INVITE]
    rendered = render_invites(invites, siblings=siblings) if invites else {}
    updates = [row for row in rows if row.kind == EmailKind.INSIGHT_UPDATE]
    if updates:
        rendered.update(_render_insight_updates(updates))
    mentoring = [row for row in rows if row.kind in MENTORING_KINDS]
    if mentoring:
        rendered.update(mentoring_invites.render(mentoring))
    program_rows = [row for row in rows if row.kind in PROGRAM_KINDS]
    if program_rows:
        rendered.update(_render_program_emails(program_rows))
    for row in rows:
        if row.kind not in (
            EmailKind.INVITE,
            EmailKind.INSIGHT_UPDATE,
            *MENTORING_KINDS,
            *PROGRAM_KINDS,
        ):
            rendered[row.pk] = _render_booking_note(row, template=f"emails/{row.kind}")
    return rendered


def _render_insight_updates(rows: list[OutgoingEmail]) -> dict[int, tuple[str, bytes]]:
    """One email per row listing its notices: a single change, or the day's digest."""
    notices: dict[int, list[InsightNotice]] = {row.pk: [] for row in rows}
    for notice in (
        InsightNotice.objects.filter(email__in=[row.pk for row in rows])
        .select_related("event__insight", "event__actor")
        .order_by("pk")
    ):
        notices[notice.email_id].append(notice)
    rendered = {}
    for row in rows:
        updates = [
            {
                "event": n.event,
                "insight": n.event.insight,
                "link": settings.SITE_URL + reverse("insights:detail", args=[n.event.insight_id]),
            }
            for n in notices[row.pk]
        ]
        if not updates:  # its notices were deleted with their insight: nothing left to say
            continue
        context = {
            "recipient": row.recipient,
            "updates": updates,
            "inbox_link": settings.SITE_URL + reverse("insights:list"),
        }
        rendered[row.pk] = _message(row, template="emails/insight_update", context=context)
    return rendered


def _render_program_emails(rows: list[OutgoingEmail]) -> dict[int, tuple[str, bytes]]:
    """A reminder to someone behind (where they stand, a link to suitable shifts), or HR's
    digest of the whole program at that point."""
    from rotations.programs.selectors import standings, summary
    from rotations.programs.services import suitable_shifts_path

    rendered = {}
    for row in rows:
        program = row.program
        if program is None:
            continue
        context = {
            # Counted from when the email was written: a point sent a day late says so.
            "recipient": row.recipient,
            "program": program,
            "days_before": (program.deadline - row.created_at.astimezone(UTC).date()).days,
            "program_link": settings.SITE_URL + reverse("programs:detail", args=[program.pk]),
        }
        if row.kind in (EmailKind.PROGRAM_NUDGE, EmailKind.PROGRAM_INVITATION):
            [standing] = standings(program, [row.recipient]) if row.recipient else [None]
            context.update(
                standing=standing, shifts_link=settings.SITE_URL + suitable_shifts_path(program)
            )
            template = (
                "emails/program_nudge"
                if row.kind == EmailKind.PROGRAM_NUDGE
                else "emails/program_invitation"
            )
            rendered[row.pk] = _message(row, template=template, context=context)
        else:
            rows_ = standings(program)
            counts = summary(rows_)
            context.update(
                counts=counts,
                total=len(rows_),
                behind=[r for r in rows_ if r.state in ("behind", "not_started")][:30],
            )
            rendered[row.pk] = _message(row, template="emails/program_digest", context=context)
    return rendered


def _message(email: OutgoingEmail, *, template: str, context: dict) -> tuple[str, bytes]:
    recipient = email.recipient
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = mime_message(
        subject=subject,
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        to_email=email.to_email,
        to_name=recipient.full_name if recipient else "",
        date=email.created_at,
        message_id=message_id(
            email.key, domain=organizer().email.rpartition("@")[2] or "frontline"
        ),
    )
    return subject, message


def _render_booking_note(email: OutgoingEmail, *, template: str) -> tuple[str, bytes]:
    booking = email.booking
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
    return _message(email, template=template, context=context)


def insight_form_path(booking) -> str:
    return reverse("shifts:log-insight", args=[booking.pk])
