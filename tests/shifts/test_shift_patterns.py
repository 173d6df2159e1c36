"""Recurring patterns expand in the queue's own time zone, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import hypothesis
import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import strategies as st

from rotations.models import Booking, CalendarChange, Shift, ShiftPattern
from rotations.shifts.permissions import actor
from rotations.shifts.rrules import rule_until
from rotations.shifts.services.booking import booking_create
from rotations.shifts.services.patterns import (
    extend_pattern_schedules,
    pattern_occurrences,
    shift_cancel,
    shift_create,
    shift_pattern_create,
    shift_pattern_update,
    validate_rrule,
)
from tests.factories import PersonFactory, QueueFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def utc_starts(pattern):
    return [
        s.starts_at.astimezone(UTC)
        for s in Shift.objects.filter(pattern=pattern).order_by("starts_at")
    ]


@time_machine.travel(dt.datetime(2027, 2, 20, 12, tzinfo=UTC))
def test_a_us_queue_keeps_9am_local_across_the_march_change():
    # US daylight saving starts Sunday 14 March 2027: 09:00 EST = 14:00 UTC, EDT = 13:00 UTC.
    queue = QueueFactory(time_zone="America/New_York")
    pattern, count = shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270318T235959",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    assert count == 6
    assert utc_starts(pattern) == [
        dt.datetime(2027, 3, 2, 14, tzinfo=UTC),
        dt.datetime(2027, 3, 4, 14, tzinfo=UTC),
        dt.datetime(2027, 3, 9, 14, tzinfo=UTC),
        dt.datetime(2027, 3, 11, 14, tzinfo=UTC),
        dt.datetime(2027, 3, 16, 13, tzinfo=UTC),
        dt.datetime(2027, 3, 18, 13, tzinfo=UTC),
    ]
    local = zoneinfo.ZoneInfo("America/New_York")
    assert {
        (s.starts_at.astimezone(local).time(), s.ends_at.astimezone(local).time())
        for s in Shift.objects.filter(pattern=pattern)
    } == {(dt.time(9), dt.time(13))}


@time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC))
def test_a_european_queue_keeps_9am_local_across_the_march_change_with_exception_dates():
    # EU summer time starts Sunday 28 March 2027: 09:00 CET = 08:00 UTC, CEST = 07:00 UTC.
    queue = QueueFactory(time_zone="Europe/Berlin")
    pattern, count = shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TU,TH",
        starts_on=dt.date(2027, 3, 23),
        start_time=dt.time(9),
        end_time=dt.time(13),
        exdates=["2027-03-30"],
    )
    first_four = utc_starts(pattern)[:4]
    assert first_four == [
        dt.datetime(2027, 3, 23, 8, tzinfo=UTC),
        dt.datetime(2027, 3, 25, 8, tzinfo=UTC),
        dt.datetime(2027, 4, 1, 7, tzinfo=UTC),  # 30 March skipped
        dt.datetime(2027, 4, 6, 7, tzinfo=UTC),
    ]
    # With no UNTIL or COUNT a pattern is expanded a year ahead: 23 March 2027 to
    # 21 March 2028 holds 53 Tuesdays and 52 Thursdays; one date is skipped.
    assert count == 53 + 52 - 1


@time_machine.travel(dt.datetime(2027, 10, 20, 12, tzinfo=UTC))
def test_the_autumn_change_too():
    queue = QueueFactory(time_zone="Europe/London")
    pattern, _ = shift_pattern_create(
        queue=queue,
        rrule="FREQ=DAILY;COUNT=3",
        starts_on=dt.date(2027, 10, 30),
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    assert utc_starts(pattern) == [
        dt.datetime(2027, 10, 30, 8, tzinfo=UTC),
        dt.datetime(2027, 10, 31, 9, tzinfo=UTC),
        dt.datetime(2027, 11, 1, 9, tzinfo=UTC),
    ]


ONE_LINE = (
    "Write only the rule's parts, on one line (e.g. FREQ=WEEKLY;BYDAY=TU,TH): the first day "
    "and the days to skip have fields of their own."
)
BYDAY = (
    "BYDAY lists weekdays (MO,TU,WE,TH,FR,SA,SU); a number before one (1MO, -1FR: the first "
    "Monday, the last Friday) only with FREQ=MONTHLY, from -5 to 5."
)
UNTIL = (
    "Write UNTIL as a date, 20270630 (that day included), or as the queue's local date and "
    "time, 20270630T170000."
)
INTERVAL = "INTERVAL is how many days, weeks or months apart the shifts are: 1 to 52."
COUNT = "COUNT is how many shifts the pattern makes: 1 to 1000."


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=HOURLY", "The rule needs FREQ=DAILY, WEEKLY or MONTHLY."),
        ("BYDAY=TU", "The rule needs FREQ=DAILY, WEEKLY or MONTHLY."),
        ("FREQ=WEEKLY;BYDAY=XX", BYDAY),
        (
            "FREQ=WEEKLY;DTSTART=20270101",
            "Give the first date separately, not as DTSTART in the rule.",
        ),
        ("nonsense", "“nonsense” is not NAME=VALUE (e.g. FREQ=WEEKLY;BYDAY=TU,TH)."),
        # Only what a pattern needs, each part within its range (dateutil takes more, and
        # some of it loops to the year 9999 or fails half-way through an expansion).
        ("FREQ=WEEKLY;BYDAY=MO EXDATE:20270315", ONE_LINE),
        ("DTSTART:20270101\nRRULE:FREQ=DAILY", ONE_LINE),
        ("FREQ=DAILY;INTERVAL=0", INTERVAL),
        ("FREQ=WEEKLY;INTERVAL=-1", INTERVAL),
        ("FREQ=DAILY;COUNT=0", COUNT),
        ("FREQ=DAILY;COUNT=100000", COUNT),
        ("FREQ=MONTHLY;BYDAY=+99FR", BYDAY),
        ("FREQ=WEEKLY;BYDAY=1MO", BYDAY),
        ("FREQ=MONTHLY;BYMONTH=13", "BYMONTH lists months, 1 to 12."),
        ("FREQ=DAILY;UNTIL=2027", UNTIL),
        ("FREQ=DAILY;UNTIL=20270101T100000Z", UNTIL),
        ("FREQ=DAILY;UNTIL=20270230", UNTIL),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270630", "Give UNTIL or COUNT, not both."),
        ("FREQ=WEEKLY;FREQ=DAILY", "FREQ appears twice in the rule."),
        (
            "FREQ=DAILY;BYYEARDAY=1",
            "The rule may use FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, "
            "BYSETPOS and WKST; not BYYEARDAY.",
        ),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY does not go with FREQ=WEEKLY: use FREQ=MONTHLY."),
        ("FREQ=DAILY;BYSETPOS=2", "BYSETPOS goes with FREQ=MONTHLY only."),
        # ASCII digits only (int() takes Arabic-Indic and full-width ones), each value once.
        ("FREQ=DAILY;INTERVAL=\u0663", INTERVAL),
        ("FREQ=DAILY;COUNT=\uff15", COUNT),
        ("FREQ=MONTHLY;BYDAY=\u0661MO", BYDAY),
        ("FREQ=DAILY;UNTIL=\u0662\u0660\u0662\u0667\u0660\u0666\u0663\u0660", UNTIL),
        ("FREQ=WEEKLY;BYDAY=MO,TU,MO", "BYDAY lists a day twice: list each once."),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15,1", "BYMONTHDAY lists a value twice: list each once."),
        ("FREQ=MONTHLY;BYMONTH=2,2", "BYMONTH lists a value twice: list each once."),
    ],
)
def test_a_bad_rule_is_refused_with_a_reason(rule, message):
    with pytest.raises(ValidationError, match=re.escape(message)) as exc:
        validate_rrule(rule)
    assert exc.value.messages == [message]


def test_capacity_above_the_queue_is_refused():
    queue = QueueFactory(name="Tiny", visitor_capacity=1)
    with pytest.raises(ValidationError, match="Tiny takes at most 1 visiting executive at once."):
        shift_pattern_create(
            queue=queue,
            rrule="FREQ=DAILY;COUNT=2",
            starts_on=dt.date(2030, 1, 1),
            start_time=dt.time(9),
            end_time=dt.time(10),
            capacity=2,
        )


@pytest.fixture
def weekly():
    """A Tue/Thu pattern in New York through March 2027, seen from 20 Feb 2027."""
    with time_machine.travel(dt.datetime(2027, 2, 20, 12, tzinfo=UTC)):
        queue = QueueFactory(
            time_zone="America/New_York", booking_window_days=120, min_notice_hours=1
        )
        pattern, _ = shift_pattern_create(
            queue=queue,
            rrule="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270331T235959",
            starts_on=dt.date(2027, 3, 2),
            start_time=dt.time(9),
            end_time=dt.time(13),
            capacity=2,
        )
        yield pattern


def test_editing_updates_unbooked_future_shifts_at_once(weekly):
    result = shift_pattern_update(pattern=weekly, start_time=dt.time(10), end_time=dt.time(14))
    assert (result.applied, result.updated, result.created, result.removed) == (True, 9, 0, 0)
    local = zoneinfo.ZoneInfo("America/New_York")
    assert {s.starts_at.astimezone(local).time() for s in Shift.objects.filter(pattern=weekly)} == {
        dt.time(10)
    }


def test_editing_asks_before_touching_booked_shifts_then_moves_their_bookings(weekly, executive):
    shift = Shift.objects.filter(pattern=weekly).order_by("starts_at")[2]
    booking = booking_create(shift=shift, person=executive, by=actor(executive))

    asked = shift_pattern_update(pattern=weekly, start_time=dt.time(10), end_time=dt.time(14))
    assert asked.needs_confirmation
    assert asked.booked == [shift]
    shift.refresh_from_db()
    assert shift.starts_at == booking.starts_at  # nothing changed yet

    weekly.refresh_from_db()
    done = shift_pattern_update(
        pattern=weekly, touch_booked=True, start_time=dt.time(10), end_time=dt.time(14)
    )
    assert done.applied
    booking.refresh_from_db()
    shift.refresh_from_db()
    assert booking.starts_at == shift.starts_at == dt.datetime(2027, 3, 9, 15, tzinfo=UTC)
    assert booking.sequence == 1
    assert CalendarChange.objects.filter(booking=booking).latest("sequence").kind == "rescheduled"


def test_dropping_a_booked_day_cancels_its_bookings_once_confirmed(weekly, executive):
    thursday = Shift.objects.filter(pattern=weekly).order_by("starts_at")[1]  # Thu 4 March
    booking = booking_create(shift=thursday, person=executive, by=actor(executive))

    weekly.refresh_from_db()
    assert shift_pattern_update(
        pattern=weekly, rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270331T235959"
    ).needs_confirmation
    weekly.refresh_from_db()
    result = shift_pattern_update(
        pattern=weekly, touch_booked=True, rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270331T235959"
    )
    assert result.removed == 4  # the Thursdays 4, 11, 18 and 25 March
    booking.refresh_from_db()
    thursday.refresh_from_db()
    assert (booking.status, booking.sequence, thursday.is_cancelled) == ("cancelled", 1, True)
    assert Shift.objects.filter(pattern=weekly, is_cancelled=False).count() == 5  # the Tuesdays


def test_past_shifts_are_never_touched(weekly):
    with time_machine.travel(dt.datetime(2027, 3, 10, 12, tzinfo=UTC)):
        first = Shift.objects.filter(pattern=weekly).order_by("starts_at").first()
        weekly.refresh_from_db()
        shift_pattern_update(pattern=weekly, start_time=dt.time(11), end_time=dt.time(15))
    first.refresh_from_db()
    assert first.starts_at == dt.datetime(2027, 3, 2, 14, tzinfo=UTC)
    assert Booking.objects.count() == 0


@time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC))
def test_a_time_the_clocks_skip_is_refused_not_moved():
    # New York skips 02:00–03:00 on Sunday 14 March 2027; this queue is open round the clock.
    queue = QueueFactory(
        time_zone="America/New_York", opens_at=dt.time(0), closes_at=dt.time(23, 59)
    )
    with pytest.raises(ValidationError) as exc:
        shift_pattern_create(
            queue=queue,
            rrule="FREQ=DAILY;COUNT=20",
            starts_on=dt.date(2027, 3, 10),
            start_time=dt.time(2, 30),
            end_time=dt.time(5),
        )
    assert exc.value.messages == [
        "02:30 does not exist on 2027-03-14 in America/New_York: the clocks skip it for daylight saving. "
        "Pick another time or skip that date."
    ]
    assert not Shift.objects.exists()
    # Skipping that date makes the pattern valid.
    _, count = shift_pattern_create(
        queue=queue,
        rrule="FREQ=DAILY;COUNT=20",
        starts_on=dt.date(2027, 3, 10),
        start_time=dt.time(2, 30),
        end_time=dt.time(5),
        exdates=["2027-03-14"],
    )
    assert count == 19


@time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC))
def test_shifts_fit_inside_the_queues_operating_hours():
    queue = QueueFactory(
        name="Billing chat", time_zone="Europe/London", opens_at=dt.time(8), closes_at=dt.time(18)
    )
    message = [
        "Billing chat is open 08:00–18:00 (Europe/London); a shift must fit inside those hours."
    ]
    for start, end in (
        (dt.time(7), dt.time(11)),
        (dt.time(15), dt.time(19)),
        (dt.time(19), dt.time(21)),
    ):
        with pytest.raises(ValidationError) as exc:
            shift_pattern_create(
                queue=queue,
                rrule="FREQ=WEEKLY;COUNT=3",
                starts_on=dt.date(2027, 3, 2),
                start_time=start,
                end_time=end,
            )
        assert exc.value.messages == message
    # London is on UTC in March: 07:00 is before it opens.
    with pytest.raises(ValidationError) as exc:
        shift_create(
            queue=queue,
            starts_at=dt.datetime(2027, 3, 2, 7, tzinfo=UTC),
            ends_at=dt.datetime(2027, 3, 2, 11, tzinfo=UTC),
            capacity=1,
        )
    assert exc.value.messages == message
    with pytest.raises(ValidationError) as exc:
        shift_create(
            queue=queue,
            starts_at=dt.datetime(2027, 3, 2, 17, tzinfo=UTC),
            ends_at=dt.datetime(2027, 3, 3, 1, tzinfo=UTC),
            capacity=1,
        )
    assert exc.value.messages == [
        "A shift starts and ends on the same day, in the queue's time zone."
    ]
    assert not Shift.objects.exists()

    # The edges are inside: open at 08:00, closed at 18:00 local.
    shift_create(
        queue=queue,
        starts_at=dt.datetime(2027, 3, 2, 8, tzinfo=UTC),
        ends_at=dt.datetime(2027, 3, 2, 18, tzinfo=UTC),
        capacity=1,
    )
    pattern, count = shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;COUNT=3",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(8),
        end_time=dt.time(18),
    )
    assert count == 2  # 2 March is the one-off above, already on the schedule
    with pytest.raises(ValidationError) as exc:
        shift_pattern_update(pattern=pattern, start_time=dt.time(17), end_time=dt.time(19))
    assert exc.value.messages == message
    # After the April change London is UTC+1: 08:00 local is 07:00 UTC, and still fits.
    with time_machine.travel(dt.datetime(2027, 4, 1, 12, tzinfo=UTC)):
        shift_create(
            queue=queue,
            starts_at=dt.datetime(2027, 4, 6, 7, tzinfo=UTC),
            ends_at=dt.datetime(2027, 4, 6, 17, tzinfo=UTC),
            capacity=1,
        )
    # The lead narrows the hours: the pattern keeps working for changes that leave its times.
    queue.opens_at = dt.time(9)
    queue.save()
    pattern.refresh_from_db()
    change = shift_pattern_update(
        pattern=pattern,
        start_time=dt.time(8),
        end_time=dt.time(18),
        capacity=1,
        exdates=["2027-03-09"],
    )
    assert change.applied and change.removed == 1


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270630T235959", "Every Tue and Thu until 30 Jun 2027"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR", "Every 2 weeks on Mon, Wed and Fri"),
        ("FREQ=DAILY;COUNT=10", "Every day, 10 times"),
        ("FREQ=MONTHLY;BYDAY=1MO", "Every month on the first Mon"),
        ("FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR", "Every 3 months on the last Fri"),
        ("FREQ=MONTHLY;BYDAY=5MO,-2FR", "Every month on the fifth Mon and second-to-last Fri"),
        ("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=1", "Every month on day 15, 1 time"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,-1", "Every month on day 1 and the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=-2", "FREQ=MONTHLY;BYMONTHDAY=-2"),
        # What the words do not cover is shown as written, never guessed at.
        ("FREQ=WEEKLY;BYDAY=TU;BYSETPOS=1", "FREQ=WEEKLY;BYDAY=TU;BYSETPOS=1"),
    ],
)
def test_a_pattern_reads_in_words(rule, words):
    from rotations.templatetags.recurrence import recurrence

    assert recurrence(rule) == words


@time_machine.travel(dt.datetime(2027, 2, 20, 12, tzinfo=UTC))
def test_the_queue_page_describes_its_patterns(client):
    lead = PersonFactory(roles=["Support lead"])
    queue = QueueFactory(leads=[lead])
    shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270331T235959",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
        exdates=["2027-03-16", "2027-03-09"],
    )
    client.force_login(lead)
    page = client.get(f"/queues/{queue.pk}/").content.decode()
    assert "Every Tue and Thu from 2 Mar 2027 until 31 Mar 2027" in page
    assert "not on 9 Mar 2027, 16 Mar 2027" in page


# --- the schedule moves along with today ------------------------------------------------


def test_an_open_ended_pattern_keeps_a_year_of_shifts_ahead_as_time_passes():
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC)):
        queue = QueueFactory(time_zone="Europe/Berlin")
        pattern, count = shift_pattern_create(
            queue=queue,
            rrule="FREQ=WEEKLY;BYDAY=TU",
            starts_on=dt.date(2027, 3, 2),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
        assert count == 53  # 2 Mar 2027 … 29 Feb 2028
        assert extend_pattern_schedules() == 0  # nothing new the same day
    # Ten weeks on, ten more Tuesdays are within a year; the beat adds them, once.
    with time_machine.travel(dt.datetime(2027, 5, 10, 12, tzinfo=UTC)):
        assert extend_pattern_schedules() == 10
        assert extend_pattern_schedules() == 0
    starts = utc_starts(pattern)
    assert len(starts) == 63 and len(set(starts)) == 63
    assert starts[-1] == dt.datetime(2028, 5, 9, 7, tzinfo=UTC)  # 09:00 in Berlin, summer time


def test_extending_leaves_days_taken_off_and_ends_where_the_rule_does(executive):
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC)):
        queue = QueueFactory(time_zone="America/New_York", booking_window_days=700)
        # Ends in January 2030: more than two years ahead, so the schedule stops short of it.
        pattern, count = shift_pattern_create(
            queue=queue,
            rrule="FREQ=MONTHLY;BYMONTHDAY=2;UNTIL=20300102",
            starts_on=dt.date(2027, 3, 2),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
        assert count == 24  # 2 Mar 2027 … 2 Feb 2029
        shift_cancel(
            shift=Shift.objects.filter(pattern=pattern).order_by("starts_at")[5],
            reason="Audit week",
        )
    with time_machine.travel(dt.datetime(2027, 8, 1, 12, tzinfo=UTC)):
        assert extend_pattern_schedules() == 5  # March to July 2029: two years from today
    with time_machine.travel(dt.datetime(2028, 12, 1, 12, tzinfo=UTC)):
        assert extend_pattern_schedules() == 6  # … to 2 January 2030, the rule's last day, included
        assert extend_pattern_schedules() == 0
    live = Shift.objects.filter(pattern=pattern, is_cancelled=False)
    assert live.count() == 24 + 5 + 6 - 1
    assert not live.filter(starts_at__date=dt.date(2027, 8, 2)).exists()  # taken off: not put back
    assert live.order_by("starts_at").last().starts_at == dt.datetime(2030, 1, 2, 14, tzinfo=UTC)


def test_the_beat_runs_the_extension():
    from django.conf import settings

    from rotations.shifts import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["extend-pattern-schedules"]
    assert entry["task"] == "rotations.tasks.extend_pattern_schedules"
    assert entry["schedule"] <= 24 * 60 * 60
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC)):
        pattern, _ = shift_pattern_create(
            queue=QueueFactory(time_zone="America/New_York"),
            rrule="FREQ=DAILY",
            starts_on=dt.date(2027, 3, 2),
            start_time=dt.time(9),
            end_time=dt.time(10),
        )
    with time_machine.travel(dt.datetime(2027, 3, 11, 12, tzinfo=UTC)):
        # A year ahead is now 10 March 2028 at 12:00 UTC, 07:00 in New York: 2 … 9 March.
        assert tasks.extend_pattern_schedules.apply().get() == 8


def test_extending_leaves_out_a_day_whose_time_the_clocks_skip_and_carries_on():
    # New York skips 02:00–03:00 on the second Sunday of March. At creation the lead is
    # asked (and skips 12 March 2028); a year on, the beat has nobody to ask.
    with time_machine.travel(dt.datetime(2027, 3, 20, 12, tzinfo=UTC)):
        night = QueueFactory(
            time_zone="America/New_York", opens_at=dt.time(0), closes_at=dt.time(23, 59)
        )
        sundays, _ = shift_pattern_create(
            queue=night,
            rrule="FREQ=WEEKLY;BYDAY=SU",
            starts_on=dt.date(2027, 3, 21),
            start_time=dt.time(2, 30),
            end_time=dt.time(5),
            exdates=["2028-03-12"],
        )
        mondays, _ = shift_pattern_create(
            queue=QueueFactory(time_zone="Europe/London"),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts_on=dt.date(2027, 3, 22),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    local = zoneinfo.ZoneInfo("America/New_York")
    last = (
        Shift.objects.filter(pattern=sundays)
        .order_by("starts_at")
        .last()
        .starts_at.astimezone(local)
        .date()
    )
    assert last == dt.date(2028, 3, 19)
    with time_machine.travel(dt.datetime(2028, 3, 15, 12, tzinfo=UTC)):
        added = extend_pattern_schedules()
    days = [
        s.starts_at.astimezone(local).date()
        for s in Shift.objects.filter(pattern=sundays).order_by("starts_at")
    ]
    assert dt.date(2029, 3, 11) not in days  # the clocks skip 02:30 that day
    assert days[-1] == dt.date(2029, 3, 4)
    new_sundays = (dt.date(2029, 3, 4) - dt.date(2028, 3, 19)).days // 7
    assert Shift.objects.filter(pattern=mondays).count() > 52  # the other pattern moved along too
    assert added == new_sundays + Shift.objects.filter(pattern=mondays).count() - 53
    # And the Sunday after the skipped one comes in its turn.
    with time_machine.travel(dt.datetime(2028, 3, 20, 12, tzinfo=UTC)):
        extend_pattern_schedules()
    days = [
        s.starts_at.astimezone(local).date()
        for s in Shift.objects.filter(pattern=sundays).order_by("starts_at")
    ]
    assert days[-2:] == [dt.date(2029, 3, 4), dt.date(2029, 3, 18)]


def test_a_pattern_starting_beyond_a_year_still_gets_its_first_year():
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC)):
        _, count = shift_pattern_create(
            queue=QueueFactory(time_zone="Europe/London"),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts_on=dt.date(2028, 9, 4),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    assert count == 26  # 4 Sep 2028 up to two years from today (1 Mar 2029), not none


def test_until_a_date_includes_that_day():
    assert (
        validate_rrule("FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630")
        == "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630T235959"
    )
    with time_machine.travel(dt.datetime(2027, 6, 1, 12, tzinfo=UTC)):
        pattern, count = shift_pattern_create(
            queue=QueueFactory(),
            rrule="FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630",
            starts_on=dt.date(2027, 6, 2),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    assert count == 5  # 2, 9, 16, 23 and 30 June


@pytest.mark.parametrize(
    "rule", ["FREQ=DAILY;BYHOUR=9,10", "FREQ=WEEKLY;BYDAY=MO;BYMINUTE=30", "FREQ=DAILY;BYSECOND=1"]
)
def test_a_rule_that_sets_times_is_refused(rule):
    with pytest.raises(
        ValidationError,
        match="The rule picks days only: the shifts' times are the start and end time.",
    ):
        validate_rrule(rule)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30,31",
            "No month in this rule has those days (BYMONTHDAY).",
        ),
        (
            "FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31",
            "No month in this rule has those days (BYMONTHDAY).",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-32",
            "BYMONTHDAY lists days of the month, 1 to 31 (or -1 for the last).",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15;BYSETPOS=3", "this rule gives at most 2 days in a month."),
        ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=-6", "this rule gives at most 5 days in a month."),
        ("FREQ=MONTHLY;BYDAY=1MO,-1FR;BYSETPOS=3", "this rule gives at most 2 days in a month."),
        (
            "FREQ=MONTHLY;BYSETPOS=2",
            "this rule gives at most 1 day in a month.",
        ),  # the first day's date
        # 29 February at most: the 30th and 31st are never there.
        (
            "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=28,29,30,31;BYSETPOS=3",
            "this rule gives at most 2 days in a month.",
        ),
        # -31 is the 1st or nothing.
        ("FREQ=MONTHLY;BYMONTHDAY=1,-31;BYSETPOS=2", "this rule gives at most 1 day in a month."),
    ],
)
def test_a_rule_with_no_days_at_all_is_refused_before_it_is_expanded(rule, message):
    # dateutil would search such a rule day by day up to the year 9999: seconds of CPU.
    with pytest.raises(ValidationError, match=re.escape(message)):
        validate_rrule(rule)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYMONTH=2,3;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=2,-28;BYSETPOS=2",  # two days when February has 28
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5",  # some months have five Mondays
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=28,29,30,31;BYSETPOS=-2",
        "FREQ=MONTHLY;BYMONTHDAY=1,15;BYSETPOS=2",
    ],
)
def test_a_rule_whose_days_some_month_has_is_kept(rule):
    assert validate_rrule(rule) == rule
    occurrences = pattern_occurrences(
        rule=rule,
        starts_on=dt.date(2027, 1, 1),
        start_time=dt.time(9),
        end_time=dt.time(13),
        exdates=[],
        zone=zoneinfo.ZoneInfo("Europe/London"),
        until=dt.datetime(2029, 1, 1, tzinfo=UTC),
    )
    assert occurrences


def test_a_trailing_semicolon_and_lower_case_are_fine():
    assert validate_rrule("freq=monthly;byday=-1fr;") == "FREQ=MONTHLY;BYDAY=-1FR"


def test_one_broken_pattern_does_not_stop_the_beat_for_the_others():
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC)):
        broken, _ = shift_pattern_create(
            queue=QueueFactory(),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            starts_on=dt.date(2027, 3, 1),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
        fine, _ = shift_pattern_create(
            queue=QueueFactory(),
            rrule="FREQ=WEEKLY;BYDAY=TU",
            starts_on=dt.date(2027, 3, 2),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    # A rule stored before today's checks, that dateutil reads as a set of rules.
    ShiftPattern.objects.filter(pk=broken.pk).update(rrule="FREQ=WEEKLY;BYDAY=MO RDATE:20270310")
    with time_machine.travel(dt.datetime(2027, 4, 1, 12, tzinfo=UTC)):
        assert extend_pattern_schedules() == 4  # the Tuesdays of March 2028
    assert Shift.objects.filter(pattern=fine).count() == 53 + 4


def test_two_edits_of_different_fields_both_hold():
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=UTC)):
        pattern, _ = shift_pattern_create(
            queue=QueueFactory(visitor_capacity=3),
            rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=3",
            starts_on=dt.date(2027, 3, 2),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
        first, second = (
            ShiftPattern.objects.get(pk=pattern.pk),
            ShiftPattern.objects.get(pk=pattern.pk),
        )
        assert shift_pattern_update(pattern=first, capacity=3).applied
        change = shift_pattern_update(pattern=second, location="Desk 4")
    assert change.applied and (change.pattern.capacity, change.pattern.location) == (3, "Desk 4")
    stored = ShiftPattern.objects.get(pk=pattern.pk)
    assert (stored.capacity, stored.location) == (3, "Desk 4")
    assert set(Shift.objects.filter(pattern=pattern).values_list("capacity", "location")) == {
        (3, "Desk 4")
    }


def test_the_migration_includes_the_last_day_of_rules_saved_with_a_date_only_until():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("rotations.migrations.0013_inclusive_until")
    queue = QueueFactory()
    kept = ShiftPattern.objects.create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T235959",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    old = ShiftPattern.objects.create(
        queue=queue,
        rrule="FREQ=WEEKLY;UNTIL=20270630;BYDAY=TU",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    migration.include_the_last_day(apps, None)
    assert ShiftPattern.objects.get(pk=old.pk).rrule == "FREQ=WEEKLY;UNTIL=20270630T235959;BYDAY=TU"
    assert (
        ShiftPattern.objects.get(pk=kept.pk).rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T235959"
    )


# --- any rule a lead can type: a message or a schedule, never a crash ----------------------

PART_VALUES = {
    "FREQ": ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", ""],
    "INTERVAL": ["0", "1", "2", "52", "53", "-1", "x"],
    "COUNT": ["0", "1", "5", "1000", "1001", "-3"],
    "UNTIL": ["20270630", "20270630T170000", "20270630T170000Z", "2027", "20270230", "19990101"],
    "BYDAY": ["MO", "TU,TH", "1MO", "-1FR", "+99FR", "5SU", "-6MO", "XX", ""],
    "BYMONTHDAY": ["1", "31", "-1", "30", "0", "32", "-32", "1,15"],
    "BYMONTH": ["2", "4,6", "13", "0", "1,12"],
    "BYSETPOS": ["1", "-1", "6", "0", "40"],
    "WKST": ["MO", "SU", "XX"],
    "BYHOUR": ["9"],
    "BYYEARDAY": ["1"],
}


@hypothesis.settings(
    max_examples=300, deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
@hypothesis.given(
    parts=st.lists(
        st.sampled_from(sorted(PART_VALUES)).flatmap(
            lambda name: st.sampled_from(PART_VALUES[name]).map(lambda value: f"{name}={value}")
        ),
        min_size=1,
        max_size=5,
    ),
    starts_on=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 12, 31)),
)
def test_any_rule_is_either_refused_with_a_message_or_expanded_quickly(parts, starts_on):
    import time

    rule = ";".join(
        ["FREQ=WEEKLY", *parts] if not any(p.startswith("FREQ=") for p in parts) else parts
    )
    try:
        normalised = validate_rrule(rule)
    except ValidationError as refused:
        assert refused.messages and refused.messages[0]
        return
    # The bound the expansion keeps is the one dateutil reads (it keeps it privately).
    from dateutil.rrule import rrulestr

    assert rule_until(normalised) == rrulestr(normalised, dtstart=dt.datetime(2026, 1, 1, 9))._until
    started = time.process_time()
    try:
        pattern_occurrences(
            rule=normalised,
            starts_on=starts_on,
            start_time=dt.time(9),
            end_time=dt.time(13),
            exdates=[],
            zone=zoneinfo.ZoneInfo("Europe/London"),
            until=dt.datetime(2029, 1, 1, tzinfo=UTC),
        )
    except ValidationError:
        pass
    # Not a speed figure: a guard against rules dateutil searches day by day to the year
    # 9999 (4 to 5 s of CPU each), with room for a loaded machine.
    assert time.process_time() - started < 3.0, rule


WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _month_days(year: int, month: int, parts: dict[str, str]) -> set[int]:
    """The days of one month a FREQ=MONTHLY rule (without BYSETPOS) gives, worked out
    from RFC 5545 by hand, independently of the code under test and of dateutil."""
    import calendar

    length = calendar.monthrange(year, month)[1]
    if "BYMONTH" in parts and month not in {int(m) for m in parts["BYMONTH"].split(",")}:
        return set()
    days = set(range(1, length + 1))
    if "BYMONTHDAY" in parts:
        days &= {
            d if d > 0 else length + 1 + d
            for d in map(int, parts["BYMONTHDAY"].split(","))
            if abs(d) <= length
        }
    if "BYDAY" in parts:
        chosen = set()
        for item in parts["BYDAY"].split(","):
            ordinal, weekday = re.fullmatch(r"([+-]?\d)?([A-Z]{2})", item).groups()
            same = [
                d
                for d in range(1, length + 1)
                if calendar.weekday(year, month, d) == WEEKDAYS.index(weekday)
            ]
            if ordinal is None:
                chosen |= set(same)
            elif abs(int(ordinal)) <= len(same):
                chosen.add(same[int(ordinal) - 1 if int(ordinal) > 0 else int(ordinal)])
        days &= chosen
    if "BYMONTHDAY" not in parts and "BYDAY" not in parts:
        days &= {1}  # the first day's day of the month (the rule starts on a 1st here)
    return days


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(
    byday=st.none()
    | st.lists(
        st.tuples(
            st.sampled_from(["", "1", "2", "-1", "-2", "5", "-5"]), st.sampled_from(WEEKDAYS)
        ).map("".join),
        min_size=1,
        max_size=4,
        unique=True,
    ).map(",".join),
    bymonthday=st.none()
    | st.lists(st.integers(-31, 31).filter(bool), min_size=1, max_size=5, unique=True).map(
        lambda days: ",".join(map(str, days))
    ),
    bymonth=st.none()
    | st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True).map(
        lambda months: ",".join(map(str, months))
    ),
)
def test_the_bysetpos_bound_is_never_below_the_days_a_month_really_has(byday, bymonthday, bymonth):
    """A BYSETPOS is refused only past the most days the rule gives in a month: that
    bound must never be below the truth, or a rule that works would be refused."""
    from rotations.shifts.rrules import _most_days_in_a_month

    parts = {"FREQ": "MONTHLY"}
    for name, value in (("BYDAY", byday), ("BYMONTHDAY", bymonthday), ("BYMONTH", bymonth)):
        if value is not None:
            parts[name] = value
    most = max(
        len(_month_days(year, month, parts)) for year in range(2000, 2028) for month in range(1, 13)
    )
    assert most <= _most_days_in_a_month(parts)


@pytest.mark.parametrize("until", ["2027-02-01", "20270201T1700", "20270201T170000", "20270201"])
def test_a_rule_stored_before_validation_still_ends_at_its_until(until):
    """Before ``validate_rrule`` existed, rules were only parsed by dateutil, which took
    UNTIL in more spellings: the expansion still stops there, not at the horizon."""
    occurrences = pattern_occurrences(
        rule=f"FREQ=WEEKLY;UNTIL={until}",
        starts_on=dt.date(2027, 1, 1),
        start_time=dt.time(9),
        end_time=dt.time(13),
        exdates=[],
        zone=zoneinfo.ZoneInfo("Europe/London"),
        until=dt.datetime(2027, 6, 1, tzinfo=UTC),
    )
    assert [start.date() for start, _ in occurrences] == [
        dt.date(2027, 1, day) for day in (1, 8, 15, 22, 29)
    ]
