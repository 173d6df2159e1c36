"""Booking, rescheduling and cancelling seats on shifts, and marking attendance.

Every rule lives here, once. Two of them must hold however many requests race, so the
database enforces them inside the transaction rather than a check followed by a write:

* capacity: a seat is taken by a conditional ``UPDATE … WHERE seats_taken < capacity``;
  the row count says who won, and a check constraint backs it up;
* one person, one time: the person's row is locked (``SELECT … FOR UPDATE``) before their
  calendar is read, so two bookings of one person are decided one after the other.

Locks are always taken person first, then shifts, so concurrent changes cannot deadlock.

A booking's statements are written out in SQL beside it (``rotations.shifts.statements``
says why, and how the database decides the two rules above); the rules read the same
model instances the ORM would have built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from rotations.common.errors import Refused
from rotations.common.sql import insert
from rotations.common.timezones import day_and_time
from rotations.invites.services import record_invites
from rotations.models import (
    Booking,
    BookingStatus,
    CalendarChange,
    CalendarChangeKind,
    Person,
    Shift,
)
from rotations.shifts.caching import shifts_changed
from rotations.shifts.statements import (
    Seat,
    calendar_of,
    fresh_shift,
    lock_person,
    release_seat,
    take_seat,
)


class BookingRefused(Refused):
    """A booking rule stopped the request; ``message`` is for the person who asked."""


# Said to a support lead who acts for someone on a queue they do not lead.
NOT_YOUR_QUEUE = "Support leads book, move and cancel for others only on the queues they lead."


@dataclass(frozen=True)
class Actor:
    """Who is making the change, and on which queues they act for others: book, move and
    cancel someone else's booking, and override minimum notice. ``None``: every queue
    (HR); the ids of the queues they lead (a support lead); none (an executive)."""

    person: Person
    for_others_on: frozenset[int] | None = frozenset()

    def acts_for_others_on(self, queue_id: int) -> bool:
        return self.for_others_on is None or queue_id in self.for_others_on

    @property
    def acts_for_others(self) -> bool:
        return self.for_others_on is None or bool(self.for_others_on)


def booking_create(
    *, shift: Shift, person: Person, by: Actor, override_notice: bool = False
) -> Booking:
    """Seat ``person`` on ``shift``."""
    if not person.is_active or not person.has_perm("rotations.book_shift"):
        raise BookingRefused(
            "not_executive", f"{person} is not an executive taking part in Frontline."
        )
    with transaction.atomic():
        shift = fresh_shift(shift, locking=person)
        _check_acts_for(by, person, shift.queue_id)
        now = timezone.now()
        override = _override(by, override_notice, shift.queue_id)
        _check_bookable(shift, now=now, override_notice=override)
        _check_person_free(person, shift)
        _take_seat(shift)
        booking = Booking(
            shift=shift,
            person=person,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            booked_by=by.person,
            sequence=0,
        )
        insert([booking])
        record_calendar_change(booking, CalendarChangeKind.BOOKED)
    return booking


def booking_reschedule(
    *, booking: Booking, to_shift: Shift, by: Actor, override_notice: bool = False
) -> Booking:
    """Move a booking to another shift: the same calendar event, one sequence higher."""
    with transaction.atomic():
        lock_person(booking.person)
        booking = _fresh_booking(booking)
        _check_acts_for(by, booking.person, booking.shift.queue_id)
        now = timezone.now()
        override = _override(by, override_notice, booking.shift.queue_id)
        _check_changeable(booking, now=now, override_notice=override, verb="moved")
        to_shift = fresh_shift(to_shift)
        _check_acts_for(by, booking.person, to_shift.queue_id)
        _override(by, override_notice, to_shift.queue_id)
        if to_shift.pk == booking.shift_id:
            raise BookingRefused("same_shift", "You are already booked on this shift.")
        _check_bookable(to_shift, now=now, override_notice=override)
        _check_person_free(booking.person, to_shift, ignore=booking)
        _take_seat(to_shift)
        release_seat(booking.shift_id)
        booking_apply_move(booking=booking, to_shift=to_shift)
    return booking


def booking_cancel(
    *, booking: Booking, by: Actor, reason: str, override_notice: bool = False
) -> Booking:
    """Give the seat back; the calendar event is cancelled (same event, higher sequence)."""
    reason = (reason or "").strip()
    if not reason:
        raise BookingRefused("reason_required", "Say why you are cancelling.")
    with transaction.atomic():
        lock_person(booking.person)
        booking = _fresh_booking(booking)
        _check_acts_for(by, booking.person, booking.shift.queue_id)
        _check_changeable(
            booking,
            now=timezone.now(),
            override_notice=_override(by, override_notice, booking.shift.queue_id),
            verb="cancelled",
        )
        release_seat(booking.shift_id)
        booking_apply_cancel(booking=booking, reason=reason)
    return booking


def booking_mark_attendance(*, booking: Booking, by: Person, attended: bool) -> Booking:
    """After the shift has started: attended or no-show (and it can be corrected)."""
    with transaction.atomic():
        booking = _fresh_booking(booking)
        if booking.status == BookingStatus.CANCELLED:
            raise BookingRefused("cancelled", "This booking was cancelled.")
        if booking.starts_at > timezone.now():
            raise BookingRefused(
                "not_started", "Attendance can be marked once the shift has started."
            )
        booking.status = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
        booking.attendance_marked_by = by
        booking.save(update_fields=["status", "attendance_marked_by", "updated_at"])
    return booking


# --- the rules ------------------------------------------------------------------------


def _check_acts_for(by: Actor, person: Person, queue_id: int) -> None:
    """Someone else's booking is HR's on any queue, and a support lead's on the queues
    they lead (its pages and the API find out here, after the shift is read)."""
    if person.pk != by.person.pk and not by.acts_for_others_on(queue_id):
        raise PermissionDenied(NOT_YOUR_QUEUE)


def _override(by: Actor, requested: bool, queue_id: int) -> bool:
    if requested and not by.acts_for_others_on(queue_id):
        raise BookingRefused(
            "override_not_allowed",
            "Only HR and the queue's support leads can override minimum notice.",
        )
    return requested


def _check_bookable(shift: Shift, *, now: datetime, override_notice: bool) -> None:
    queue = shift.queue
    if shift.is_cancelled:
        raise _cancelled()
    if queue.is_paused:
        reason = f" ({queue.pause_reason})" if queue.pause_reason else ""
        raise BookingRefused(
            "queue_paused", f"{queue.name} is paused for new bookings{reason}. Try another queue."
        )
    if shift.starts_at <= now:
        raise BookingRefused("shift_started", "This shift has already started.")
    if shift.starts_at > now + timedelta(days=queue.booking_window_days):
        raise BookingRefused(
            "outside_window",
            f"{queue.name} takes bookings at most {queue.booking_window_days} days ahead.",
        )
    if not override_notice and shift.starts_at < now + timedelta(hours=queue.min_notice_hours):
        raise BookingRefused(
            "too_late",
            f"{queue.name} needs {queue.min_notice_hours} hours' notice to book a shift.",
        )
    if shift.is_full:
        raise BookingRefused("shift_full", "This shift is full.")


def _cancelled() -> BookingRefused:
    return BookingRefused("shift_cancelled", "This shift was cancelled.")


def _check_changeable(booking: Booking, *, now: datetime, override_notice: bool, verb: str) -> None:
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingRefused(
            "not_confirmed",
            f"Only a confirmed booking can be {verb}; this one is {booking.get_status_display().lower()}.",
        )
    if booking.starts_at <= now:
        raise BookingRefused("shift_started", f"The shift has started; it can no longer be {verb}.")
    queue = booking.shift.queue
    if not override_notice and booking.starts_at < now + timedelta(hours=queue.min_notice_hours):
        raise BookingRefused(
            "too_late",
            f"{queue.name} needs {queue.min_notice_hours} hours' notice for a booking to be {verb}.",
        )


def _check_person_free(person: Person, shift: Shift, *, ignore: Booking | None = None) -> None:
    """No two bookings of one person that overlap, and at most one shift a day.

    Runs with the person's row locked, so what it reads cannot change before the write.
    """
    zone = person.zone
    local_day = timezone.localtime(shift.starts_at, zone).date()
    day_start = datetime.combine(local_day, datetime.min.time(), tzinfo=zone)
    day_end = day_start + timedelta(days=1)
    window_start = min(shift.starts_at, day_start)
    window_end = max(shift.ends_at, day_end)
    others = calendar_of(person, window_start, window_end, ignore=ignore)
    if any(shift_id == shift.pk for *_, shift_id in others):
        raise BookingRefused("already_booked", "You already have this shift.")
    for starts_at, ends_at, queue_name, _ in others:
        if starts_at < shift.ends_at and ends_at > shift.starts_at:
            raise BookingRefused(
                "overlap",
                f"You are already booked at that time ({queue_name}, {day_and_time(starts_at, zone)}).",
            )
    for starts_at, _, queue_name, _ in others:
        if timezone.localtime(starts_at, zone).date() == local_day:
            raise BookingRefused(
                "one_a_day",
                f"You already have a shift that day ({queue_name}, {day_and_time(starts_at, zone)});"
                " book at most one a day.",
            )


def _take_seat(shift: Shift) -> None:
    """A seat on the shift as the booking read it, or the refusal that says why not."""
    seat = take_seat(shift)
    if seat is Seat.GONE:
        raise _cancelled()
    if seat is Seat.CHANGED:
        raise BookingRefused(
            "shift_changed",
            "This shift was changed a moment ago: look at its new details and book again.",
        )
    if seat is Seat.FULL:
        raise BookingRefused("shift_full", "This shift is full.")


def _fresh_booking(booking: Booking) -> Booking:
    return Booking.objects.select_related("shift__queue", "person").get(pk=booking.pk)


# --- the steps every change of a confirmed booking takes, here and in the pattern services ---


def booking_apply_move(*, booking: Booking, to_shift: Shift) -> None:
    """The booking now sits on ``to_shift`` as it is (a move, or its shift moved): its
    times are the shift's, and its calendar event is updated, one sequence higher.

    The caller holds the person's lock and has settled the seats."""
    booking.shift = to_shift
    booking.starts_at = to_shift.starts_at
    booking.ends_at = to_shift.ends_at
    booking.sequence += 1
    booking.save(update_fields=["shift", "starts_at", "ends_at", "sequence", "updated_at"])
    record_calendar_change(booking, CalendarChangeKind.RESCHEDULED)


def booking_apply_cancel(*, booking: Booking, reason: str) -> None:
    """The booking is cancelled with ``reason``, and every calendar that has it told.

    The caller holds the person's lock and has settled the seat."""
    booking.status = BookingStatus.CANCELLED
    booking.cancel_reason = reason[:500]
    booking.sequence += 1
    booking.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])
    record_calendar_change(booking, CalendarChangeKind.CANCELLED)


def record_calendar_change(booking: Booking, kind: CalendarChangeKind) -> CalendarChange:
    """The change the calendars must hear of; also the moment shift lists go stale.

    Its invites are written to the outbox in the same transaction, and sent after it.
    """
    shifts_changed()
    change = CalendarChange(
        booking=booking,
        shift=booking.shift,
        kind=kind,
        sequence=booking.sequence,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
    )
    insert([change])
    record_invites(change)
    return change
