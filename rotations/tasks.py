"""Celery tasks: small, idempotent, retried only on transient faults."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone

from rotations.common.emails import message_from_dict
from rotations.insights import notices as insight_notices
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

# Faults that pass: the mail server is down, busy or briefly refusing.
TRANSIENT_SMTP_ERRORS = (
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPHeloError,
    ConnectionError,
    TimeoutError,
)


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT_SMTP_ERRORS,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def send_email(self, message: dict) -> None:
    """Send one rendered account email (sign-in, verification, password reset)."""
    message_from_dict(message).send()
    log.info("sent %r to %s", message["subject"], ", ".join(message["to"]))


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=5, max_retries=5)
def send_due_emails() -> int:
    """Send every outbox row that is due (``outbox.kick`` publishes it); then make sure a
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
        send_due_emails.apply_async(countdown=max((due_at - timezone.now()).total_seconds(), 0))


@shared_task(bind=True, max_retries=None)
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


@shared_task
def sweep_outbox() -> int:
    return sweep_stuck()


@shared_task
def queue_due_emails() -> int:
    return reminders.queue_due_emails()


@shared_task
def flush_insight_notices(person_ids: list[int] | None = None) -> int:
    """Mail waiting insight notices (after a status change, and from the beat's sweep)."""
    return insight_notices.flush(person_ids)


@shared_task
def extend_pattern_schedules() -> int:
    """Keep each shift pattern's shifts on the schedule as far ahead as it reaches."""
    from rotations.shifts.services.patterns import extend_pattern_schedules as extend

    return extend()


@shared_task
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def send_program_nudges() -> int:
    """Remind people behind at each program's reminder points (each point once)."""
    from rotations.programs.services import send_due_nudges

    return send_due_nudges()


@shared_task
def plan_due_programs() -> int:
    """Programs past their deadline that want the auto-scheduler get a plan to review."""
    from rotations.programs.services import plan_due_programs as start_plans

    return start_plans()


@shared_task(bind=True, acks_late=True)
def make_schedule_plan(self, plan_id: int) -> int:
    """Run the auto-scheduler for one plan. Idempotent: a plan already made is left alone."""
    from rotations.models import SchedulePlan
    from rotations.programs.services import make_plan, plan_failed

    try:
        plan = make_plan(SchedulePlan(pk=plan_id))
    except SchedulePlan.DoesNotExist:
        return 0
    except Exception as exc:  # the plan must not stay "planning" forever
        log.exception("planning %s failed", plan_id)
        plan_failed(plan_id, f"{type(exc).__name__}: {exc}")
        raise
    return plan.stats.get("placed", 0)


@shared_task(acks_late=True)
def run_cycle_matching(run_id: int) -> int:
    """Run the mentoring matcher for one request. Idempotent: a run answered is left alone."""
    from rotations.mentoring.services import MentoringRefused, match_failed, run_matching
    from rotations.models import MatchRun

    try:
        run = MatchRun.objects.select_related("cycle", "run_by").get(pk=run_id)
    except MatchRun.DoesNotExist:
        return 0
    if not run.is_running:
        return run.proposed
    try:
        run = run_matching(cycle=run.cycle, by=run.run_by, run=run)
    except MentoringRefused as refusal:
        match_failed(run_id, refusal.message)
        return 0
    except Exception as exc:  # the run must not stay "running" forever
        log.exception("matching run %s failed", run_id)
        match_failed(run_id, f"{type(exc).__name__}: {exc}")
        raise
    return run.proposed
