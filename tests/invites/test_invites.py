"""Invites: what the outbox holds for each booking change, and what a mail server gets.

These run the delivery in the test process against a real SMTP server (aiosmtpd); the
worker, kill and refusal tests are in ``test_invite_delivery.py``.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
import time_machine
import vobject
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rotations.invites import outbox
from rotations.invites.identity import event_uid
from rotations.invites.services import record_invites
from rotations.models import CalendarChange, EmailKind, EmailStatus, OutgoingEmail
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import booking_cancel, booking_create, booking_reschedule
from tests.factories import PersonFactory, QueueFactory, ShiftFactory
from tests.helpers import deliver_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(executive):
    buddy = PersonFactory(
        full_name="Bea Buddy", email="bea.buddy@example.com", roles=["Front-line employee"]
    )
    other_buddy = PersonFactory(
        full_name="Olly Other", email="olly@example.com", roles=["Front-line employee"]
    )
    queue = QueueFactory(name="Billing chat", brief="Answer billing chats next to your buddy.")
    first = ShiftFactory(queue=queue, buddy=buddy, location="Toronto office, 4th floor")
    same_buddy_later = ShiftFactory(
        queue=queue,
        buddy=buddy,
        starts_at=first.starts_at + timedelta(days=1),
        ends_at=first.ends_at + timedelta(days=1),
    )
    other_buddy_shift = ShiftFactory(
        queue=queue,
        buddy=other_buddy,
        starts_at=first.starts_at + timedelta(days=2),
        ends_at=first.ends_at + timedelta(days=2),
        meeting_url="https://meet.example.com/abc",
    )
    return executive, buddy, other_buddy, first, same_buddy_later, other_buddy_shift


def rows(booking, sequence):
    return {
        (row.to_email, row.method)
        for row in OutgoingEmail.objects.filter(booking=booking, calendar_change__sequence=sequence)
    }


def calendar_of(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part, vobject.readOne(part.get_payload(decode=True).decode("utf-8"))


def test_each_change_writes_one_invite_per_attendee_in_its_transaction(trio):
    executive, buddy, other_buddy, first, same_buddy_later, other_buddy_shift = trio
    booking = booking_create(shift=first, person=executive, by=actor(executive))
    assert rows(booking, 0) == {(executive.email, "REQUEST"), (buddy.email, "REQUEST")}

    booking = booking_reschedule(booking=booking, to_shift=same_buddy_later, by=actor(executive))
    assert rows(booking, 1) == {(executive.email, "REQUEST"), (buddy.email, "REQUEST")}

    # A new buddy is invited; the old one is told the event is off for them.
    booking = booking_reschedule(booking=booking, to_shift=other_buddy_shift, by=actor(executive))
    assert rows(booking, 2) == {
        (executive.email, "REQUEST"),
        (other_buddy.email, "REQUEST"),
        (buddy.email, "CANCEL"),
    }

    booking = booking_cancel(booking=booking, by=actor(executive), reason="Board meeting moved")
    assert rows(booking, 3) == {(executive.email, "CANCEL"), (other_buddy.email, "CANCEL")}
    assert OutgoingEmail.objects.filter(kind=EmailKind.INVITE).count() == 9
    assert not OutgoingEmail.objects.exclude(status=EmailStatus.PENDING).exists()


def test_a_change_recorded_twice_cannot_owe_a_second_invite(trio):
    executive, *_, first, _, _ = trio
    booking = booking_create(shift=first, person=executive, by=actor(executive))
    change = CalendarChange.objects.get(booking=booking)
    # SQLite names the unique column, PostgreSQL the unique constraint.
    duplicate = {
        "sqlite": "UNIQUE constraint failed: rotations_outgoingemail.key",
        "postgresql": 'duplicate key value violates unique constraint "rotations_outgoingemail_key_key"',
    }[connection.vendor]
    with pytest.raises(IntegrityError, match=duplicate), transaction.atomic():
        record_invites(change)
    assert OutgoingEmail.objects.filter(booking=booking).count() == 2


def test_a_refused_booking_writes_no_invite(trio):
    executive, *_, first, _, _ = trio
    first.queue.is_paused = True
    first.queue.save()
    from rotations.shifts.services.booking import BookingRefused

    with pytest.raises(
        BookingRefused, match="Billing chat is paused for new bookings. Try another queue."
    ):
        booking_create(shift=first, person=executive, by=actor(executive))
    assert not OutgoingEmail.objects.exists()


def test_book_move_cancel_reach_the_mail_server_once_each_with_method_uid_and_sequence(
    trio, smtp_settings
):
    executive, buddy, other_buddy, first, same_buddy_later, other_buddy_shift = trio
    booking = booking_create(shift=first, person=executive, by=actor(executive))
    deliver_all()
    booking = booking_reschedule(booking=booking, to_shift=other_buddy_shift, by=actor(executive))
    deliver_all()
    booking = booking_cancel(booking=booking, by=actor(executive), reason="Travel")
    deliver_all()
    deliver_all()  # nothing left: a second pass sends nothing

    received = smtp_settings.wait_for(7)
    got = []
    for item in received:
        [to] = item.rcpt_tos
        part, cal = calendar_of(item.message)
        event = cal.vevent
        method = cal.method.value
        assert part.get_param("method") == method
        assert event.uid.value == event_uid(booking)
        got.append((to, method, int(event.sequence.value)))
    assert sorted(got) == sorted(
        [
            (executive.email, "REQUEST", 0),
            (buddy.email, "REQUEST", 0),
            (executive.email, "REQUEST", 1),
            (other_buddy.email, "REQUEST", 1),
            (buddy.email, "CANCEL", 1),
            (executive.email, "CANCEL", 2),
            (other_buddy.email, "CANCEL", 2),
        ]
    )
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 7
    assert all(row.sent_at and row.attempts == 1 for row in OutgoingEmail.objects.all())


def test_the_invite_is_a_meeting_request_every_client_understands(trio, smtp_settings):
    executive, buddy, _, first, _, _ = trio
    booking = booking_create(shift=first, person=executive, by=actor(executive))
    deliver_all()
    [to_exec] = [r for r in smtp_settings.wait_for(2) if r.rcpt_tos == [executive.email]]
    message = to_exec.message

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar_part = alternative.get_payload()[2]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == calendar_part.get_payload(decode=True)
    assert message["Subject"].startswith("Invitation: Billing chat shift")
    assert message["From"] == "Frontline <frontline@frontline.example.com>"

    event = vobject.readOne(calendar_part.get_payload(decode=True).decode()).vevent
    assert event.dtstart.value == booking.starts_at
    assert event.dtstart.value.utcoffset() == timedelta(0)
    assert event.dtend.value == booking.ends_at
    assert event.organizer.value == "mailto:frontline@frontline.example.com"
    attendees = {a.value: a.params for a in event.attendee_list}
    assert set(attendees) == {f"mailto:{executive.email}", f"mailto:{buddy.email}"}
    assert attendees[f"mailto:{executive.email}"]["CN"] == [executive.full_name]
    assert attendees[f"mailto:{executive.email}"]["RSVP"] == ["TRUE"]
    assert attendees[f"mailto:{executive.email}"]["PARTSTAT"] == ["NEEDS-ACTION"]
    assert "Answer billing chats" in event.description.value
    assert f"https://frontline.example.com/shifts/{first.pk}/" in event.description.value
    assert event.location.value == "Toronto office, 4th floor"
    assert event.status.value == "CONFIRMED"
    assert event.valarm.trigger.value == -timedelta(minutes=15)
    # DTSTAMP is the moment of the change, fixed, not the moment of sending.
    change = CalendarChange.objects.get(booking=booking)
    assert event.dtstamp.value == change.created_at.replace(microsecond=0)

    # The buddy's copy says who is coming, in their words.
    [to_buddy] = [r for r in smtp_settings.received if r.rcpt_tos == [buddy.email]]
    text = to_buddy.message.get_body(preferencelist=("plain",)).get_content()
    assert f"{executive.full_name} will sit with you" in text


def test_the_email_text_tells_each_reader_the_time_on_their_own_clock(trio, smtp_settings):
    """The body and subject name the reader's wall-clock time and the queue's, not UTC."""
    from zoneinfo import ZoneInfo

    executive, buddy, other_buddy, first, _, other_buddy_shift = trio
    executive.time_zone, buddy.time_zone = "America/Toronto", "Asia/Tokyo"
    executive.save()
    buddy.save()
    queue = first.queue
    queue.time_zone = "America/Chicago"
    queue.save()
    booking = booking_create(shift=first, person=executive, by=actor(executive))
    deliver_all()
    received = smtp_settings.wait_for(2)

    def clock(moment, zone):
        return moment.astimezone(ZoneInfo(zone))

    toronto, chicago, tokyo = (
        clock(booking.starts_at, z) for z in ("America/Toronto", "America/Chicago", "Asia/Tokyo")
    )
    assert {toronto.hour, chicago.hour, tokyo.hour, booking.starts_at.hour} != {
        booking.starts_at.hour
    }
    [to_exec] = [r for r in received if r.rcpt_tos == [executive.email]]
    text = to_exec.message.get_body(preferencelist=("plain",)).get_content()
    assert f"{toronto:%A} {toronto.day} {toronto:%B %Y, %H:%M}" in text
    assert (
        f"{chicago:%H:%M}–{clock(booking.ends_at, 'America/Chicago'):%H:%M} in the queue's time zone (America/Chicago)"
        in text
    )
    assert to_exec.message["Subject"].endswith(f"{toronto:%a} {toronto.day} {toronto:%b %Y %H:%M}")
    [to_buddy] = [r for r in received if r.rcpt_tos == [buddy.email]]
    assert f"{tokyo:%H:%M}" in to_buddy.message.get_body(preferencelist=("plain",)).get_content()

    # Moved to another buddy's shift: the old buddy hears about the shift they were on.
    booking_reschedule(booking=booking, to_shift=other_buddy_shift, by=actor(executive))
    deliver_all()
    [cancel] = [r for r in smtp_settings.wait_for(5)[2:] if r.rcpt_tos == [buddy.email]]
    body = cancel.message.get_body(preferencelist=("plain",)).get_content()
    assert f"{tokyo:%H:%M}" in body and f"/shifts/{first.pk}/" in body
    assert f"/shifts/{other_buddy_shift.pk}/" not in body
    part, calendar = calendar_of(cancel.message)
    assert part.get_param("method") == "CANCEL" and calendar.vevent.sequence.value == "1"
    assert calendar.vevent.dtstart.value == first.starts_at


def test_a_cancellation_is_a_cancel_not_a_cancelled_request(trio, smtp_settings):
    executive, buddy, _, first, _, _ = trio
    booking = booking_create(shift=first, person=executive, by=actor(executive))
    booking_cancel(booking=booking, by=actor(executive), reason="Customer visit")
    for pk in OutgoingEmail.objects.filter(method="CANCEL").values_list("pk", flat=True):
        outbox.deliver(pk)
    received = smtp_settings.wait_for(2)
    for item in received:
        part, cal = calendar_of(item.message)
        assert cal.method.value == "CANCEL" == part.get_param("method")
        assert cal.vevent.status.value == "CANCELLED"
        assert int(cal.vevent.sequence.value) == 1
        assert not hasattr(cal.vevent, "valarm")
        assert item.message["Subject"].startswith("Cancelled:")
        assert [a.get_filename() for a in item.message.iter_attachments()] == ["cancel.ics"]
        # The calendar entry itself says why, for whoever reads it there and not the email.
        assert cal.vevent.description.value.startswith("Cancelled: Customer visit")
    text = (
        [r for r in received if r.rcpt_tos == [executive.email]][0]
        .message.get_body(preferencelist=("plain",))
        .get_content()
    )
    assert "Customer visit" in text


def test_delivery_is_idempotent_and_the_stored_bytes_are_what_went_out(trio, smtp_settings):
    executive, *_, first, _, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    row = OutgoingEmail.objects.get(to_email=executive.email)

    assert outbox.deliver(row.pk) == outbox.Delivery.SENT
    assert outbox.deliver(row.pk) == outbox.Delivery.ALREADY_DONE
    [received] = smtp_settings.wait_for(1)
    row.refresh_from_db()
    assert received.raw.replace(b"\r\n", b"\n") == bytes(row.message).replace(b"\r\n", b"\n")
    assert row.subject == received.message["Subject"]


def test_rendering_twice_keeps_the_first_message(trio, smtp_settings):
    executive, *_, first, _, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    row = OutgoingEmail.objects.get(to_email=executive.email)
    outbox.render_missing([row.pk])
    first_bytes = bytes(OutgoingEmail.objects.get(pk=row.pk).message)
    assert b"\r\nFrom: Frontline" in first_bytes
    outbox.render_missing([row.pk])  # a second worker rendering later changes nothing
    assert bytes(OutgoingEmail.objects.get(pk=row.pk).message) == first_bytes


def test_a_refusing_server_counts_attempts_then_marks_failed_and_hr_can_retry(trio, smtp_settings):
    executive, *_, first, _, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    row = OutgoingEmail.objects.get(to_email=executive.email)
    smtp_settings.handler.refusing = True  # it answers 451 4.3.0 Try again later
    try_again = re.escape("SMTPDataError: (451, b'4.3.0 Try again later')")

    for attempt in (1, 2):
        with pytest.raises(outbox.SendFailed, match=try_again) as failed:
            outbox.deliver(row.pk)
        assert failed.value.outcome is outbox.Delivery.RETRY
        row.refresh_from_db()
        assert (row.status, row.attempts) == (EmailStatus.PENDING, attempt)
        assert "451" in row.last_error
        assert row.next_attempt_at > timezone.now()
        assert outbox.deliver(row.pk) is outbox.Delivery.NOT_DUE  # not before the pause ends
        OutgoingEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # it ends
    with pytest.raises(outbox.SendFailed, match=try_again) as failed:
        outbox.deliver(row.pk)
    assert failed.value.outcome is outbox.Delivery.FAILED
    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED
    assert outbox.deliver(row.pk) == outbox.Delivery.ALREADY_DONE

    smtp_settings.handler.refusing = False
    outbox.retry_failed(row)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 0)
    assert outbox.deliver(row.pk) == outbox.Delivery.SENT
    assert len(smtp_settings.wait_for(1)) == 1


def test_permanent_and_transient_faults_are_told_apart(trio, smtp_settings, settings):
    executive, *_, first, _, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    row = OutgoingEmail.objects.get(to_email=executive.email)
    settings.EMAIL_PORT = 1  # nothing listens: a transient fault, not a permanent one
    # The error number is the system's (111 on Linux, 61 on macOS).
    with pytest.raises(
        outbox.SendFailed, match=r"ConnectionRefusedError: \[Errno \d+\] Connection refused"
    ) as failed:
        outbox.deliver(row.pk)
    assert failed.value.outcome is outbox.Delivery.RETRY

    import smtplib

    assert outbox.is_permanent(
        smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")})
    )
    assert not outbox.is_permanent(smtplib.SMTPRecipientsRefused({"x@example.com": (450, b"busy")}))
    assert outbox.is_permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not outbox.is_permanent(smtplib.SMTPDataError(451, b"later"))


def test_backoff_doubles_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    assert [outbox.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.retry_delay(20) == 3600


def test_the_sweep_re_enqueues_only_what_is_stuck(
    trio, settings, django_capture_on_commit_callbacks
):
    executive, *_, first, _, _ = trio
    settings.OUTBOX_STUCK_AFTER_SECONDS = 60
    booking_create(shift=first, person=executive, by=actor(executive))
    stuck, fresh = OutgoingEmail.objects.order_by("pk")
    OutgoingEmail.objects.filter(pk=stuck.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )

    from unittest import mock

    with mock.patch("rotations.invites.outbox.kick") as kick:
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.sweep_stuck() == 1
    kick.assert_called_once_with()  # the task it sets off sends every due row
    stuck.refresh_from_db()
    assert stuck.next_attempt_at > timezone.now() - timedelta(seconds=5)


def test_a_queue_brief_with_unicode_and_long_lines_survives_the_trip(trio, smtp_settings):
    executive, *_, first, _, _ = trio
    first.queue.brief = "Réponds aux clients — 日本語のチャットも。 " * 8
    first.queue.save()
    booking_create(shift=first, person=executive, by=actor(executive))
    deliver_all()
    for item in smtp_settings.wait_for(2):
        _, cal = calendar_of(item.message)
        assert cal.vevent.description.value.startswith("Réponds aux clients — 日本語のチャットも。")
        raw_lines = item.raw.split(b"\r\n")
        assert max(len(line) for line in raw_lines) <= 998
        email.message_from_bytes(item.raw, policy=email.policy.strict)


def test_received_invites_store_in_a_real_caldav_server_at_the_right_local_hour(
    executive, smtp_settings, settings, request
):
    """Two 09:00 New York shifts either side of the 2027 daylight-saving change (14
    March): the invites the mail server received, stored in Radicale and read back, start
    at 09:00 New York time both times."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from tests.caldav import RadicaleServer, without_method
    from tests.helpers import need

    try:
        import radicale  # noqa: F401 -- only whether it imports
    except ImportError:
        need(False, "Radicale is not installed")
    new_york = ZoneInfo("America/New_York")
    queue = QueueFactory(time_zone="America/New_York", booking_window_days=400)
    # Booked in January 2027, whatever today is: the shifts are then still ahead.
    traveller = time_machine.travel(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC), tick=True)
    traveller.start()
    request.addfinalizer(traveller.stop)
    shifts = [
        ShiftFactory(
            queue=queue,
            starts_at=dt.datetime(2027, 3, day, 9, tzinfo=new_york),
            ends_at=dt.datetime(2027, 3, day, 13, tzinfo=new_york),
        )
        for day in (9, 16)
    ]
    for shift in shifts:
        booking_create(shift=shift, person=executive, by=actor(executive))
    deliver_all()
    received = smtp_settings.wait_for(2)

    server = RadicaleServer().start()
    try:
        server.make_calendar("invites")
        starts = []
        for index, item in enumerate(received):
            part, _ = calendar_of(item.message)
            stored = server.put(
                "invites", f"invite-{index}.ics", without_method(part.get_payload(decode=True))
            )
            assert stored.status in (201, 204), stored.body
            back = vobject.readOne(server.get("invites", f"invite-{index}.ics").body.decode())
            starts.append(back.vevent.dtstart.value.astimezone(new_york))
    finally:
        server.stop()
    assert sorted((s.date().isoformat(), s.strftime("%H:%M")) for s in starts) == [
        ("2027-03-09", "09:00"),
        ("2027-03-16", "09:00"),
    ]
    # The same instant is 14:00 UTC before the change and 13:00 UTC after it.
    assert sorted(s.astimezone(dt.UTC).hour for s in starts) == [13, 14]


