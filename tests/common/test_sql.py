"""The written-out statements' helpers must read and write exactly what the ORM would,
on SQLite and on PostgreSQL (the suite runs on both)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from rotations.common.sql import Columns, insert, param
from rotations.models import (
    Booking,
    CalendarChange,
    CalendarChangeKind,
    OutgoingEmail,
    Queue,
    Shift,
)
from tests.factories import PersonFactory, QueueFactory, ShiftFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_a_built_instance_equals_the_orm_one_field_for_field():
    queue = QueueFactory(
        time_zone="Europe/Berlin", opens_at=time(8, 30), is_paused=True, pause_reason="Outage"
    )
    shift = ShiftFactory(queue=queue, buddy=PersonFactory(), location="Floor 2")
    columns_shift, columns_queue = Columns(Shift, "s"), Columns(Queue, "q")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns_shift.sql}, {columns_queue.sql} FROM rotations_shift s"
            " JOIN rotations_queue q ON q.id = s.queue_id WHERE s.id = %s",
            [shift.pk],
        )
        row = cursor.fetchone()
    built_shift = columns_shift.build(row)
    built_queue = columns_queue.build(row, len(columns_shift))

    assert _fields(built_shift) == _fields(Shift.objects.get(pk=shift.pk))
    assert _fields(built_queue) == _fields(Queue.objects.get(pk=queue.pk))
    # Converted, not raw backend values: aware datetimes, booleans, times.
    assert built_shift.starts_at.tzinfo is not None
    assert built_queue.is_paused is True and built_queue.opens_at == time(8, 30)
    assert not built_shift._state.adding and built_shift._state.db == "default"


def test_a_subset_of_columns_gives_converted_values():
    booking = Booking.objects.create(
        shift=ShiftFactory(),
        person=PersonFactory(),
        starts_at=datetime(2031, 3, 4, 9, tzinfo=UTC),
        ends_at=datetime(2031, 3, 4, 13, tzinfo=UTC),
    )
    columns = Columns(Booking, "b", ["uid", "starts_at", "shift"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql} FROM rotations_booking b WHERE b.id = %s", [booking.pk]
        )
        values = columns.values(cursor.fetchone())
    assert values == [booking.uid, datetime(2031, 3, 4, 9, tzinfo=UTC), booking.shift_id]
    assert isinstance(values[0], uuid.UUID)


def test_params_compare_with_stored_values_as_the_orm_does():
    booking = Booking.objects.create(
        shift=ShiftFactory(),
        person=PersonFactory(),
        starts_at=datetime(2031, 3, 4, 9, tzinfo=UTC),
        ends_at=datetime(2031, 3, 4, 13, tzinfo=UTC),
    )
    # The same instant given in another zone must still match (SQLite stores text).
    same_instant = datetime(2031, 3, 4, 10, tzinfo=timezone.get_fixed_timezone(60))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM rotations_booking WHERE starts_at = %s AND uid = %s",
            [param(Booking, "starts_at", same_instant), param(Booking, "uid", booking.uid)],
        )
        assert cursor.fetchall() == [(booking.pk,)]
        cursor.execute(
            "SELECT id FROM rotations_booking WHERE starts_at < %s",
            [param(Booking, "starts_at", same_instant + timedelta(microseconds=1))],
        )
        assert cursor.fetchall() == [(booking.pk,)]


def test_insert_writes_what_create_would_and_sets_the_ids():
    shift, person = ShiftFactory(), PersonFactory()
    booking = Booking(
        shift=shift,
        person=person,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        booked_by=person,
    )
    before = timezone.now()
    insert([booking])

    assert booking.pk is not None and not booking._state.adding
    stored = Booking.objects.get(pk=booking.pk)
    assert _fields(stored) == _fields(booking)
    assert before <= stored.created_at <= timezone.now()  # auto_now_add was applied
    assert stored.uid == booking.uid and stored.status == "confirmed"  # defaults


def test_insert_of_several_rows_gives_each_its_own_id_in_order():
    shift, person = ShiftFactory(), PersonFactory()
    booking = Booking.objects.create(
        shift=shift, person=person, starts_at=shift.starts_at, ends_at=shift.ends_at
    )
    change = CalendarChange(
        booking=booking,
        shift=shift,
        kind=CalendarChangeKind.BOOKED,
        sequence=0,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
    )
    insert([change])
    now = timezone.now()
    rows = [
        OutgoingEmail(
            key=f"k-{n}",
            kind="invite",
            booking=booking,
            calendar_change=change,
            recipient=person,
            to_email=f"person{n}@example.com",
            method="REQUEST",
            next_attempt_at=now,
        )
        for n in range(3)
    ]
    insert(rows)

    assert [OutgoingEmail.objects.get(pk=row.pk).to_email for row in rows] == [
        row.to_email for row in rows
    ]
    assert OutgoingEmail.objects.get(pk=rows[0].pk).message == b""
    insert([])  # nothing to write is not an error


def test_insert_refuses_rows_that_already_have_an_id():
    shift = ShiftFactory()
    with pytest.raises(
        ValueError, match="insert\\(\\) writes new rows whose every value Python sets"
    ):
        insert([Shift.objects.get(pk=shift.pk)])


def test_insert_refuses_a_model_whose_saves_have_receivers():
    """Shift, Queue and ShiftPattern saves move the shift lists' version (apps.py):
    a written-out insert would skip that, so it is refused."""
    queue = QueueFactory()
    shift = Shift(
        queue=queue, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1)
    )
    with pytest.raises(ValueError, match="Shift has save signal receivers: save it with the ORM"):
        insert([shift])
    assert not Shift.objects.exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite was ever without RETURNING")
def test_insert_without_returning_sets_the_ids_one_row_at_a_time(monkeypatch):
    """SQLite before 3.35 has no RETURNING; Django 5.2 still supports it."""
    shift, person = ShiftFactory(), PersonFactory()
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    bookings = [
        Booking(
            shift=ShiftFactory(), person=person, starts_at=shift.starts_at, ends_at=shift.ends_at
        )
        for _ in range(2)
    ]
    insert(bookings)
    assert [Booking.objects.get(pk=b.pk).shift_id for b in bookings] == [
        b.shift_id for b in bookings
    ]


def test_the_session_backend_reads_the_person_as_the_orm_does():
    from django.contrib.auth.backends import ModelBackend

    from rotations.common.auth import CachedPermissionsBackend

    person = PersonFactory(time_zone="Asia/Manila")
    ours, djangos = CachedPermissionsBackend(), ModelBackend()
    assert _fields(ours.get_user(person.pk)) == _fields(djangos.get_user(person.pk))
    assert ours.get_user(person.pk + 1000) is None
    assert ours.get_user(2**64) is None  # past any id: not found, never an overflow
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert ours.get_user(person.pk) is None is djangos.get_user(person.pk)


@pytest.mark.parametrize(
    "roles", [[], ["Executive"], ["Executive", "Support lead"], ["HR admin", "Front-line employee"]]
)
@pytest.mark.parametrize("direct", [False, True])
def test_the_person_read_for_a_request_holds_the_permissions_modelbackend_computes(roles, direct):
    """The session's and the token's statements read the person's permissions with
    them; they must be ModelBackend's, from groups and direct grants alike."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Permission
    from rest_framework.authtoken.models import Token

    from rotations.api.authentication import TokenAuthentication
    from rotations.common.auth import CachedPermissionsBackend

    person = PersonFactory(roles=roles)
    if direct:
        person.user_permissions.add(Permission.objects.get(codename="view_shift"))
    expected = ModelBackend().get_all_permissions(type(person).objects.get(pk=person.pk))
    assert bool(expected) == bool(roles or direct)

    from_session = CachedPermissionsBackend().get_user(person.pk)
    from_token, _ = TokenAuthentication().authenticate_credentials(
        Token.objects.create(user=person).key
    )
    for read in (from_session, from_token):
        assert read._perm_cache == expected
        assert read.get_all_permissions() == expected


def test_a_superuser_read_for_a_request_has_every_permission():
    from django.contrib.auth.models import Permission

    from rotations.common.auth import CachedPermissionsBackend

    person = PersonFactory(is_superuser=True)
    read = CachedPermissionsBackend().get_user(person.pk)
    assert not hasattr(read, "_perm_cache")  # ModelBackend's own rule: all of them
    assert len(read.get_all_permissions()) == Permission.objects.count()
