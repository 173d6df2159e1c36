"""Telling followers what became of an insight, without flooding their inbox.

A status change writes one notice per follower (but the person who made it) in the
change's transaction. A flush then puts each person's waiting notices into one outgoing
email — right away while they have had fewer than ``INSIGHT_EMAILS_PER_DAY`` today (in
their own time zone); past that, the notices wait, and the first flush of their next day
sends them all as one digest. The outbox delivers them like any other email.
"""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from rotations.common.jobs import enqueue
from rotations.insights.selectors import event_lines, visible_insights, who_may_see
from rotations.invites import outbox
from rotations.invites.rendering import outbox_message, renders
from rotations.models import (
    EmailKind,
    InsightEvent,
    InsightFollower,
    InsightNotice,
    OutgoingEmail,
    Person,
)


def notify_followers(event: InsightEvent) -> list[int]:
    """Owe every follower but the actor a notice of ``event``; flushed after commit.
    Only followers who may read the insight now: a follower who lost sight of it (a
    lead who left the queue, an insight made private) hears nothing more of it."""
    followers = (
        InsightFollower.objects.filter(insight_id=event.insight_id)
        .exclude(person=event.actor)
        .filter(person__is_active=True)
        .values_list("person_id", flat=True)
    )
    people = sorted(who_may_see(event.insight, followers))
    if not people:
        return []
    InsightNotice.objects.bulk_create(
        [InsightNotice(event=event, person_id=p) for p in people], ignore_conflicts=True
    )
    enqueue("flush_insight_notices", people)
    return people


def flush(person_ids: list[int] | None = None, *, now: datetime | None = None) -> int:
    """Mail each person's waiting notices as one email where today's allowance permits;
    ``None`` means everyone with notices waiting (the beat's sweep). Returns emails made."""
    now = now or timezone.now()
    waiting = InsightNotice.objects.filter(email__isnull=True)
    if person_ids is not None:
        waiting = waiting.filter(person_id__in=person_ids)
    people = Person.objects.filter(pk__in=waiting.values("person_id"))
    made = 0
    for person in people:
        if _flush_one(person, now) is not None:
            made += 1
    return made


def _flush_one(person: Person, now: datetime) -> OutgoingEmail | None:
    with transaction.atomic():
        # Locks this person's waiting notices: a concurrent flush waits, then finds them
        # taken (PostgreSQL re-checks "email IS NULL" on the rows it waited for).
        notices = list(
            InsightNotice.objects.select_for_update()
            .filter(person=person, email__isnull=True)
            .order_by("pk")
        )
        if not notices:
            return None
        if _sent_today(person, now) >= settings.INSIGHT_EMAILS_PER_DAY:
            return None
        email = OutgoingEmail.objects.create(
            key=f"insight-update:{person.pk}:{notices[0].pk}",
            kind=EmailKind.INSIGHT_UPDATE,
            recipient=person,
            to_email=person.email,
            next_attempt_at=now,
        )
        InsightNotice.objects.filter(pk__in=[n.pk for n in notices]).update(email=email)
        outbox.enqueue([email])
    return email


def _sent_today(person: Person, now: datetime) -> int:
    local_midnight = datetime.combine(
        timezone.localtime(now, person.zone).date(), time(0), tzinfo=person.zone
    )
    return OutgoingEmail.objects.filter(
        recipient=person, kind=EmailKind.INSIGHT_UPDATE, created_at__gte=local_midnight
    ).count()


# --- rendering (by the worker, once per row) -------------------------------------------


@renders(EmailKind.INSIGHT_UPDATE)
def render_updates(
    rows: list[OutgoingEmail], siblings: list[OutgoingEmail]
) -> dict[int, tuple[str, bytes]]:
    """One email per row listing its notices: a single change, or the day's digest."""
    notices: dict[int, list[InsightNotice]] = {row.pk: [] for row in rows}
    for notice in (
        InsightNotice.objects.filter(email__in=[row.pk for row in rows])
        .select_related("event__insight", "event__actor")
        .order_by("pk")
    ):
        if notice.email_id is not None:
            notices[notice.email_id].append(notice)
    rendered = {}
    for row in rows:
        recipient = row.recipient
        if recipient is None:  # insight updates always have one
            continue
        # Said as the recipient may read it now: nothing of an insight they have lost
        # sight of since, and a merge names the other insight only if they may read it.
        readable = set(
            visible_insights(recipient)
            .filter(pk__in={n.event.insight_id for n in notices[row.pk]})
            .values_list("pk", flat=True)
        )
        events = event_lines(
            recipient, [n.event for n in notices[row.pk] if n.event.insight_id in readable]
        )
        updates = [
            {
                "event": event,
                "insight": event.insight,
                "link": settings.SITE_URL + reverse("insights:detail", args=[event.insight_id]),
            }
            for event in events
        ]
        if not updates:  # deleted with their insight, or no longer theirs to read
            continue
        context = {
            "recipient": row.recipient,
            "updates": updates,
            "inbox_link": settings.SITE_URL + reverse("insights:list"),
        }
        rendered[row.pk] = outbox_message(row, template="emails/insight_update", context=context)
    return rendered
