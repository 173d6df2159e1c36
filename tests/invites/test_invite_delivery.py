"""Invites through a real Celery worker (on Redis when REDIS_URL is set, as in CI) to a
real SMTP server: exactly once per recipient, through a refusing mail server and through
a worker killed mid-send; reminders and prompts from a real beat."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
import vobject
from django.utils import timezone

from rotations.invites.identity import event_uid
from rotations.models import Booking, BookingStatus, EmailKind, EmailStatus, OutgoingEmail
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import booking_create
from tests.factories import PersonFactory, QueueFactory, ShiftFactory
from tests.servers import CeleryWorker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "DEFAULT_FROM_EMAIL": "Frontline <frontline@frontline.example.com>",
    "OUTBOX_RETRY_BASE_SECONDS": "0.5",
    "OUTBOX_STUCK_AFTER_SECONDS": "1",
}


@pytest.fixture
def worker_env(smtp_server, broker_available):
    return {**WORKER_ENV, "EMAIL_URL": smtp_server.url}


@pytest.fixture
def worker(worker_env):
    started = CeleryWorker(env=worker_env).start()
    yield started
    started.stop()


@pytest.fixture
def people():
    executive = PersonFactory(
        full_name="Eve Executive", email="eve@example.com", roles=["Executive"]
    )
    buddy = PersonFactory(
        full_name="Bea Buddy", email="bea@example.com", roles=["Front-line employee"]
    )
    return executive, buddy


def summary(received) -> Counter:
    """(recipient, METHOD, SEQUENCE) of every message received, counted."""
    seen = Counter()
    for item in received:
        [part] = [p for p in item.message.walk() if p.get_content_type() == "text/calendar"]
        cal = vobject.readOne(part.get_payload(decode=True).decode())
        seen[(item.rcpt_tos[0], cal.method.value, int(cal.vevent.sequence.value))] += 1
    return seen


def wait_until(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_book_move_and_cancel_through_the_pages_send_one_invite_each(
    worker, smtp_server, people, client
):
    executive, buddy = people
    queue = QueueFactory()
    first = ShiftFactory(queue=queue, buddy=buddy)
    later = ShiftFactory(
        queue=queue,
        buddy=buddy,
        starts_at=first.starts_at + timedelta(days=1),
        ends_at=first.ends_at + timedelta(days=1),
    )
    client.force_login(executive)

    assert client.post(f"/shifts/{first.pk}/book/").status_code == 302
    booking = Booking.objects.get(person=executive)
    smtp_server.wait_for(2)
    assert (
        client.post(f"/shifts/bookings/{booking.pk}/reschedule/", {"shift": later.pk}).status_code
        == 302
    )
    smtp_server.wait_for(4)
    assert (
        client.post(f"/shifts/bookings/{booking.pk}/cancel/", {"reason": "Offsite"}).status_code
        == 302
    )
    received = smtp_server.wait_for(6)
    time.sleep(3)  # anything extra would arrive now (a task starts 2 s after a change)

    assert summary(smtp_server.received) == Counter(
        {
            (executive.email, "REQUEST", 0): 1,
            (buddy.email, "REQUEST", 0): 1,
            (executive.email, "REQUEST", 1): 1,
            (buddy.email, "REQUEST", 1): 1,
            (executive.email, "CANCEL", 2): 1,
            (buddy.email, "CANCEL", 2): 1,
        }
    )
    uids = {
        vobject.readOne(p.get_payload(decode=True).decode()).vevent.uid.value
        for r in received
        for p in r.message.walk()
        if p.get_content_type() == "text/calendar"
    }
    assert uids == {event_uid(booking)}
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 6


def test_a_mail_server_that_refuses_for_a_while_gets_every_invite_once(worker, smtp_server, people):
    executive, buddy = people
    smtp_server.handler.refusing = True
    booking_create(shift=ShiftFactory(buddy=buddy), person=executive, by=actor(executive))

    wait_until(
        lambda: (
            OutgoingEmail.objects.filter(attempts__gte=2, status=EmailStatus.PENDING).count() == 2
        ),
        what="two failed attempts per invite",
    )
    assert smtp_server.received == []
    assert all("451" in row.last_error for row in OutgoingEmail.objects.all())

    smtp_server.handler.refusing = False
    smtp_server.wait_for(2, timeout=60)
    wait_until(
        lambda: OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 2, what="sent"
    )
    time.sleep(3)  # anything extra would arrive now (a task starts 2 s after a change)
    assert summary(smtp_server.received) == Counter(
        {
            (executive.email, "REQUEST", 0): 1,
            (buddy.email, "REQUEST", 0): 1,
        }
    )


def test_out_of_attempts_is_shown_as_failed_and_hr_retry_delivers(
    worker_env, smtp_server, people, client, hr_admin
):
    executive, buddy = people
    worker = CeleryWorker(env={**worker_env, "OUTBOX_MAX_ATTEMPTS": "2"}).start()
    try:
        smtp_server.handler.refusing = True
        booking = booking_create(
            shift=ShiftFactory(buddy=buddy), person=executive, by=actor(executive)
        )
        wait_until(
            lambda: OutgoingEmail.objects.filter(status=EmailStatus.FAILED).count() == 2,
            what="failed",
        )
        smtp_server.handler.refusing = False

        client.force_login(hr_admin)
        page = client.get(f"/deliveries/bookings/{booking.pk}/")
        assert page.status_code == 200
        assert page.content.count(b"Retry</button>") == 2
        for row in OutgoingEmail.objects.all():
            assert client.post(f"/deliveries/{row.pk}/retry/").status_code == 302
        smtp_server.wait_for(2)
        wait_until(
            lambda: OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 2, what="sent"
        )
        assert len(smtp_server.received) == 2
    finally:
        worker.stop()


@pytest.mark.parametrize(
    "accepted_before_kill", [False, True], ids=["before-accept", "after-accept"]
)
def test_a_worker_killed_mid_send_loses_nothing(
    worker_env, smtp_server, people, accepted_before_kill
):
    """SIGKILL the worker while the mail server holds its message unanswered.

    Killed before the server took the message: after a restart and the sweep, each
    invite arrives exactly once. Killed after the server took it (the window no outbox
    can close): it arrives twice, byte for byte the same, which calendars absorb.
    """
    executive, buddy = people
    worker = CeleryWorker(env=worker_env).start()
    try:
        smtp_server.handler.hold_next(accept=accepted_before_kill)
        booking_create(shift=ShiftFactory(buddy=buddy), person=executive, by=actor(executive))
        assert smtp_server.handler.holding.wait(60), worker.log
        worker.kill()
        smtp_server.handler.release.set()
        assert not OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 2

        worker = CeleryWorker(env=worker_env).start(purge=False)
        # The killed task is not handed back until the broker's visibility timeout; the
        # sweep finds its row unsent and enqueues it again.
        from rotations.invites.tasks import sweep_outbox

        time.sleep(1.2)
        sweep_outbox.delay()
        wait_until(
            lambda: OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 2, what="sent"
        )
        time.sleep(3)  # anything extra would arrive now
    finally:
        worker.stop()

    counts = summary(smtp_server.received)
    held = [row for row in OutgoingEmail.objects.all() if counts[(row.to_email, "REQUEST", 0)] > 1]
    if accepted_before_kill:
        assert sorted(counts.values()) == [1, 2]
        [twice] = held
        copies = [r.raw for r in smtp_server.received if r.rcpt_tos == [twice.to_email]]
        assert copies[0] == copies[1]
    else:
        assert counts == Counter(
            {(executive.email, "REQUEST", 0): 1, (buddy.email, "REQUEST", 0): 1}
        )
        assert held == []


def test_beat_sends_a_reminder_before_and_a_prompt_after_each_shift_once(
    worker_env, smtp_server, people, tmp_path
):
    executive, buddy = people
    now = timezone.now()
    soon = ShiftFactory(
        buddy=buddy, starts_at=now + timedelta(hours=5), ends_at=now + timedelta(hours=9)
    )
    far = ShiftFactory(
        buddy=buddy, starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=4)
    )
    done = ShiftFactory(
        buddy=buddy, starts_at=now - timedelta(hours=6), ends_at=now - timedelta(hours=2)
    )
    # Seated directly: the booking rules (notice, started shifts) are not what is tested.
    for shift, status in (
        (soon, BookingStatus.CONFIRMED),
        (far, BookingStatus.CONFIRMED),
        (done, BookingStatus.ATTENDED),
    ):
        Booking.objects.create(
            shift=shift,
            person=executive,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            status=status,
        )
    Booking.objects.update(updated_at=now - timedelta(days=3))  # booked days ago
    # Booked just now, five hours ahead: the invite was the reminder; no second email.
    late = ShiftFactory(
        starts_at=now + timedelta(hours=5, minutes=30), ends_at=now + timedelta(hours=8)
    )
    Booking.objects.create(shift=late, person=buddy, starts_at=late.starts_at, ends_at=late.ends_at)

    worker = CeleryWorker(
        env={**worker_env, "FRONTLINE_SWEEP_SECONDS": "1"}, beat_schedule=str(tmp_path / "beat")
    ).start()
    try:
        received = smtp_server.wait_for(3)
        time.sleep(3.5)  # three more sweeps: nothing is sent twice
    finally:
        worker.stop()

    kinds = Counter(
        (row.kind, row.to_email) for row in OutgoingEmail.objects.filter(status=EmailStatus.SENT)
    )
    assert kinds == Counter(
        {
            (EmailKind.REMINDER, executive.email): 1,
            (EmailKind.REMINDER, buddy.email): 1,
            (EmailKind.INSIGHT_PROMPT, executive.email): 1,
        }
    )
    assert len(smtp_server.received) == 3
    subjects = sorted(r.message["Subject"] for r in received)
    assert any(s.startswith("Tomorrow:") for s in subjects)
    [prompt] = [r for r in smtp_server.received if r.message["Subject"].startswith("What did")]
    text = prompt.message.get_body(preferencelist=("plain",)).get_content()
    done_booking = Booking.objects.get(shift=done)
    assert f"/shifts/bookings/{done_booking.pk}/insights/new/" in text
