"""Tasks that carry no product rule: account emails and expired sessions."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from rotations.common.emails import message_from_dict
from rotations.common.health import record_heartbeat
from rotations.common.jobs import task_name

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
    name=task_name("send_email"),
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


@shared_task(name=task_name("heartbeat"), ignore_result=True)
def heartbeat() -> None:
    """Beat asks for this every minute and a worker runs it: seen, both are up (/readyz)."""
    record_heartbeat()


@shared_task(name=task_name("clear_expired_sessions"))
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
