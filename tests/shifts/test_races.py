"""Many processes race for the last seats: the database lets exactly the right ones win.

Real concurrency needs a real server, so these run on PostgreSQL (CI sets DATABASE_URL);
SQLite takes one writer at a time and cannot race.
"""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from rotations.directory.roles import Role
from rotations.models import Booking, BookingStatus, Shift, ShiftPattern
from tests.factories import PersonFactory, QueueFactory, ShiftFactory
from tests.servers import database_url
from tests.shifts.race_worker import attempt

PROCESSES = 24


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("races are proven on PostgreSQL (set DATABASE_URL); SQLite has one writer")


def race(pairs: list[tuple[int, int]]) -> list[tuple]:
    """Start one process per (person, shift), release them together, collect outcomes."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    results = ctx.Queue()
    url = database_url()
    procs = [ctx.Process(target=attempt, args=(url, start, results, p, s)) for p, s in pairs]
    for proc in procs:
        proc.start()
    # Give every child time to import Django and load its rows before the gun.
    import time

    time.sleep(4)
    start.set()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
    return outcomes


def test_exactly_capacity_wins_the_last_seats(postgres):
    queue = QueueFactory(visitor_capacity=5)
    shift = ShiftFactory(queue=queue, capacity=5)
    # Two seats are already taken: 22 executives race for the last 3.
    early = PersonFactory.create_batch(2, roles=[Role.EXECUTIVE])
    for person in early:
        Booking.objects.create(
            shift=shift, person=person, starts_at=shift.starts_at, ends_at=shift.ends_at
        )
    Shift.objects.filter(pk=shift.pk).update(seats_taken=2)
    racers = PersonFactory.create_batch(PROCESSES - 2, roles=[Role.EXECUTIVE])

    outcomes = race([(p.pk, shift.pk) for p in racers])

    kinds = [o[0] for o in outcomes]
    assert "error" not in kinds, [o for o in outcomes if o[0] == "error"]
    assert kinds.count("booked") == 3
    refusals = {(o[3], o[4]) for o in outcomes if o[0] == "refused"}
    assert refusals == {("shift_full", "This shift is full.")}
    assert kinds.count("refused") == PROCESSES - 2 - 3
    shift.refresh_from_db()
    assert shift.seats_taken == 5
    assert Booking.objects.filter(shift=shift, status=BookingStatus.CONFIRMED).count() == 5


def test_a_person_racing_themselves_for_overlapping_shifts_gets_one(postgres):
    person = PersonFactory(roles=[Role.EXECUTIVE])
    start = (timezone.now() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    a = ShiftFactory(
        queue=QueueFactory(visitor_capacity=5),
        capacity=5,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
    )
    b = ShiftFactory(
        queue=QueueFactory(visitor_capacity=5),
        capacity=5,
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=5),
    )

    outcomes = race([(person.pk, a.pk if i % 2 else b.pk) for i in range(20)])

    kinds = [o[0] for o in outcomes]
    assert "error" not in kinds, [o for o in outcomes if o[0] == "error"]
    assert kinds.count("booked") == 1
    # Losers for the other shift overlap the winner; losers for the winner's shift hold it.
    assert {o[3] for o in outcomes if o[0] == "refused"} == {"overlap", "already_booked"}
    assert Booking.objects.filter(person=person, status=BookingStatus.CONFIRMED).count() == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.seats_taken + b.seats_taken == 1


def test_a_lead_taking_a_shift_off_while_executives_book_and_cancel_it(postgres):
    """Locks are taken people first, then the shift, as booking does: a lead taking the
    shift off never deadlocks with executives cancelling their seats on it (each holding
    their own lock, then wanting the shift's row) or booking it. The shift ends with no
    live booking and no seat taken, whoever got there first."""
    shift = ShiftFactory(queue=QueueFactory(visitor_capacity=20), capacity=20)
    holders = PersonFactory.create_batch(16, roles=[Role.EXECUTIVE])
    for person in holders:
        Booking.objects.create(
            shift=shift, person=person, starts_at=shift.starts_at, ends_at=shift.ends_at
        )
    Shift.objects.filter(pk=shift.pk).update(seats_taken=len(holders))
    bookers = PersonFactory.create_batch(PROCESSES - len(holders) - 1, roles=[Role.EXECUTIVE])
    pairs = [(-p.pk, shift.pk) for p in holders] + [(p.pk, shift.pk) for p in bookers]
    pairs.insert(len(pairs) // 2, (0, shift.pk))

    outcomes = race(pairs)

    kinds = [o[0] for o in outcomes]
    assert "error" not in kinds, [o for o in outcomes if o[0] == "error"]
    taken_off = next(o for o in outcomes if o[0] == "taken_off")
    # The lead cancelled every seat still held: holders who had not cancelled, and winners.
    assert taken_off[3] == len(holders) - kinds.count("cancelled_own") + kinds.count("booked")
    assert {o[3] for o in outcomes if o[0] == "refused"} <= {"shift_cancelled", "not_confirmed"}
    shift.refresh_from_db()
    assert (shift.is_cancelled, shift.seats_taken) == (True, 0)
    assert not Booking.objects.filter(shift=shift, status=BookingStatus.CONFIRMED).exists()
    # Each booking was cancelled exactly once, by its holder or by the lead, never by both.
    assert set(Booking.objects.filter(shift=shift).values_list("status", "sequence")) == {
        ("cancelled", 1)
    }


@pytest.mark.parametrize("change", ["times", "buddy"])
def test_a_shift_a_lead_changes_while_it_is_being_booked_is_not_booked_as_it_was(postgres, change):
    """A lead's pattern edit locks the shifts and the people booked on them, not someone
    about to book. If it moves the shift (or changes its buddy) between the booking's read
    and its seat, the booking is refused with a message instead of keeping the old times
    or inviting the old buddy."""
    import threading
    from unittest import mock

    from django.db import connections

    from rotations.shifts.permissions import actor
    from rotations.shifts.services import booking as booking_service
    from rotations.shifts.services.booking import BookingRefused, booking_create
    from rotations.shifts.services.patterns import shift_pattern_create, shift_pattern_update

    queue = QueueFactory(time_zone="Europe/London", booking_window_days=60, min_notice_hours=1)
    first = (timezone.now() + timedelta(days=7)).date()
    pattern, _ = shift_pattern_create(
        queue=queue,
        rrule="FREQ=DAILY;COUNT=1",
        starts_on=first,
        start_time=queue.opens_at,
        end_time=queue.closes_at,
        capacity=2,
    )
    shift = Shift.objects.get(pattern=pattern)
    executive = PersonFactory(roles=[Role.EXECUTIVE])
    edit = (
        {"start_time": queue.opens_at.replace(hour=queue.opens_at.hour + 1)}
        if change == "times"
        else {"buddy": PersonFactory(roles=[Role.FRONTLINE])}
    )

    def lead_edits_meanwhile():
        try:
            assert shift_pattern_update(
                pattern=ShiftPattern.objects.get(pk=pattern.pk), **edit
            ).applied
        finally:
            connections.close_all()

    read_then_edit = booking_service._check_person_free

    def check_then_let_the_lead_in(*args, **kwargs):
        lead = threading.Thread(target=lead_edits_meanwhile)
        lead.start()
        lead.join(30)
        return read_then_edit(*args, **kwargs)

    with mock.patch.object(booking_service, "_check_person_free", check_then_let_the_lead_in):
        with pytest.raises(
            BookingRefused,
            match="This shift was changed a moment ago: look at its new details and book again.",
        ) as refused:
            booking_create(shift=shift, person=executive, by=actor(executive))
    assert refused.value.code == "shift_changed"
    shift.refresh_from_db()
    assert shift.seats_taken == 0 and not Booking.objects.filter(shift=shift).exists()

    # Read again, it books with what it now is.
    booking = booking_create(shift=shift, person=executive, by=actor(executive))
    assert (booking.starts_at, booking.ends_at) == (shift.starts_at, shift.ends_at)


def test_a_booking_waits_for_the_persons_lock(postgres):
    """The person's row lock is what serialises one person's bookings (the race above
    needs luck to show it missing): while another transaction holds it, a booking waits."""
    import psycopg
    from django.db import OperationalError, transaction

    from rotations.shifts.permissions import actor
    from rotations.shifts.services.booking import booking_create

    shift = ShiftFactory(queue=QueueFactory(visitor_capacity=2), capacity=2)
    executive = PersonFactory(roles=[Role.EXECUTIVE])
    with psycopg.connect(database_url()) as other:
        # (NO KEY: the booking's foreign key checks would wait on a plain FOR UPDATE too.)
        other.execute(
            "SELECT 1 FROM rotations_person WHERE id = %s FOR NO KEY UPDATE", [executive.pk]
        )
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            booking_create(shift=shift, person=executive, by=actor(executive))
        other.rollback()
    assert booking_create(shift=shift, person=executive, by=actor(executive)).pk
