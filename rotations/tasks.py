"""Celery tasks: small, idempotent, retried only on transient faults."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from .emails import message_from_dict
from .services import reminders
from .services.outbox import Delivery, SendFailed, deliver, retry_delay, sweep_stuck

log = logging.getLogger(__name__)

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


@shared_task(bind=True, max_retries=None)
def send_outgoing_email(self, pk: int) -> str:
    """Send one outbox row. Idempotent: a duplicate or redelivered task does nothing."""
    try:
        return deliver(pk)
    except SendFailed as failure:
        if failure.outcome is not Delivery.RETRY:
            return failure.outcome
        # The row holds the attempt count, so the backoff survives a worker restart.
        raise self.retry(countdown=retry_delay(failure.attempts), exc=failure) from failure


@shared_task
def sweep_outbox() -> int:
    return sweep_stuck()


@shared_task
def queue_due_emails() -> int:
    return reminders.queue_due_emails()


@shared_task
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
