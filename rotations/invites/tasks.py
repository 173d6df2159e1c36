"""The outbox's tasks: send what is due, wake for retries, sweep what was left.

Each is idempotent (the outbox row, not the task, says what is sent) and retries only
what is transient.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from rotations.common.jobs import enqueue, task_name
from rotations.invites import reminders
from rotations.invites.outbox import (
    Delivery,
    deliver_many,
    next_retry_at,
    retry_delay,
    send_due,
    sweep_stuck,
)

log = logging.getLogger(__name__)
# Retry pauses reach an hour; a wake's key outlives the wait it stands for.
OUTBOX_WAKE_KEY_SECONDS = 2 * 3600


@shared_task(
    name=task_name("send_due_emails"),
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    max_retries=5,
)
def send_due_emails() -> int:
    """Send every outbox row that is due (``outbox.kick`` asks for it); then make sure a
    task wakes when the earliest retry's pause ends. Idempotent: a duplicate or
    redelivered task sends nothing twice."""
    tried, failures = send_due()
    wake_for_retries()
    return tried - len(failures)


def wake_for_retries() -> None:
    due_at = next_retry_at()
    if due_at is None:
        return
    # One wake per second of due time, however many runs ask for it.
    if cache.add(f"outbox:wake:{int(due_at.timestamp())}", 1, timeout=int(OUTBOX_WAKE_KEY_SECONDS)):
        enqueue("send_due_emails", countdown=max((due_at - timezone.now()).total_seconds(), 0))


@shared_task(name=task_name("send_outgoing_emails"), bind=True, max_retries=None)
def send_outgoing_emails(self, pks: list[int]) -> int:
    """Send these outbox rows. Tasks are no longer published with row ids (``kick``
    sets off ``send_due_emails``); this stays for the ones queued before that change."""
    failures = deliver_many(pks)
    retry = [f for f in failures if f.outcome is Delivery.RETRY]
    if retry:
        raise self.retry(
            args=[[f.pk for f in retry]],
            countdown=retry_delay(min(f.attempts for f in retry)),
            exc=retry[0],
        )
    return len(pks) - len(failures)


@shared_task(name=task_name("sweep_outbox"))
def sweep_outbox() -> int:
    return sweep_stuck()


@shared_task(name=task_name("queue_due_emails"))
def queue_due_emails() -> int:
    return reminders.queue_due_emails()
