"""Programs' emails, rendered by the worker once per row: an invitation or a reminder to
someone behind (where they stand, a link to suitable shifts), or HR's digest."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.urls import reverse

from rotations.invites.rendering import outbox_message, renders
from rotations.models import EmailKind, OutgoingEmail
from rotations.programs.selectors import standings, summary
from rotations.programs.services import suitable_shifts_path


@renders(EmailKind.PROGRAM_INVITATION, EmailKind.PROGRAM_NUDGE, EmailKind.PROGRAM_DIGEST)
def render_program_emails(
    rows: list[OutgoingEmail], siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    """A reminder to someone behind (where they stand, a link to suitable shifts), or HR's
    digest of the whole program at that point."""
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
            rendered[row.pk] = outbox_message(row, template=template, context=context)
        else:
            rows_ = standings(program)
            counts = summary(rows_)
            context.update(
                counts=counts,
                total=len(rows_),
                behind=[r for r in rows_ if r.state in ("behind", "not_started")][:30],
            )
            rendered[row.pk] = outbox_message(
                row, template="emails/program_digest", context=context
            )
    return rendered
