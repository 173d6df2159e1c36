"""Leads take a single shift off the schedule; shifts are not added twice or decades ahead.

Time is frozen at Monday 1 March 2027, 12:00 UTC. The queue is in New York, led by Leo.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils.html import escape

from rotations.models import Booking, OutgoingEmail, Shift, ShiftPattern
from rotations.shifts.permissions import actor
from rotations.shifts.selectors import open_shifts
from rotations.shifts.services.booking import BookingRefused, booking_create
from rotations.shifts.services.patterns import (
    shift_cancel,
    shift_create,
    shift_pattern_create,
    shift_pattern_update,
)
from tests.factories import PersonFactory, QueueFactory, ShiftFactory

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=UTC)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def queue(support_lead):
    """Unlike conftest's queue: bookable up to an hour ahead."""
    return QueueFactory(
        name="Billing chat", time_zone="America/New_York", leads=[support_lead], min_notice_hours=1
    )


def ny(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2027, 3, day, hour, tzinfo=NEW_YORK)


@pytest.fixture
def booked_shift(queue, executive, frontline_employee):
    """Thu 4 March 09:00–13:00 New York, buddy Fran, booked by Eve and by Otto."""
    shift = ShiftFactory(
        queue=queue, starts_at=ny(4, 9), ends_at=ny(4, 13), capacity=3, buddy=frontline_employee
    )
    other = PersonFactory(full_name="Otto Other", roles=["Executive"])
    for person in (executive, other):
        booking_create(shift=shift, person=person, by=actor(person))
    return shift


def test_taking_a_booked_shift_off_cancels_its_bookings_and_tells_every_calendar_why(
    booked_shift, executive
):
    before = set(OutgoingEmail.objects.values_list("pk", flat=True))

    assert shift_cancel(shift=booked_shift, reason="Team offsite that day") == 2

    booked_shift.refresh_from_db()
    assert (booked_shift.is_cancelled, booked_shift.seats_taken) == (True, 0)
    bookings = Booking.objects.filter(shift=booked_shift)
    assert {(b.status, b.sequence) for b in bookings} == {("cancelled", 1)}
    assert {b.cancel_reason for b in bookings} == {
        "The shift was taken off the schedule: Team offsite that day"
    }
    cancels = OutgoingEmail.objects.exclude(pk__in=before)
    # Each booking's event is cancelled for its executive and for the buddy.
    assert {e.method for e in cancels} == {"CANCEL"}
    otto = Booking.objects.exclude(person=executive).get(shift=booked_shift).person
    assert Counter(e.to_email for e in cancels) == {
        executive.email: 1,
        otto.email: 1,
        booked_shift.buddy.email: 2,
    }
    assert booked_shift not in open_shifts(viewer=executive)


def test_an_unbooked_shift_is_kept_cancelled_so_anyone_booking_it_is_told_so(
    queue, executive, client
):
    shift = ShiftFactory(queue=queue, starts_at=ny(4, 9), ends_at=ny(4, 13))
    assert shift_cancel(shift=shift, reason="") == 0  # nobody to tell: no reason needed
    shift.refresh_from_db()
    assert shift.is_cancelled and shift.seats_left == 0
    client.force_login(executive)
    assert (
        "none: the shift is off the schedule" in client.get(f"/shifts/{shift.pk}/").content.decode()
    )
    assert client.get(f"/api/shifts/{shift.pk}/").json()["cancelled"] is True
    with pytest.raises(BookingRefused, match="This shift was cancelled."):
        booking_create(shift=shift, person=executive, by=actor(executive))


@pytest.mark.parametrize(
    ("reason", "when", "message"),
    [
        ("  ", NOW, "Say why the shift is coming off the schedule: booked executives are told."),
        (
            "Sick",
            dt.datetime(2027, 3, 4, 15, tzinfo=UTC),
            "This shift has started: mark its attendance instead.",
        ),
    ],
)
def test_refusals_say_why_and_change_nothing(booked_shift, reason, when, message):
    with time_machine.travel(when, tick=False), pytest.raises(ValidationError, match=message):
        shift_cancel(shift=booked_shift, reason=reason)
    booked_shift.refresh_from_db()
    assert (booked_shift.is_cancelled, booked_shift.seats_taken) == (False, 2)


def test_a_shift_already_off_the_schedule_is_refused(booked_shift):
    shift_cancel(shift=booked_shift, reason="Offsite")
    with pytest.raises(ValidationError, match="This shift is already off the schedule."):
        shift_cancel(shift=booked_shift, reason="Again")


