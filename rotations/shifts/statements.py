"""The booking path's statements, written out in SQL, beside the rules that use them.

On this stack the ORM spends about 0.7 ms of CPU compiling a query and building its
results, against about 0.2 ms for running the statement itself; a booking makes seven
statements, so here the compiling was most of the request (``rotations.common.sql``
has the helpers that keep these statements reading and writing model instances as
the ORM would). Hand-written SQL lives only in modules like this one, beside the
domain that needs it, and only on a path measured to need it.

Two rules hold however many requests race because the database decides them here:

* capacity: ``take_seat`` is a conditional ``UPDATE … WHERE seats_taken < capacity``;
  the row count says who won, and a check constraint backs it up;
* one person, one time: ``lock_person`` (or ``fresh_shift(…, locking=…)``) holds the
  person's row before their calendar is read, so two bookings of one person are
  decided one after the other.

Locks are always taken person first, then shifts, so concurrent changes cannot deadlock.
"""

from __future__ import annotations

import enum
from datetime import datetime

from django.db import connection
from django.db.transaction import TransactionManagementError

from rotations.common.sql import Columns, concrete_field, param, storable_id
from rotations.models import SEAT_HOLDING, Booking, Person, Queue, Shift
from rotations.shifts.models import BOOKED_DETAILS, same_booked_details

_SHIFT = Columns(Shift, "s")
_QUEUE = Columns(Queue, "q")
_BUDDY = Columns(Person, "p")
_CALENDAR = Columns(Booking, "b", ["starts_at", "ends_at", "shift"])


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


def fresh_shift(shift: Shift, *, locking: Person | None = None) -> Shift:
    """The shift as stored now, with its queue and buddy; with ``locking``, that person
    locked as ``lock_person`` does, in the same statement (a booking's first round trip).

    Read together, the shift is as of just before any wait for the lock: what changed
    meanwhile is caught where it matters, by the seat's ``UPDATE`` (``take_seat``).
    """
    if locking is None:
        tables, where, params, lock = "", "s.id = %s", [shift.pk], ""
    else:
        if not connection.in_atomic_block:
            raise TransactionManagementError(
                "fresh_shift locks a person only inside a transaction."
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


def calendar_of(
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


class Seat(enum.Enum):
    TAKEN = "taken"
    GONE = "gone"  # taken off the schedule meanwhile
    CHANGED = "changed"  # its times, buddy or place changed since the booking read it
    FULL = "full"


def take_seat(shift: Shift) -> Seat:
    """One seat, if the shift still has one and is still the shift the booking read.

    A lead's pattern edit may move an unbooked shift between the booking's read and this
    statement (it locks the shifts, not the people who are only about to book); without
    the check, the booking and its invites would keep the old times or buddy. The
    fields compared are what a booking copies or its invites say (``BOOKED_DETAILS``).
    """
    unchanged, params = [], [shift.pk]
    for field in (concrete_field(Shift, name) for name in BOOKED_DETAILS):
        value = getattr(shift, field.attname)
        if value is None:
            unchanged.append(f" AND {field.column} IS NULL")
        else:
            unchanged.append(f" AND {field.column} = %s")
            params.append(param(Shift, field.name, value))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Shift._meta.db_table} SET seats_taken = seats_taken + 1"
            " WHERE id = %s AND NOT is_cancelled AND seats_taken < capacity" + "".join(unchanged),
            params,
        )
        won = cursor.rowcount
    if won:
        shift.seats_taken += 1
        return Seat.TAKEN
    # Waiting on the seat, the shift may have been taken off the schedule or changed.
    now = Shift.objects.filter(pk=shift.pk, is_cancelled=False).first()
    if now is None:
        return Seat.GONE
    if not same_booked_details(now, shift):
        return Seat.CHANGED
    return Seat.FULL


def release_seat(shift_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Shift._meta.db_table} SET seats_taken = seats_taken - 1"
            " WHERE id = %s AND seats_taken > 0",
            [shift_id],
        )
