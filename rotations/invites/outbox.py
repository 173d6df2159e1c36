"""The outbox: every email the app owes someone, delivered exactly once where possible.

A change writes its ``OutgoingEmail`` rows in its own transaction; once it commits, a
task sends every row then due (``send_due``). Changes committing within a second of
each other share one task: publishing a task cost a booking more CPU than anything else
it did (about 1 ms of its 7). The rows are durable before any task exists, so sharing
one loses nothing. Delivery is idempotent per row (one row per event, sequence and
recipient, by its unique ``key``):

* the message is rendered once and stored before the first attempt, so any resend is
  byte-identical;
* sending happens with the row locked (``SELECT … FOR UPDATE SKIP LOCKED``) and the row
  is marked sent in the same transaction, so a second worker holding the same task skips
  it, and a worker killed before the mail server answered leaves the row unsent for the
  next try (its lock dies with its connection);
* the one gap no system closes — killed after the server accepted and before the commit —
  resends the stored bytes, which calendars absorb as the same event and sequence.

Transient SMTP faults are retried with exponential backoff; after ``OUTBOX_MAX_ATTEMPTS``
the row is shown as failed, for HR to retry. A sweep re-enqueues rows left unsent.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db
from django.db.models import BinaryField, Case, Q, Value, When
from django.utils import timezone

from rotations.common import jobs
from rotations.invites import rendering
from rotations.models import EmailStatus, OutgoingEmail

log = logging.getLogger(__name__)


class Delivery(enum.StrEnum):
    SENT = "sent"
    ALREADY_DONE = "already_done"  # sent before, or failed for good until HR retries
    BUSY = "busy"  # another worker holds the row right now
    RETRY = "retry"  # a transient fault; try again later
    FAILED = "failed"  # permanent fault, or out of attempts
    NOT_DUE = "not_due"  # a retry whose pause is not over; a later task sends it


class SendFailed(Exception):
    def __init__(self, outcome: Delivery, attempts: int, error: str):
        super().__init__(error)
        self.outcome = outcome
        self.attempts = attempts
        self.pk: int | None = None


KICK_KEY = "outbox:send-due-set"
# A task set off for a retry's time may start a moment early by this worker's clock.
NOT_DUE_SLACK = timedelta(seconds=1)
DUE_BATCH = 200
# The database out of reach: the whole batch waits, no row is to blame.
OUTAGE = (OperationalError, InterfaceError)


def enqueue(emails: Iterable[OutgoingEmail]) -> None:
    """Have these sent once the current transaction has committed (see ``kick``)."""
    if next(iter(emails), None) is not None:
        # robust: the change has committed; a broker that is down must not turn it into
        # an error page. Its rows go with the next task, or the sweep's.
        transaction.on_commit(kick, robust=True)


def kick() -> None:
    """Make sure a task will send every row due now, without a task per change.

    The first change in a window of ``OUTBOX_BATCH_SECONDS`` sets a key that lives that
    long and publishes a task that starts twice that later; changes that find the key
    set publish nothing. Each of them committed before the key expired, so before that
    task starts and reads the due rows (the doubled wait allows for a worker's clock a
    little ahead). A task that is lost leaves its rows to the next change's task, or to
    the sweep.
    """
    window = settings.OUTBOX_BATCH_SECONDS
    if window <= 0 or jobs.tasks_run_eagerly():
        # Run now: with eager tasks there is no later run for others to join.
        jobs.enqueue("send_due_emails")
    elif cache.add(KICK_KEY, 1, timeout=window):
        try:
            jobs.enqueue("send_due_emails", countdown=2 * window)
        except Exception:
            # Nothing was published: the next change in this window must try again,
            # not count on a task that does not exist.
            cache.delete(KICK_KEY)
            raise


def send_due() -> tuple[int, list[SendFailed]]:
    """Deliver every row that is due (in batches, oldest first): how many rows were
    tried, and the failures. A run always ends: it walks the due rows once."""
    failures: list[SendFailed] = []
    tried = 0
    after = None  # (next_attempt_at, pk) of the last row taken
    # On PostgreSQL a batch is locked while it is rendered, so tasks running side by
    # side take different rows instead of all rendering the oldest ones. (SQLite has no
    # row locks, and an IMMEDIATE transaction there would hold up every booking.)
    locking = db.features.has_select_for_update_skip_locked
    while True:
        # New rows whatever their time (a row's first try is due when it is written, by
        # the writer's clock), and retries whose pause is over.
        # (With the slack ``deliver`` allows: a task woken for a retry may start a moment
        # before its time, and must not find it "not due" and then wait for nothing.)
        due = OutgoingEmail.objects.filter(status=EmailStatus.PENDING).filter(
            Q(attempts=0) | Q(next_attempt_at__lte=timezone.now() + NOT_DUE_SLACK)
        )
        if after is not None:
            due = due.filter(
                Q(next_attempt_at__gt=after[0]) | Q(next_attempt_at=after[0], pk__gt=after[1])
            )
        due = due.order_by("next_attempt_at", "pk")
        with transaction.atomic() if locking else nullcontext():
            rows = list(
                (due.select_for_update(skip_locked=True) if locking else due).values_list(
                    "next_attempt_at", "pk"
                )[:DUE_BATCH]
            )
            pks = [pk for _, pk in rows]
            render_each(pks)
        failures += deliver_many(pks, rendered=True)
        tried += len(pks)
        if len(rows) < DUE_BATCH:
            return tried, failures
        after = rows[-1]


def next_retry_at():
    """When the earliest retry waiting out its pause is due, if any."""
    return (
        OutgoingEmail.objects.filter(
            status=EmailStatus.PENDING, attempts__gt=0, next_attempt_at__gt=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def render_each(pks: list[int]) -> None:
    """``render_missing``, with a row that cannot be rendered (a bug a log explains)
    kept from holding up the rest: it stays unrendered, and unsent.

    An unreachable database is not a row's fault: it is logged once, as an outage, and
    raised, so the task retries the batch (``send_due_emails`` retries database errors).
    """
    try:
        try:
            with transaction.atomic():
                render_missing(pks)
        except OUTAGE:
            raise
        except Exception:
            log.exception("rendering outbox rows %s failed; trying them one by one", pks)
            for pk in pks:
                try:
                    with transaction.atomic():
                        render_missing([pk])
                except OUTAGE:
                    raise
                except Exception:
                    log.exception("outbox row %s cannot be rendered", pk)
    except OUTAGE as exc:
        log.warning("the database is unreachable; the outbox will try again: %s", exc)
        raise


def deliver_many(pks: list[int], *, rendered: bool = False) -> list[SendFailed]:
    """Deliver each row; returns the failures (their ``pk`` set) instead of raising."""
    if not rendered:
        render_missing(pks)
    failures = []
    for pk in pks:
        try:
            deliver(pk, rendered=True)
        except SendFailed as failure:
            failure.pk = pk
            failures.append(failure)
    return failures


def deliver(pk: int, *, rendered: bool = False) -> Delivery:
    """Send one outbox row if it still needs sending. Safe to call any number of times."""
    if not rendered:
        render_missing([pk])
    failure: SendFailed | None = None
    with transaction.atomic():
        # By primary key alone, unordered: whatever the planner's statistics say, one
        # index lookup (a status filter could lead it through every pending row).
        email = next(
            iter(
                OutgoingEmail.objects.select_for_update(skip_locked=True).filter(pk=pk).order_by()
            ),
            None,
        )
        if email is None:
            exists = OutgoingEmail.objects.filter(pk=pk).exists()
            return Delivery.BUSY if exists else Delivery.ALREADY_DONE
        if email.status != EmailStatus.PENDING:
            return Delivery.ALREADY_DONE
        if email.attempts and email.next_attempt_at > timezone.now() + NOT_DUE_SLACK:
            return Delivery.NOT_DUE  # its pause after a failure is not over: never early
        if not email.message:  # rendering failed for a reason a log explains
            return Delivery.BUSY
        email.attempts += 1
        try:
            _send(email)
        except OSError as exc:  # smtplib's errors, refused connections, timeouts
            failure = _record_failure(email, exc, permanent=is_permanent(exc))
        else:
            OutgoingEmail.objects.filter(pk=pk).update(
                status=EmailStatus.SENT,
                sent_at=timezone.now(),
                attempts=email.attempts,
                last_error="",
            )
    if failure is not None:
        raise failure
    return Delivery.SENT


def is_permanent(exc: OSError) -> bool:
    """A 5xx answer will be the same next time; a 4xx, a timeout or a refusal may not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed try: doubling, capped at an hour."""
    return min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600.0)


def _record_failure(email: OutgoingEmail, exc: Exception, *, permanent: bool) -> SendFailed:
    email.last_error = f"{type(exc).__name__}: {exc}"[:500]
    out_of_attempts = email.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    if permanent or out_of_attempts:
        email.status = EmailStatus.FAILED
        outcome = Delivery.FAILED
    else:
        email.next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(email.attempts))
        outcome = Delivery.RETRY
    email.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    log.warning("sending %s failed (attempt %s): %s", email, email.attempts, email.last_error)
    return SendFailed(outcome, email.attempts, email.last_error)


def render_missing(pks: list[int]) -> None:
    """Render and store the messages of rows that have none yet.

    Stored before the first attempt, so every later attempt sends the same bytes. A row
    another worker rendered meanwhile keeps its first rendering. The other rows of their
    calendar changes are read too (an invite lists every attendee); one statement stores
    the lot.
    """
    related = (
        "recipient",
        "booking__person",
        "calendar_change__shift__queue",
        "calendar_change__shift__buddy",
        "program",
    )
    # By primary key alone: whatever the planner's statistics say, an index lookup.
    loaded = list(OutgoingEmail.objects.filter(pk__in=pks).select_related(*related).order_by())
    rows = [r for r in loaded if r.status == EmailStatus.PENDING and not r.message]
    if not rows:
        return
    changes = {r.calendar_change_id for r in rows if r.calendar_change_id}
    others = (
        OutgoingEmail.objects.filter(calendar_change_id__in=changes)
        .exclude(pk__in=pks)
        .select_related("recipient")
        if changes
        else []
    )
    siblings = sorted([*loaded, *others], key=lambda r: r.pk)
    rendered = rendering.render_all(rows, siblings=siblings)
    OutgoingEmail.objects.filter(pk__in=rendered, message=b"").update(
        subject=Case(
            *(When(pk=pk, then=Value(subject[:300])) for pk, (subject, _) in rendered.items())
        ),
        message=Case(
            *(
                When(pk=pk, then=Value(data, output_field=BinaryField()))
                for pk, (_, data) in rendered.items()
            ),
            output_field=BinaryField(),
        ),
    )


class _Stored:
    """What Django's mail backends read from ``EmailMessage.message()``: our bytes."""

    def __init__(self, data: bytes):
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data.replace(b"\r\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("ascii", "replace")

    def get_charset(self):
        return None


class StoredEmail(EmailMessage):
    """An already rendered message, sent through the configured backend unchanged."""

    def __init__(self, data: bytes, *, to: str):
        super().__init__(from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
        self.data = data

    def message(self, *, policy=None):
        return _Stored(self.data)


# One open connection per worker process, kept between messages: connecting and greeting
# the server costs more than sending a small message.
_open: dict[tuple, BaseEmailBackend] = {}


def _connection(*, fresh: bool):
    key = (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        getattr(settings, "EMAIL_PORT", 0),
    )
    if fresh or key not in _open:
        close_connections()
        connection = get_connection(fail_silently=False)
        connection.open()
        _open[key] = connection
    return _open[key]


def close_connections() -> None:
    for connection in _open.values():
        try:
            connection.close()
        except OSError:
            pass
    _open.clear()


def _send(email: OutgoingEmail) -> None:
    message = StoredEmail(bytes(email.message), to=email.to_email)
    try:
        sent = _connection(fresh=False).send_messages([message])
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        # A kept connection the server has since dropped: once more, on a new one.
        sent = _connection(fresh=True).send_messages([message])
    except OSError:
        close_connections()
        raise
    if sent != 1:
        raise smtplib.SMTPRecipientsRefused({email.to_email: (550, b"not sent")})


# --- what HR and the sweep do -----------------------------------------------------------


def retry_failed(email: OutgoingEmail) -> OutgoingEmail:
    """HR's retry button: a failed message goes back to the queue with fresh attempts."""
    with transaction.atomic():
        updated = OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.FAILED).update(
            status=EmailStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if updated:
            enqueue([email])
    email.refresh_from_db()
    return email


def sweep_stuck(*, limit: int = 1000) -> int:
    """Re-enqueue messages left unsent well past their time (a lost task, a dead worker)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS)
    with transaction.atomic():
        stuck = list(
            OutgoingEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lt=cutoff)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if stuck:
            OutgoingEmail.objects.filter(pk__in=stuck).update(next_attempt_at=now)
            enqueue(OutgoingEmail(pk=pk) for pk in stuck)
    return len(stuck)
