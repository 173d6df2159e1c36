"""Booking, rescheduling and cancelling seats on shifts, and marking attendance.

Every rule lives here, once. Two of them must hold however many requests race, so the
database enforces them inside the transaction rather than a check followed by a write:

* capacity: a seat is taken by a conditional ``UPDATE … WHERE seats_taken < capacity``;
  the row count says who won, and a check constraint backs it up;
* one person, one time: the person's row is locked (``SELECT … FOR UPDATE``) before their
  calendar is read, so two bookings of one person are decided one after the other.

Locks are always taken person first, then shifts, so concurrent changes cannot deadlock.

A booking's statements are written out in SQL (``rotations.common.sql`` says why); the rules
read the same model instances the ORM would have built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from rotations.common.sql import Columns, insert, param, storable_id
from rotations.common.timezones import day_and_time
from rotations.invites.services import record_invites
from rotations.models import (
    SEAT_HOLDING,
    Booking,
    BookingStatus,
    CalendarChange,
    CalendarChangeKind,
    Person,
    Queue,
    Shift,
)
from rotations.shifts.caching import shifts_changed

# The booking path's statements are written out (see ``rows``): these are their columns.
_SHIFT = Columns(Shift, "s")
_QUEUE = Columns(Queue, "q")
_BUDDY = Columns(Person, "p")
_CALENDAR = Columns(Booking, "b", ["starts_at", "ends_at", "shift"])


class BookingRefused(Exception):
    """A booking rule stopped the request; ``message`` is for the person who asked."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Actor:
    """Who is making the change, and whether they may override minimum notice."""

    person: Person
    may_override_notice: bool = False


def booking_create(
    *, shift: Shift, person: Person, by: Actor, override_notice: bool = False
) -> Booking:
    """Seat ``person`` on ``shift``."""
    if not person.is_active or not person.has_perm("rotations.book_shift"):
        raise BookingRefused(
            "not_executive", f"{person} is not an executive taking part in Frontline."
        )
    with transaction.atomic():
        shift = _fresh_shift(shift, locking=person)
        now = timezone.now()
        _check_bookable(shift, now=now, override_notice=_override(by, override_notice))
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
    override = _override(by, override_notice)
    with transaction.atomic():
        lock_person(booking.person)
        booking = _fresh_booking(booking)
        now = timezone.now()
        _check_changeable(booking, now=now, override_notice=override, verb="moved")
        to_shift = _fresh_shift(to_shift)
        if to_shift.pk == booking.shift_id:
            raise BookingRefused("same_shift", "You are already booked on this shift.")
        _check_bookable(to_shift, now=now, override_notice=override)
        _check_person_free(booking.person, to_shift, ignore=booking)
        _take_seat(to_shift)
        _release_seat(booking.shift_id)
        booking.shift = to_shift
        booking.starts_at = to_shift.starts_at
        booking.ends_at = to_shift.ends_at
        booking.sequence += 1
        booking.save(update_fields=["shift", "starts_at", "ends_at", "sequence", "updated_at"])
        record_calendar_change(booking, CalendarChangeKind.RESCHEDULED)
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
        _check_changeable(
            booking,
            now=timezone.now(),
            override_notice=_override(by, override_notice),
            verb="cancelled",
        )
        _release_seat(booking.shift_id)
        booking.status = BookingStatus.CANCELLED
        booking.cancel_reason = reason[:500]
        booking.sequence += 1
        booking.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])
        record_calendar_change(booking, CalendarChangeKind.CANCELLED)
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


def _override(by: Actor, requested: bool) -> bool:
    if requested and not by.may_override_notice:
        raise BookingRefused(
            "override_not_allowed", "Only support leads and HR can override minimum notice."
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
    others = _calendar_of(person, window_start, window_end, ignore=ignore)
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
                f"You already have a shift that day ({queue_name}, {day_and_time(starts_at, zone)}); book at most one a day.",
            )


# --- the statements: locks, reads, and the writes the database decides -------------------


def lock_person(person: Person) -> None:
    """Hold the person's row until the transaction ends: their bookings change one at a time.

    Plain SQL: this runs on every booking change, and the ORM's compiling cost three times
    the statement's own. SQLite has no row locks; its write transactions are serial anyway.
    """
    if not connection.in_atomic_block:
        raise TransactionManagementError("lock_person holds a lock only inside a transaction.")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Person._meta.db_table} WHERE id = %s{lock}", [person.pk])
        if cursor.fetchone() is None:
            raise Person.DoesNotExist


def lock_people(person_ids) -> None:
    """``lock_person`` for several people at once, in id order, so that two changes
    locking overlapping groups take them in the same order and never deadlock."""
    if not connection.in_atomic_block:
        raise TransactionManagementError("lock_people holds locks only inside a transaction.")
    list(
        Person.objects.filter(pk__in=person_ids)
        .order_by("pk")
        .select_for_update()
        .values_list("pk")
    )


