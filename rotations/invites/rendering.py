"""Turn outbox rows into their subjects and wire bytes; once per row, by a worker.

Each kind of email is rendered by the domain that writes it: a domain registers its
renderer for its kinds with ``@renders`` (``rotations/apps.py`` imports the modules that
do), so the outbox needs to know no domain. Booking invites, reminders and insight
prompts are the outbox's own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

from rotations.common.emails import mime_message, render_email_content
from rotations.common.timezones import wall_clock
from rotations.invites.imip import message_id
from rotations.invites.services import organizer, render_invites
from rotations.models import EmailKind, OutgoingEmail

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
    return outbox_message(email, template=template, context=context)


def insight_form_path(booking) -> str:
    return reverse("shifts:log-insight", args=[booking.pk])
