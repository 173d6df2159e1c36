"""The shift list's statement is the same however many different booking windows and
notices the queues have (one exclusion per distinct value made PostgreSQL's planning grow
with their square: 200 distinct values, 4.8 s a statement)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rotations.shifts.selectors import ShiftFilters, open_shifts
from tests.factories import QueueFactory, ShiftFactory

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def statement(viewer) -> str:
    sql, _ = open_shifts(viewer=viewer, filters=ShiftFilters()).query.sql_with_params()
    return sql


def test_the_statement_does_not_grow_with_distinct_queue_settings(executive):
    QueueFactory(booking_window_days=30, min_notice_hours=2)
    few = statement(executive)
    for n in range(40):
        QueueFactory(booking_window_days=31 + n, min_notice_hours=3 + n)
    assert statement(executive) == few


def test_each_queue_keeps_its_own_window_and_notice(executive):
    near = QueueFactory(name="Near", booking_window_days=7, min_notice_hours=48)
    far = QueueFactory(name="Far", booking_window_days=60, min_notice_hours=1)
    shifts = {
        name: ShiftFactory(
            queue=queue,
            starts_at=NOW + timedelta(hours=hours),
            ends_at=NOW + timedelta(hours=hours + 2),
        )
        for name, queue, hours in [
            ("near, too soon", near, 24),
            ("near, bookable", near, 72),
            ("near, beyond its window", near, 24 * 10),
            ("far, soon", far, 2),
            ("far, ten days on", far, 24 * 10),
            ("far, beyond its window", far, 24 * 61),
        ]
    }
    listed = set(open_shifts(viewer=executive).values_list("pk", flat=True))
    assert {name for name, shift in shifts.items() if shift.pk in listed} == {
        "near, bookable",
        "far, soon",
        "far, ten days on",
    }
    within = set(
        open_shifts(viewer=executive, filters=ShiftFilters(within_notice=True)).values_list(
            "pk", flat=True
        )
    )
    assert {name for name, shift in shifts.items() if shift.pk in within} == {
        "near, too soon",
        "near, bookable",
        "far, soon",
        "far, ten days on",
    }