@pytest.fixture
def weekly(queue):
    pattern, _ = shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270331T235959",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
        capacity=2,
    )
    return pattern


def _days(pattern) -> list[dt.date]:
    shifts = Shift.objects.filter(pattern=pattern, is_cancelled=False).order_by("starts_at")
    return [s.starts_at.astimezone(NEW_YORK).date() for s in shifts]


def test_a_patterns_shift_taken_off_stays_off_when_the_pattern_is_edited(weekly, executive):
    thursday = Shift.objects.get(pattern=weekly, starts_at=ny(11, 9))
    booking_create(shift=thursday, person=executive, by=actor(executive))

    shift_cancel(shift=thursday, reason="Holiday")

    weekly.refresh_from_db()
    assert weekly.exdates == ["2027-03-11"]
    change = shift_pattern_update(pattern=weekly, start_time=dt.time(10), end_time=dt.time(14))
    assert change.applied and change.created == 0
    assert dt.date(2027, 3, 11) not in _days(weekly)
    assert len(_days(weekly)) == 8


def test_a_day_taken_off_while_the_pattern_form_was_open_stays_off(weekly):
    seen = list(weekly.exdates)  # the lead opens the pattern's form
    shift_cancel(shift=Shift.objects.get(pattern=weekly, starts_at=ny(11, 9)), reason="Holiday")

    # Saved with the skip dates the form showed, plus one the lead added.
    weekly.refresh_from_db()
    shift_pattern_update(
        pattern=weekly,
        exdates=["2027-03-18"],
        exdates_seen=seen,
        start_time=dt.time(10),
        end_time=dt.time(14),
    )

    weekly.refresh_from_db()
    assert weekly.exdates == ["2027-03-11", "2027-03-18"]
    assert not {dt.date(2027, 3, 11), dt.date(2027, 3, 18)} & set(_days(weekly))
    # A skip date the lead saw and removed is removed.
    shift_pattern_update(pattern=weekly, exdates=["2027-03-11"], exdates_seen=weekly.exdates)
    weekly.refresh_from_db()
    assert weekly.exdates == ["2027-03-11"] and dt.date(2027, 3, 18) in _days(weekly)


def test_the_pattern_page_carries_the_skip_dates_it_showed(client, support_lead, weekly):
    client.force_login(support_lead)
    page = client.get(f"/queues/patterns/{weekly.pk}/edit/").content.decode()
    assert 'type="hidden" name="exdates_seen"' in page
    shift_cancel(shift=Shift.objects.get(pattern=weekly, starts_at=ny(11, 9)), reason="Holiday")
    form = {
        "starts_on": "2027-03-02",
        "rrule": weekly.rrule,
        "exdates": "",
        "exdates_seen": "",
        "start_time": "09:00",
        "end_time": "12:00",
        "capacity": "2",
        "buddy": "",
        "location": "",
        "meeting_url": "",
    }
    assert client.post(f"/queues/patterns/{weekly.pk}/edit/", form).status_code == 302
    weekly.refresh_from_db()
    assert weekly.exdates == ["2027-03-11"]
    assert dt.date(2027, 3, 11) not in _days(weekly)


