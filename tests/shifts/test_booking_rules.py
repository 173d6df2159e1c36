"""Every booking rule, with the message a person sees when it stops them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from rotations.directory.roles import Role
from rotations.models import BookingStatus, CalendarChange, Shift
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import (
    BookingRefused,
    booking_cancel,
    booking_mark_attendance,
    booking_reschedule,
)
from tests.factories import PersonFactory, QueueFactory, ShiftFactory, book

# A Monday: every test reads the same calendar, whatever today's date is.
NOW = datetime(2027, 1, 4, 12, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def refused(code: str, message: str):
    """Assert the block raises BookingRefused with exactly this code and message."""

    class _Ctx:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            assert exc_type is BookingRefused, f"expected a refusal, got {exc_type}"
            assert (exc.code, exc.message) == (code, message)
            return True

    return _Ctx()


def at(days: float, hour: int = 14) -> timezone.datetime:
    base = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return base.replace(hour=hour)


class TestBook:
    def test_it_seats_the_executive_and_records_the_calendar_event(self, executive, queue):
        shift = ShiftFactory(queue=queue)
        booking = book(shift, executive)

        shift.refresh_from_db()
        assert shift.seats_taken == 1
        assert booking.status == BookingStatus.CONFIRMED
        assert (booking.starts_at, booking.ends_at, booking.sequence) == (
            shift.starts_at,
            shift.ends_at,
            0,
        )
        assert list(CalendarChange.objects.values_list("booking", "kind", "sequence")) == [
            (booking.pk, "booked", 0)
        ]

    def test_a_full_shift_cannot_be_booked(self, executive, queue):
        shift = ShiftFactory(queue=queue, capacity=1)
        book(shift, PersonFactory(roles=[Role.EXECUTIVE]))
        with refused("shift_full", "This shift is full."):
            book(shift, executive)

    def test_a_paused_queue_cannot_be_booked(self, executive, queue):
        queue.is_paused, queue.pause_reason = True, "incident in progress"
        queue.save()
        with refused(
            "queue_paused",
            "Billing chat is paused for new bookings (incident in progress). Try another queue.",
        ):
            book(ShiftFactory(queue=queue), executive)

    def test_outside_the_booking_window(self, executive, queue):
        shift = ShiftFactory(queue=queue, starts_at=at(91), ends_at=at(91) + timedelta(hours=4))
        with refused("outside_window", "Billing chat takes bookings at most 90 days ahead."):
            book(shift, executive)

    def test_minimum_notice_to_book(self, executive, queue):
        soon = timezone.now() + timedelta(hours=5)
        shift = ShiftFactory(queue=queue, starts_at=soon, ends_at=soon + timedelta(hours=4))
        with refused("too_late", "Billing chat needs 24 hours' notice to book a shift."):
            book(shift, executive)

    def test_a_lead_can_override_minimum_notice_for_an_executive(
        self, executive, support_lead, queue
    ):
        soon = timezone.now() + timedelta(hours=5)
        shift = ShiftFactory(queue=queue, starts_at=soon, ends_at=soon + timedelta(hours=4))
        booking = book(shift, executive, by=support_lead, override_notice=True)
        assert booking.booked_by == support_lead

    def test_an_executive_cannot_override_notice(self, executive, queue):
        with refused(
            "override_not_allowed",
            "Only HR and the queue's support leads can override minimum notice.",
        ):
            book(ShiftFactory(queue=queue), executive, override_notice=True)

    def test_a_started_shift_cannot_be_booked_even_with_override(
        self, executive, support_lead, queue
    ):
        past = timezone.now() - timedelta(minutes=5)
        shift = ShiftFactory(queue=queue, starts_at=past, ends_at=past + timedelta(hours=4))
        with refused("shift_started", "This shift has already started."):
            book(shift, executive, by=support_lead, override_notice=True)

    def test_a_cancelled_shift_cannot_be_booked(self, executive, queue):
        with refused("shift_cancelled", "This shift was cancelled."):
            book(ShiftFactory(queue=queue, is_cancelled=True), executive)

    def test_no_two_overlapping_bookings(self, executive, queue):
        first = ShiftFactory(queue=queue, starts_at=at(3, 14), ends_at=at(3, 18))
        other_queue = QueueFactory(name="Phone support", channel="phone")
        overlapping = ShiftFactory(queue=other_queue, starts_at=at(3, 16), ends_at=at(3, 20))
        book(first, executive)
        with refused(
            "overlap", "You are already booked at that time (Billing chat, Thu 7 Jan 09:00)."
        ):
            book(overlapping, executive)

    def test_at_most_one_shift_a_day_in_the_persons_own_day(self, executive, queue):
        # Executive in Toronto: 13:00–14:00 and 16:00–17:00 UTC are the same local day.
        first = ShiftFactory(queue=queue, starts_at=at(3, 13), ends_at=at(3, 14))
        later = ShiftFactory(queue=queue, starts_at=at(3, 16), ends_at=at(3, 17))
        book(first, executive)
        with refused(
            "one_a_day",
            "You already have a shift that day (Billing chat, Thu 7 Jan 08:00); book at most one a day.",
        ):
            book(later, executive)

    def test_the_same_shift_twice_is_refused(self, executive, queue):
        shift = ShiftFactory(queue=queue)
        book(shift, executive)
        with refused("already_booked", "You already have this shift."):
            book(shift, executive)

    def test_only_executives_can_be_booked(self, frontline_employee, support_lead, queue):
        with refused(
            "not_executive", "Fran Frontline is not an executive taking part in Frontline."
        ):
            book(ShiftFactory(queue=queue), frontline_employee, by=support_lead)


class TestReschedule:
    def test_it_moves_the_same_event_one_sequence_higher(self, executive, queue):
        old = ShiftFactory(queue=queue, starts_at=at(3), ends_at=at(3) + timedelta(hours=4))
        new = ShiftFactory(queue=queue, starts_at=at(5), ends_at=at(5) + timedelta(hours=4))
        booking = book(old, executive)
        uid = booking.uid

        moved = booking_reschedule(booking=booking, to_shift=new, by=actor(executive))

        old.refresh_from_db()
        new.refresh_from_db()
        assert (moved.pk, moved.uid, moved.sequence, moved.shift_id) == (booking.pk, uid, 1, new.pk)
        assert (moved.starts_at, moved.ends_at) == (new.starts_at, new.ends_at)
        assert (old.seats_taken, new.seats_taken) == (0, 1)
        assert list(
            CalendarChange.objects.order_by("sequence").values_list("kind", "sequence", "starts_at")
        ) == [
            ("booked", 0, old.starts_at),
            ("rescheduled", 1, new.starts_at),
        ]

    def test_minimum_notice_to_move(self, executive, queue):
        soon = timezone.now() + timedelta(hours=30)
        shift = ShiftFactory(queue=queue, starts_at=soon, ends_at=soon + timedelta(hours=4))
        booking = book(shift, executive)
        target = ShiftFactory(queue=queue, starts_at=at(6), ends_at=at(6) + timedelta(hours=4))
        with time_machine.travel(timezone.now() + timedelta(hours=10)):
            with refused(
                "too_late", "Billing chat needs 24 hours' notice for a booking to be moved."
            ):
                booking_reschedule(booking=booking, to_shift=target, by=actor(executive))

    def test_moving_to_a_full_shift_keeps_the_old_seat(self, executive, queue):
        booking = book(ShiftFactory(queue=queue), executive)
        full = ShiftFactory(
            queue=queue, capacity=1, starts_at=at(6), ends_at=at(6) + timedelta(hours=4)
        )
        book(full, PersonFactory(roles=[Role.EXECUTIVE]))
        with refused("shift_full", "This shift is full."):
            booking_reschedule(booking=booking, to_shift=full, by=actor(executive))
        booking.refresh_from_db()
        assert (booking.shift.seats_taken, booking.sequence) == (1, 0)

    def test_moving_to_the_same_shift_is_refused(self, executive, queue):
        booking = book(ShiftFactory(queue=queue), executive)
        with refused("same_shift", "You are already booked on this shift."):
            booking_reschedule(booking=booking, to_shift=booking.shift, by=actor(executive))

    def test_moving_within_the_same_day_is_not_a_clash_with_itself(self, executive, queue):
        booking = book(ShiftFactory(queue=queue, starts_at=at(3, 13), ends_at=at(3, 15)), executive)
        same_day = ShiftFactory(queue=queue, starts_at=at(3, 16), ends_at=at(3, 18))
        assert (
            booking_reschedule(booking=booking, to_shift=same_day, by=actor(executive)).shift
            == same_day
        )


class TestCancel:
    def test_it_frees_the_seat_and_cancels_the_event(self, executive, queue):
        booking = book(ShiftFactory(queue=queue), executive)
        cancelled = booking_cancel(
            booking=booking, by=actor(executive), reason="Board meeting moved"
        )
        assert (cancelled.status, cancelled.sequence, cancelled.cancel_reason) == (
            "cancelled",
            1,
            "Board meeting moved",
        )
        assert Shift.objects.get(pk=booking.shift_id).seats_taken == 0
        assert CalendarChange.objects.get(sequence=1).kind == "cancelled"

    def test_a_reason_is_required(self, executive, queue):
        booking = book(ShiftFactory(queue=queue), executive)
        with refused("reason_required", "Say why you are cancelling."):
            booking_cancel(booking=booking, by=actor(executive), reason="  ")

    def test_minimum_notice_to_cancel_and_the_lead_override(self, executive, support_lead, queue):
        soon = timezone.now() + timedelta(hours=30)
        booking = book(
            ShiftFactory(queue=queue, starts_at=soon, ends_at=soon + timedelta(hours=4)), executive
        )
        with time_machine.travel(timezone.now() + timedelta(hours=10)):
            with refused(
                "too_late", "Billing chat needs 24 hours' notice for a booking to be cancelled."
            ):
                booking_cancel(booking=booking, by=actor(executive), reason="Sick")
            booking = booking_cancel(
                booking=booking, by=actor(support_lead), reason="Sick", override_notice=True
            )
        assert booking.status == "cancelled"

    def test_a_cancelled_booking_cannot_be_cancelled_again(self, executive, queue):
        booking = book(ShiftFactory(queue=queue), executive)
        booking_cancel(booking=booking, by=actor(executive), reason="x")
        with refused(
            "not_confirmed", "Only a confirmed booking can be cancelled; this one is cancelled."
        ):
            booking_cancel(booking=booking, by=actor(executive), reason="again")

    def test_after_cancelling_the_shift_can_be_booked_again(self, executive, queue):
        shift = ShiftFactory(queue=queue)
        booking_cancel(booking=book(shift, executive), by=actor(executive), reason="x")
        assert book(shift, executive).status == "confirmed"


class TestAttendance:
    def test_not_before_the_shift_starts(self, executive, support_lead, queue):
        booking = book(ShiftFactory(queue=queue), executive)
        with refused("not_started", "Attendance can be marked once the shift has started."):
            booking_mark_attendance(booking=booking, by=support_lead, attended=True)

    def test_attended_or_no_show_after_it_starts(self, executive, support_lead, queue):
        booking = book(ShiftFactory(queue=queue), executive)
        with time_machine.travel(booking.starts_at + timedelta(hours=1)):
            assert (
                booking_mark_attendance(booking=booking, by=support_lead, attended=False).status
                == "no_show"
            )
            marked = booking_mark_attendance(booking=booking, by=support_lead, attended=True)
        assert (marked.status, marked.attendance_marked_by) == ("attended", support_lead)
