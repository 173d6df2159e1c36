"""Reminders before a shift and prompts to log insights after it, found by a sweep.

Beat runs :func:`queue_due_emails` every minute; it writes an outbox row for whatever is
due and has no row yet (no reminder for a booking made or moved inside the reminder
window: its invite has only just arrived) (the row's unique key is the "once"), so nothing waits for days in
the broker and a missed minute is caught up by the next.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rotations.invites import outbox
from rotations.models import Booking, BookingStatus, EmailKind, EmailStatus, OutgoingEmail

# Prompts go out for shifts that ended at most this long ago: a worker down for a day
# still catches up, but a new installation does not mail about last year's shifts.
PROMPT_HORIZON = timedelta(days=7)


def reminder_key(booking: Booking, email: str) -> str:
    # The start time is part of the key: a booking moved to another day before the window
    # opens is reminded of its new time.
    return f"reminder:{booking.uid}:{booking.starts_at:%Y%m%dT%H%M}:{email.lower()}"


def prompt_key(booking: Booking) -> str:
    return f"insight-prompt:{booking.uid}"


def queue_due_emails(now=None) -> int:
    """Write and enqueue every reminder and insight prompt now due; returns how many."""
    now = now or timezone.now()
    due: list[OutgoingEmail] = []
    window = timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    upcoming = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        starts_at__gt=now,
        starts_at__lte=now + window,
        # A booking made or moved inside the window: its invite went out just now, and a
        # reminder on its heels would say nothing new.
        updated_at__lte=F("starts_at") - window,
    ).select_related("person", "shift__buddy")
    for booking in upcoming:
        people = [booking.person]
        buddy = booking.shift.buddy
        if buddy is not None and buddy.pk != booking.person_id:
            people.append(buddy)
        for person in people:
            due.append(
                _row(EmailKind.REMINDER, reminder_key(booking, person.email), booking, person, now)
            )
    attended = Booking.objects.filter(
        status=BookingStatus.ATTENDED, ends_at__lte=now, ends_at__gt=now - PROMPT_HORIZON
    ).select_related("person")
    for booking in attended:
        due.append(
            _row(EmailKind.INSIGHT_PROMPT, prompt_key(booking), booking, booking.person, now)
        )
    if not due:
        return 0
    keys = [row.key for row in due]
    existing = set(OutgoingEmail.objects.filter(key__in=keys).values_list("key", flat=True))
    new = [row for row in due if row.key not in existing]
    if not new:
        return 0
    with transaction.atomic():
        # A second sweep racing this one loses on the unique key, silently.
        OutgoingEmail.objects.bulk_create(new, ignore_conflicts=True)
        created = list(
            OutgoingEmail.objects.filter(
                key__in=[row.key for row in new], status=EmailStatus.PENDING, attempts=0
            )
        )
        outbox.enqueue(created)
    return len(created)


def _row(kind: EmailKind, key: str, booking: Booking, person, now) -> OutgoingEmail:
    return OutgoingEmail(
        key=key,
        kind=kind,
        booking=booking,
        recipient=person,
        to_email=person.email,
        next_attempt_at=now,
    )