def _fresh_shift(shift: Shift, *, locking: Person | None = None) -> Shift:
    """The shift as stored now, with its queue and buddy; with ``locking``, that person
    locked as ``lock_person`` does, in the same statement (a booking's first round trip).

    Read together, the shift is as of just before any wait for the lock: what changed
    meanwhile is caught where it matters, by the seat's ``UPDATE`` (``_take_seat``).
    """
    if locking is None:
        tables, where, params, lock = "", "s.id = %s", [shift.pk], ""
    else:
        if not connection.in_atomic_block:
            raise TransactionManagementError(
                "_fresh_shift locks a person only inside a transaction."
            )
        tables, where, params = (
            f"{Person._meta.db_table} me, ",
            "me.id = %s AND s.id = %s",
            [locking.pk, shift.pk],
        )
        lock = " FOR UPDATE OF me" if connection.features.has_select_for_update_of else ""
    if not storable_id(Shift, shift.pk):
        if locking is not None:
            lock_person(locking)
        raise Shift.DoesNotExist
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_SHIFT.sql}, {_QUEUE.sql}, {_BUDDY.sql}"
            f" FROM {tables}{Shift._meta.db_table} s"
            f" JOIN {Queue._meta.db_table} q ON q.id = s.queue_id"
            f" LEFT JOIN {Person._meta.db_table} p ON p.id = s.buddy_id"
            f" WHERE {where}{lock}",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        if locking is not None:
            lock_person(locking)  # which of the two is missing
        raise Shift.DoesNotExist
    fresh = _SHIFT.build(row)
    fresh.queue = _QUEUE.build(row, len(_SHIFT))
    fresh.buddy = _BUDDY.build(row, len(_SHIFT) + len(_QUEUE)) if fresh.buddy_id else None
    return fresh


def _calendar_of(
    person: Person, window_start: datetime, window_end: datetime, *, ignore: Booking | None
) -> list[tuple[datetime, datetime, str, int]]:
    """``(starts_at, ends_at, queue name, shift id)`` of the person's seat-holding
    bookings that touch the window: usually none, so only what a refusal needs."""
    sql = (
        f"SELECT {_CALENDAR.sql}, q.name FROM {Booking._meta.db_table} b"
        f" JOIN {Shift._meta.db_table} s ON s.id = b.shift_id"
        f" JOIN {Queue._meta.db_table} q ON q.id = s.queue_id"
        f" WHERE b.person_id = %s AND b.status IN ({', '.join(['%s'] * len(SEAT_HOLDING))})"
        " AND b.starts_at < %s AND b.ends_at > %s"
    )
    order = " ORDER BY b.starts_at"
    params = [
        person.pk,
        *(str(status) for status in SEAT_HOLDING),
        param(Booking, "starts_at", window_end),
        param(Booking, "ends_at", window_start),
    ]
    if ignore is not None:
        sql += " AND b.id <> %s"
        params.append(ignore.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql + order, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        starts_at, ends_at, shift_id = _CALENDAR.values(row)
        found.append((starts_at, ends_at, row[-1], shift_id))
    return found


def _fresh_booking(booking: Booking) -> Booking:
    return Booking.objects.select_related("shift__queue", "person").get(pk=booking.pk)


# What a booking copies from its shift or puts in its invites: the seat is taken only if
# they are still as the booking read them.
AS_READ = ("starts_at", "ends_at", "buddy", "location", "meeting_url")


def _take_seat(shift: Shift) -> None:
    """One seat, if the shift still has one and is still the shift the booking read.

    A lead's pattern edit may move an unbooked shift between the booking's read and this
    statement (it locks the shifts, not the people who are only about to book); without
    the check, the booking and its invites would keep the old times or buddy.
    """
    unchanged, params = [], [shift.pk]
    for field in map(Shift._meta.get_field, AS_READ):
        value = getattr(shift, field.attname)
        if value is None:
            unchanged.append(f" AND {field.column} IS NULL")
        else:
            unchanged.append(f" AND {field.column} = %s")
            params.append(param(Shift, field.name, value))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Shift._meta.db_table} SET seats_taken = seats_taken + 1"
            f" WHERE id = %s AND NOT is_cancelled AND seats_taken < capacity{''.join(unchanged)}",
            params,
        )
        won = cursor.rowcount
    if not won:
        # Waiting on the seat, the shift may have been taken off the schedule or changed.
        now = Shift.objects.filter(pk=shift.pk, is_cancelled=False).first()
        if now is None:
            raise _cancelled()
        if any(
            getattr(now, f.attname) != getattr(shift, f.attname)
            for f in map(Shift._meta.get_field, AS_READ)
        ):
            raise BookingRefused(
                "shift_changed",
                "This shift was changed a moment ago: look at its new details and book again.",
            )
        raise BookingRefused("shift_full", "This shift is full.")
    shift.seats_taken += 1


def _release_seat(shift_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Shift._meta.db_table} SET seats_taken = seats_taken - 1 WHERE id = %s AND seats_taken > 0",
            [shift_id],
        )


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