def test_rendering_a_move_that_drops_a_buddy_looks_up_the_old_shift_once(
    trio, django_assert_num_queries
):
    executive, buddy, other_buddy, first, _, other_buddy_shift = trio
    booking = booking_create(shift=first, person=executive, by=actor(executive))
    booking_reschedule(booking=booking, to_shift=other_buddy_shift, by=actor(executive))
    change = CalendarChange.objects.get(booking=booking, sequence=1)
    rows = list(OutgoingEmail.objects.filter(calendar_change=change).values_list("pk", flat=True))
    assert len(rows) == 3  # REQUEST to the executive and the new buddy, CANCEL to the old one

    # The rows with their relations, their siblings, the change before (for the CANCEL), the store.
    with django_assert_num_queries(4):
        outbox.render_missing(rows)
    assert not OutgoingEmail.objects.filter(pk__in=rows, message=b"").exists()


# --- one task for the changes of a moment ---------------------------------------------------


def test_changes_within_the_window_publish_one_task_that_sends_them_all(
    trio, smtp_settings, settings, django_capture_on_commit_callbacks
):
    """Publishing a task per booking cost more CPU than the booking's own work: the
    changes of one window share a task, which starts after the window has closed."""
    executive, buddy, _, first, later, other = trio
    settings.OUTBOX_BATCH_SECONDS = 1
    from unittest import mock

    from rotations.invites.tasks import send_due_emails

    with mock.patch.object(send_due_emails, "apply_async") as publish:
        for shift, person in (
            (first, executive),
            (later, PersonFactory(roles=["Executive"])),
            (other, buddy),
        ):
            with django_capture_on_commit_callbacks(execute=True):
                if person is buddy:  # a third change of another kind: HR's retry
                    row = OutgoingEmail.objects.order_by("pk").first()
                    OutgoingEmail.objects.filter(pk=row.pk).update(status=EmailStatus.FAILED)
                    outbox.retry_failed(row)
                else:
                    booking_create(shift=shift, person=person, by=actor(person))
    publish.assert_called_once_with((), countdown=2)  # the key lives 1 s: the task starts after it

    assert send_due_emails.apply().get() == 4  # what the one task does when it runs
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 4
    assert len(smtp_settings.wait_for(4)) == 4