def test_a_pattern_stops_at_the_two_year_horizon(queue):
    pattern, count = shift_pattern_create(
        queue=queue,
        rrule="FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20300101T000000",
        starts_on=dt.date(2029, 1, 1),
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    assert (
        count == 2
    )  # 1 Jan and 1 Feb 2029: two years from noon on 1 Mar 2027 end before 1 Mar 09:00
    assert max(_days(pattern)) == dt.date(2029, 2, 1)


def test_a_booked_day_dropped_from_a_pattern_can_be_added_back(weekly, executive):
    thursday = Shift.objects.get(pattern=weekly, starts_at=ny(4, 9))
    booking = booking_create(shift=thursday, person=executive, by=actor(executive))
    tuesdays = "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270331T235959"
    assert shift_pattern_update(pattern=weekly, touch_booked=True, rrule=tuesdays).removed == 4

    weekly.refresh_from_db()
    back = shift_pattern_update(
        pattern=weekly, rrule="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270331T235959"
    )

    assert (back.applied, back.created) == (True, 4)
    assert dt.date(2027, 3, 4) in _days(weekly)
    booking.refresh_from_db()
    assert booking.status == "cancelled"  # the old booking stays cancelled, on the old shift
    assert Shift.objects.get(pk=thursday.pk).is_cancelled


def test_the_same_shift_cannot_be_added_twice(queue, frontline_employee):
    shift_create(
        queue=queue, starts_at=ny(4, 9), ends_at=ny(4, 13), capacity=1, buddy=frontline_employee
    )
    with pytest.raises(
        ValidationError, match="Billing chat already has this shift with Fran Frontline"
    ):
        shift_create(
            queue=queue, starts_at=ny(4, 9), ends_at=ny(4, 13), capacity=1, buddy=frontline_employee
        )
    # A second agent taking a visitor at the same time is a different shift.
    shift_create(queue=queue, starts_at=ny(4, 9), ends_at=ny(4, 13), capacity=1, buddy=None)
    assert Shift.objects.filter(queue=queue).count() == 2


def test_shifts_are_scheduled_at_most_two_years_ahead(queue):
    with pytest.raises(ValidationError, match="at most two years ahead"):
        shift_create(
            queue=queue,
            starts_at=dt.datetime(2029, 3, 5, 9, tzinfo=NEW_YORK),
            ends_at=dt.datetime(2029, 3, 5, 13, tzinfo=NEW_YORK),
            capacity=1,
        )
    with pytest.raises(ValidationError, match="at most two years ahead"):
        shift_pattern_create(
            queue=queue,
            rrule="FREQ=WEEKLY;BYDAY=TU",
            starts_on=dt.date(9999, 12, 1),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    assert not ShiftPattern.objects.exists()


# --- the pages ----------------------------------------------------------------------------


def test_a_lead_sees_who_is_booked_then_takes_the_shift_off(client, support_lead, booked_shift):
    client.force_login(support_lead)
    detail = client.get(f"/queues/{booked_shift.queue_id}/").content.decode()
    assert f'href="/queues/shifts/{booked_shift.pk}/cancel/"' in detail

    page = client.get(f"/queues/shifts/{booked_shift.pk}/cancel/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "2 bookings will be cancelled" in body
    assert "Eve Executive" in body and "Otto Other" in body

    response = client.post(
        f"/queues/shifts/{booked_shift.pk}/cancel/", {"reason": "Team offsite"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/queues/{booked_shift.queue_id}/"
    assert (
        "Shift taken off the schedule. 2 bookings cancelled; their calendars are told why."
        in response.content.decode()
    )
    booked_shift.refresh_from_db()
    assert booked_shift.is_cancelled

    again = client.get(f"/queues/shifts/{booked_shift.pk}/cancel/", follow=True)
    assert "This shift is already off the schedule." in again.content.decode()


def test_a_missing_reason_is_a_400_with_the_message(client, support_lead, booked_shift):
    client.force_login(support_lead)
    response = client.post(f"/queues/shifts/{booked_shift.pk}/cancel/", {"reason": " "})
    assert response.status_code == 400
    assert (
        "Say why the shift is coming off the schedule: booked executives are told."
        in response.content.decode()
    )
    booked_shift.refresh_from_db()
    assert not booked_shift.is_cancelled


def test_a_started_shift_says_so_instead_of_offering_the_form(client, support_lead, booked_shift):
    client.force_login(support_lead)
    with time_machine.travel(dt.datetime(2027, 3, 4, 15, tzinfo=UTC), tick=False):
        page = client.get(f"/queues/shifts/{booked_shift.pk}/cancel/")
        posted = client.post(f"/queues/shifts/{booked_shift.pk}/cancel/", {"reason": "Late"})
    assert "This shift has started: mark its attendance instead." in page.content.decode()
    assert "<textarea" not in page.content.decode()
    assert posted.status_code == 400
    assert escape("This shift has started: mark its attendance instead.") in posted.content.decode()


@pytest.mark.parametrize("role", ["executive", "hr_admin", "frontline_employee", "other_lead"])
def test_nobody_but_the_queues_leads_can_take_a_shift_off(client, request, booked_shift, role):
    person = (
        PersonFactory(roles=["Support lead"])
        if role == "other_lead"
        else request.getfixturevalue(role)
    )
    client.force_login(person)
    response = client.post(f"/queues/shifts/{booked_shift.pk}/cancel/", {"reason": "Mine now"})
    assert response.status_code == 403
    booked_shift.refresh_from_db()
    assert (booked_shift.is_cancelled, booked_shift.seats_taken) == (False, 2)


def test_adding_the_same_shift_twice_on_the_page_says_so(client, support_lead, queue):
    client.force_login(support_lead)
    form = {
        "day": "2027-03-16",
        "start_time": "09:00",
        "end_time": "13:00",
        "capacity": "2",
        "buddy": "",
        "location": "",
        "meeting_url": "",
    }
    assert client.post(f"/queues/{queue.pk}/shifts/new/", form).status_code == 302
    again = client.post(f"/queues/{queue.pk}/shifts/new/", form)
    assert again.status_code == 400
    assert (
        "Billing chat already has this shift (Tue 16 Mar 09:00, 2 seats)." in again.content.decode()
    )
    far = client.post(f"/queues/{queue.pk}/shifts/new/", {**form, "day": "9999-12-31"})
    assert far.status_code == 400
    assert "Shifts can be scheduled at most two years ahead." in far.content.decode()
    assert Shift.objects.filter(queue=queue).count() == 1


def test_a_pattern_leaves_out_shifts_the_queue_already_has(queue, frontline_employee):
    one_off = shift_create(
        queue=queue, starts_at=ny(4, 9), ends_at=ny(4, 13), capacity=1, buddy=frontline_employee
    )
    pattern, count = shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=3",
        starts_on=dt.date(2027, 3, 4),
        start_time=dt.time(9),
        end_time=dt.time(13),
        buddy=frontline_employee,
    )
    assert count == 2  # 11 and 18 March; the 4th is the one-off already on the schedule
    assert (
        Shift.objects.filter(queue=queue, starts_at=ny(4, 9), is_cancelled=False).get() == one_off
    )
    # A second pattern with the same days adds nothing either.
    assert (
        shift_pattern_create(
            queue=queue,
            rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=3",
            starts_on=dt.date(2027, 3, 4),
            start_time=dt.time(9),
            end_time=dt.time(13),
            buddy=frontline_employee,
        )[1]
        == 0
    )


def test_a_pattern_edit_that_would_move_a_shift_onto_one_the_queue_has_is_refused(
    queue, frontline_employee
):
    pattern, _ = shift_pattern_create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=3",
        starts_on=dt.date(2027, 3, 4),
        start_time=dt.time(9),
        end_time=dt.time(13),
        buddy=frontline_employee,
    )
    one_off = shift_create(
        queue=queue, starts_at=ny(11, 10), ends_at=ny(11, 14), capacity=1, buddy=frontline_employee
    )
    before = sorted(Shift.objects.values_list("pk", "starts_at", "ends_at"))

    with pytest.raises(ValidationError) as refused:
        shift_pattern_update(pattern=pattern, start_time=dt.time(10), end_time=dt.time(14))

    assert refused.value.messages == [
        f"{queue.name} already has the shift this edit would make on Thu 11 Mar 10:00 with "
        f"{frontline_employee.full_name}. Take one of them off the schedule first, or skip that date."
    ]
    assert sorted(Shift.objects.values_list("pk", "starts_at", "ends_at")) == before
    # Skipping that date lets the rest move.
    change = shift_pattern_update(
        pattern=pattern, start_time=dt.time(10), end_time=dt.time(14), exdates=["2027-03-11"]
    )
    assert (change.updated, change.removed) == (2, 1)
    assert Shift.objects.filter(starts_at=ny(11, 10), is_cancelled=False).get() == one_off


def test_a_rule_that_ends_before_its_first_day_is_refused(queue):
    with pytest.raises(
        ValidationError, match="This rule gives no days from 1 Jun 2027: does it end"
    ):
        shift_pattern_create(
            queue=queue,
            rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20270101",
            starts_on=dt.date(2027, 6, 1),
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    assert not ShiftPattern.objects.exists()


def test_a_rule_with_an_end_date_runs_to_it_not_just_a_year(queue):
    _, count = shift_pattern_create(
        queue=queue,
        rrule="FREQ=MONTHLY;BYMONTHDAY=2;UNTIL=20281231T000000",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    assert count == 22  # 2 Mar 2027 … 2 Dec 2028; an open-ended rule would stop after a year


def test_time_zones_that_are_not_places_are_not_offered(client, support_lead):
    client.force_login(support_lead)
    page = client.get("/queues/new/").content.decode()
    assert 'value="Europe/London"' in page
    assert 'value="Factory"' not in page and 'value="localtime"' not in page
