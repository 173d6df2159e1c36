"""A daily rule whose steps never land on its weekdays is refused at once, with why
(dateutil would look for a day, day by day, up to the year 9999)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from rotations.shifts.rrules import never_reached_weekdays
from rotations.shifts.services.patterns import shift_pattern_create
from tests.factories import QueueFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        yield


def test_every_seventh_day_from_a_monday_is_never_a_tuesday():
    message = (
        "Every 7 days from Monday 1 Mar 2027 falls only on MO, never on BYDAY=TU: the rule "
        "would give no days. Change the first day, the interval or the weekdays."
    )
    with pytest.raises(ValidationError, match=message):
        shift_pattern_create(
            queue=QueueFactory(),
            rrule="FREQ=DAILY;INTERVAL=7;BYDAY=TU",
            starts_on=MONDAY,
            start_time=dt.time(10),
            end_time=dt.time(12),
        )


@pytest.mark.parametrize(
    "rule, refused",
    [
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", True),
        ("FREQ=DAILY;INTERVAL=14;BYDAY=WE,TH", True),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=MO", False),
        ("FREQ=DAILY;INTERVAL=2;BYDAY=TU", False),  # every other day reaches every weekday
        ("FREQ=DAILY;BYDAY=TU", False),
        ("FREQ=WEEKLY;INTERVAL=7;BYDAY=TU", False),
    ],
)
def test_which_rules_are_refused(rule, refused):
    assert (never_reached_weekdays(rule, MONDAY) is not None) is refused