def book_another_executive(shift):
    """A second executive books ``shift`` for themselves."""
    other = PersonFactory(roles=["Executive"])
    return booking_create(shift=shift, person=other, by=actor(other))


def test_after_the_window_the_next_change_publishes_again(
    trio, settings, django_capture_on_commit_callbacks
):
    executive, _, _, first, later, _ = trio
    settings.OUTBOX_BATCH_SECONDS = 1
    from unittest import mock

    from django.core.cache import cache

    from rotations.invites.tasks import send_due_emails

    with mock.patch.object(send_due_emails, "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            booking_create(shift=first, person=executive, by=actor(executive))
        cache.delete(outbox.KICK_KEY)  # as it expires after the window
        with django_capture_on_commit_callbacks(execute=True):
            book_another_executive(later)
    assert publish.call_count == 2


def test_without_a_window_every_change_publishes(
    trio, settings, django_capture_on_commit_callbacks
):
    executive, _, _, first, later, _ = trio
    settings.OUTBOX_BATCH_SECONDS = 0
    from unittest import mock

    from rotations.invites.tasks import send_due_emails

    with mock.patch.object(send_due_emails, "apply_async") as publish:
        for shift in (first, later):
            with django_capture_on_commit_callbacks(execute=True):
                book_another_executive(shift)
    assert publish.call_count == 2


def test_a_broker_that_is_down_does_not_fail_the_committed_change(
    trio, settings, django_capture_on_commit_callbacks
):
    executive, _, _, first, later, _ = trio
    settings.OUTBOX_BATCH_SECONDS = 1
    from unittest import mock

    from rotations.invites.tasks import send_due_emails

    # (Django's own commit runs a robust hook the same way, and logs to its backend logger.)
    with (
        mock.patch.object(
            send_due_emails, "apply_async", side_effect=ConnectionError("broker down")
        ),
        mock.patch("django.test.testcases.logger") as logger,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            booking = booking_create(shift=first, person=executive, by=actor(executive))
    assert (
        booking.pk
        and OutgoingEmail.objects.filter(booking=booking, status=EmailStatus.PENDING).count() == 2
    )
    assert "broker down" in str(
        logger.error.call_args
    )  # the rows wait for the next task or the sweep

    # The failed publish does not hold the window: the next change publishes at once.
    with mock.patch.object(send_due_emails, "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            book_another_executive(later)
    publish.assert_called_once_with((), countdown=2)


def test_the_due_task_sends_new_rows_and_due_retries_and_ends_on_rows_it_cannot_send(
    trio, smtp_settings, settings
):
    executive, _, _, first, later, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    book_another_executive(later)
    waiting, unrenderable, *due = OutgoingEmail.objects.order_by("pk")
    # A retry whose pause is not over yet waits; new rows go whatever their time says.
    OutgoingEmail.objects.filter(pk=waiting.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    OutgoingEmail.objects.filter(pk=due[0].pk).update(
        next_attempt_at=timezone.now() + timedelta(days=300)
    )
    from unittest import mock

    settings.OUTBOX_MAX_ATTEMPTS = 3
    with (
        mock.patch.object(outbox, "DUE_BATCH", 1),
        mock.patch(
            "rotations.invites.rendering.render_all",
            side_effect=lambda rows, siblings: {
                r.pk: ("Invite", b"Subject: x\r\n\r\nbody") for r in rows if r.pk != unrenderable.pk
            },
        ),
    ):
        tried, failures = outbox.send_due()
    assert (tried, failures) == (3, [])  # one batch at a time; the unrenderable row tried once
    assert {r.pk for r in OutgoingEmail.objects.filter(status=EmailStatus.SENT)} == {
        r.pk for r in due
    }
    assert OutgoingEmail.objects.get(pk=waiting.pk).status == EmailStatus.PENDING
    assert OutgoingEmail.objects.get(pk=unrenderable.pk).status == EmailStatus.PENDING


def test_a_row_that_cannot_be_rendered_does_not_hold_up_the_rest(trio, smtp_settings):
    executive, _, _, first, later, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    book_another_executive(later)
    broken = OutgoingEmail.objects.order_by("pk").first()  # the oldest: first in every batch
    from unittest import mock

    from rotations.invites import rendering

    real = rendering.render_all

    def render_all(rows, siblings):
        if any(r.pk == broken.pk for r in rows):
            raise ValueError("a template bug")
        return real(rows, siblings=siblings)

    with mock.patch.object(rendering, "render_all", side_effect=render_all):
        tried, failures = outbox.send_due()
    assert (tried, failures) == (4, [])
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 3
    assert (
        OutgoingEmail.objects.get(pk=broken.pk).status == EmailStatus.PENDING
    )  # and a log says why


def test_a_retry_is_never_tried_before_its_pause_ends_and_a_task_wakes_for_it(
    trio, smtp_settings, settings
):
    executive, _, _, first, _, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    row = OutgoingEmail.objects.order_by("pk").first()
    pause_ends = timezone.now() + timedelta(minutes=4)
    OutgoingEmail.objects.filter(pk=row.pk).update(attempts=3, next_attempt_at=pause_ends)
    from unittest import mock

    from rotations.invites.tasks import send_due_emails, send_outgoing_emails

    # A task naming the row (one queued before batching, or a duplicate) does not send it.
    assert send_outgoing_emails.apply(args=[[row.pk]]).get() == 1
    assert outbox.deliver(row.pk) is outbox.Delivery.NOT_DUE
    with mock.patch.object(send_due_emails, "apply_async") as wake:
        assert send_due_emails.apply().get() == 1  # the other, new row
        send_due_emails.apply().get()  # a second run asks for the same wake: one is set
    assert wake.call_count == 1
    assert 230 < wake.call_args.kwargs["countdown"] <= 240
    row.refresh_from_db()
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 3)
    assert len(smtp_settings.received) == 1


def test_a_task_woken_a_moment_before_a_retry_is_due_still_sends_it(trio, smtp_settings):
    executive, _, _, first, _, _ = trio
    booking_create(shift=first, person=executive, by=actor(executive))
    OutgoingEmail.objects.update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(milliseconds=300)
    )
    assert outbox.send_due() == (2, [])  # not "not due yet", with no task left to come back
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 2
