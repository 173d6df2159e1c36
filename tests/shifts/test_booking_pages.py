"""The booking pages end to end through the test client: find, book, move, cancel, mark
attendance, and run a queue's shifts; every refusal and every bad input shows its
message on the page; every list costs the same number of queries at any size.

Time is frozen at Monday 1 March 2027, 12:00 UTC, two weeks before the US daylight-saving
change. Eve Executive (the ``executive`` fixture) lives in Toronto and works 09:00–17:00.
The rules themselves are proven in test_booking_rules.py; here we prove the pages.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from rotations.directory.roles import Role
from rotations.models import Booking, Queue, Shift, ShiftPattern
from rotations.shifts.models import ENDS_SAME_DAY_MESSAGE
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import booking_cancel
from tests.factories import PersonFactory, QueueFactory, book, shift_at
from tests.helpers import TORONTO, count_queries, toronto

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=UTC)  # a Monday
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOT_A_CHOICE = "Select a valid choice. That choice is not one of the available choices."

# The clock starts first, before any fixture, so everyone signs in at the frozen time (a
# session started in real time would have expired by 2027).
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture(autouse=True)
def _no_cached_rows():
    # conftest's locmem caches all share one store (same LOCATION), so shift rows cached
    # by an earlier test would otherwise be served here.
    cache.clear()


def listed(response) -> list[int]:
    """The shifts a shift-list page shows, in its order."""
    assert response.status_code == 200
    return [
        int(pk)
        for pk in re.findall(r'<a href="/shifts/(\d+)/">View</a>', response.content.decode())
    ]


def ids(*shifts: Shift) -> list[int]:
    return [s.pk for s in shifts]


def shows(response, text: str) -> None:
    body = response.content.decode()
    assert escape(text) in body, f"{text!r} is not on the page"


def executive_named(name: str):
    return PersonFactory(full_name=name, roles=[Role.EXECUTIVE])


# --- finding a shift --------------------------------------------------------------------


def test_it_filters_by_queue_channel_and_dates_in_the_viewers_own_zone(
    client, executive, queue, phone_queue
):
    wednesday = shift_at(queue, toronto(3, 10))
    london = shift_at(phone_queue, toronto(4, 10))
    # 03:00 and 06:00 UTC on Wednesday 10 March: Tuesday 22:00 and Wednesday 01:00 in Toronto.
    late_tuesday = shift_at(queue, dt.datetime(2027, 3, 10, 3, tzinfo=UTC))
    early_wednesday = shift_at(queue, dt.datetime(2027, 3, 10, 6, tzinfo=UTC))
    client.force_login(executive)

    everything = client.get("/shifts/")
    assert listed(everything) == ids(wednesday, london, late_tuesday, early_wednesday)
    shows(everything, "4 open shifts")
    # Eve's own time first, the queue's local time beside it.
    body = everything.content.decode()
    assert "<td>Thu 4 Mar 10:00–14:00</td>" in body
    assert '<td>Thu 15:00 <small class="muted">Europe/London</small></td>' in body
    assert "<td>Tue 9 Mar 22:00–02:00</td>" in body

    assert listed(client.get(f"/shifts/?queue={phone_queue.pk}")) == ids(london)
    assert listed(client.get("/shifts/?channel=phone")) == ids(london)
    assert listed(client.get("/shifts/?channel=chat")) == ids(
        wednesday, late_tuesday, early_wednesday
    )
    assert listed(client.get("/shifts/?date_from=2027-03-09&date_to=2027-03-09")) == ids(
        late_tuesday
    )
    assert listed(client.get("/shifts/?date_from=2027-03-10&date_to=2027-03-10")) == ids(
        early_wednesday
    )
    assert listed(client.get("/shifts/?date_from=2027-03-04&channel=chat")) == ids(
        late_tuesday, early_wednesday
    )
    # An htmx filter change gets just the rows.
    rows = client.get("/shifts/?channel=phone", headers={"HX-Request": "true"})
    assert listed(rows) == ids(london)
    assert "<h1>" not in rows.content.decode()


def test_it_hides_full_paused_started_and_too_far_ahead_shifts(
    client, executive, queue, phone_queue
):
    open_one = shift_at(queue, toronto(3, 10))
    full = shift_at(queue, toronto(4, 10), capacity=1)
    book(full, executive_named("Ida Other"))
    shift_at(queue, NOW - dt.timedelta(hours=1))  # started
    shift_at(queue, NOW + dt.timedelta(days=91))  # beyond the 90-day window
    phone_queue.is_paused = True
    phone_queue.save()
    shift_at(phone_queue, toronto(5, 10))
    client.force_login(executive)
    assert listed(client.get("/shifts/")) == ids(open_one)


def test_fits_my_calendar_keeps_weekday_shifts_inside_working_hours_with_no_clash_on_a_free_day(
    client, executive, queue, phone_queue
):
    assert (executive.time_zone, executive.work_starts_at, executive.work_ends_at) == (
        "America/Toronto",
        dt.time(9),
        dt.time(17),
    )
    fits = shift_at(queue, toronto(3, 10))  # Wed 10:00–14:00
    early = shift_at(queue, toronto(4, 8))  # Thu 08:00–12:00: starts before work
    late = shift_at(queue, toronto(4, 14))  # Thu 14:00–18:00: ends after work
    night = shift_at(phone_queue, toronto(4, 22), hours=12)  # Thu 22:00 → Fri 10:00, booked
    clash = shift_at(queue, toronto(5, 9))  # Fri 09:00–13:00: overlaps the night's end
    # Fri 13:00–16:00 in Toronto is 18:00–21:00 in London: it is Eve's day that counts.
    friday_afternoon = shift_at(phone_queue, toronto(5, 13), hours=3)
    weekend = shift_at(queue, toronto(6, 10))  # Saturday
    whole_day = shift_at(queue, toronto(8, 9), hours=8)  # Mon 09:00–17:00 exactly
    morning = shift_at(phone_queue, toronto(10, 9), hours=1)  # Wed 10 09:00–10:00, booked
    same_day = shift_at(queue, toronto(10, 13), hours=3)  # Wed 10 13:00–16:00: a busy day
    book(night, executive)
    book(morning, executive)
    client.force_login(executive)

    assert listed(client.get("/shifts/")) == ids(
        fits, early, late, night, clash, friday_afternoon, weekend, whole_day, morning, same_day
    )
    assert listed(client.get("/shifts/?fits=on")) == ids(fits, friday_afternoon, whole_day)
    assert listed(client.get(f"/shifts/?fits=on&queue={phone_queue.pk}")) == ids(friday_afternoon)


def test_bad_filters_show_their_message_and_never_fail(client, executive, queue):
    shift = shift_at(queue, toronto(3, 10))
    client.force_login(executive)
    response = client.get("/shifts/?date_from=2027-03-10&date_to=2027-03-09")
    shows(response, "“To” is before “From”.")
    assert listed(response) == ids(shift)  # the filter is dropped, not the page
    response = client.get("/shifts/?date_from=not-a-date&queue=abc&channel=fax&page=-1")
    shows(response, "Enter a valid date.")
    shows(response, NOT_A_CHOICE)
    shows(response, "Select a valid choice. fax is not one of the available choices.")
    assert listed(response) == ids(shift)


def test_one_bad_filter_keeps_the_others_and_live_filtering_shows_its_message(
    client, executive, queue, phone_queue
):
    billing = shift_at(queue, toronto(3, 10))
    shift_at(phone_queue, toronto(3, 12))
    client.force_login(executive)
    response = client.get(f"/shifts/?queue={queue.pk}&date_from=garbage")
    shows(response, "Enter a valid date.")
    assert listed(response) == ids(billing)  # still only the chosen queue

    # htmx swaps only the rows: the message travels with them.
    live = client.get(
        f"/shifts/?queue={queue.pk}&date_from=2027-03-10&date_to=2027-03-09", HTTP_HX_REQUEST="true"
    )
    body = live.content.decode()
    assert (
        body.startswith('<p class="message error" role="alert">')
        and "“To” is before “From”." in body
    )
    assert "<html" not in body
    assert [int(pk) for pk in re.findall(r'<a href="/shifts/(\d+)/">View</a>', body)] == ids(
        billing
    )


def test_the_list_follows_bookings_and_pauses_once_they_commit(
    client, executive, support_lead, queue, django_capture_on_commit_callbacks
):
    last_seat = shift_at(queue, toronto(3, 10), capacity=1)
    other = shift_at(queue, toronto(4, 10))
    client.force_login(executive)
    assert listed(client.get("/shifts/")) == ids(last_seat, other)  # now cached

    colleague = executive_named("Ida Other")
    client.force_login(colleague)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/shifts/{last_seat.pk}/book/").status_code == 302
    client.force_login(executive)
    assert listed(client.get("/shifts/")) == ids(other)

    client.force_login(support_lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/queues/{queue.pk}/pause/", {"reason": "Incident"})
    client.force_login(executive)
    assert listed(client.get("/shifts/")) == []


@pytest.mark.parametrize("change", ["shift added", "queue renamed"])
def test_the_list_follows_new_shifts_and_queue_edits_once_they_commit(
    client, executive, support_lead, queue, change, django_capture_on_commit_callbacks
):
    first = shift_at(queue, toronto(3, 10))
    client.force_login(executive)
    assert listed(client.get("/shifts/")) == ids(first)
    client.force_login(support_lead)
    with django_capture_on_commit_callbacks(execute=True):
        if change == "shift added":
            client.post(f"/queues/{queue.pk}/shifts/new/", {**SHIFT_FORM, "day": "2027-03-05"})
        else:
            client.post(
                f"/queues/{queue.pk}/edit/",
                {**QUEUE_FORM, "name": "Billing chat EU", "leads": [support_lead.pk]},
            )
    client.force_login(executive)
    page = client.get("/shifts/")
    if change == "shift added":
        assert len(listed(page)) == 2
    else:
        shows(page, "Billing chat EU")


# --- booking, moving, cancelling ---------------------------------------------------------


def test_an_executive_books_a_shift_and_sees_it_on_their_schedule(
    client, executive, queue, frontline_employee
):
    shift = shift_at(queue, toronto(3, 10), buddy=frontline_employee)
    client.force_login(executive)

    response = client.post(f"/shifts/{shift.pk}/book/", follow=True)

    assert response.redirect_chain == [("/schedule/", 302)]
    shows(response, "You are booked on Billing chat. A calendar invite is on its way.")
    booking = Booking.objects.get()
    assert (booking.shift, booking.person, booking.booked_by, booking.status, booking.sequence) == (
        shift,
        executive,
        executive,
        "confirmed",
        0,
    )
    body = response.content.decode()
    assert (
        f'<td>Wed 3 Mar 10:00–14:00</td><td><a href="/shifts/{shift.pk}/">Billing chat</a></td>'
        "<td>Fran Frontline</td>"
    ) in body
    assert f'href="/shifts/bookings/{booking.pk}/reschedule/"' in body
    assert f'href="/shifts/bookings/{booking.pk}/cancel/"' in body
    # The shift page now knows Eve is booked.
    shows(client.get(f"/shifts/{shift.pk}/"), "You are booked on this shift.")


def test_an_executive_moves_a_booking_to_a_shift_labelled_in_their_own_zone(
    client, executive, queue
):
    berlin = QueueFactory(name="Berlin desk", time_zone="Europe/Berlin")
    old = shift_at(queue, toronto(3, 10))
    new = shift_at(berlin, toronto(10, 9))  # 15:00 in Berlin
    booking = book(old, executive)
    client.force_login(executive)

    page = client.get(f"/shifts/bookings/{booking.pk}/reschedule/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'<option value="{new.pk}">Berlin desk — Wed 10 Mar 09:00–13:00</option>' in body
    shift_select = body[body.index('<select name="shift"') :]
    shift_select = shift_select[: shift_select.index("</select>")]
    assert f'<option value="{old.pk}"' not in shift_select  # not the shift it is on

    response = client.post(
        f"/shifts/bookings/{booking.pk}/reschedule/", {"shift": new.pk}, follow=True
    )

    assert response.redirect_chain == [("/schedule/", 302)]
    shows(response, "Moved. The calendar entry moves with it.")
    moved = Booking.objects.get()
    assert (moved.pk, moved.uid, moved.shift, moved.sequence) == (booking.pk, booking.uid, new, 1)
    assert f'<a href="/shifts/{new.pk}/">Berlin desk</a>' in response.content.decode()
    assert (Shift.objects.get(pk=old.pk).seats_taken, Shift.objects.get(pk=new.pk).seats_taken) == (
        0,
        1,
    )


def test_times_read_like_a_calendar_with_the_year_only_when_it_is_not_this_one(
    client, executive, queue, frontline_employee
):
    queue.booking_window_days = 400
    queue.save()
    # Two shifts at one time in one queue: the move list tells them apart by their buddy.
    old = shift_at(queue, toronto(3, 10))
    alike = [
        shift_at(queue, toronto(9, 10), buddy=frontline_employee),
        shift_at(queue, toronto(9, 10)),
    ]
    next_year = shift_at(queue, dt.datetime(2028, 1, 4, 10, tzinfo=TORONTO))
    booking = book(old, executive)
    client.force_login(executive)

    rows = client.get("/shifts/").content.decode()
    assert "Tue 9 Mar 10:00–14:00" in rows and "Tue 4 Jan 2028 10:00–14:00" in rows
    assert "09 Mar" not in rows
    schedule = client.get("/schedule/").content.decode()
    assert "Wed 3 Mar 10:00–14:00" in schedule

    page = client.get(f"/shifts/bookings/{booking.pk}/reschedule/").content.decode()
    buddy = escape(frontline_employee.full_name)
    assert (
        f'<option value="{alike[0].pk}">Billing chat — Tue 9 Mar 10:00–14:00 with {buddy}</option>'
        in page
    )
    assert f'<option value="{alike[1].pk}">Billing chat — Tue 9 Mar 10:00–14:00</option>' in page
    assert (
        f'<option value="{next_year.pk}">Billing chat — Tue 4 Jan 2028 10:00–14:00</option>' in page
    )


def test_the_move_page_lists_a_bounded_choice_that_filters_narrow(
    client, executive, queue, monkeypatch
):
    from rotations.shifts.views import shifts as shift_views

    monkeypatch.setattr(shift_views, "RESCHEDULE_CHOICES", 3)
    berlin = QueueFactory(name="Berlin desk", time_zone="Europe/Berlin")
    booking = book(shift_at(queue, toronto(3, 10)), executive)
    in_queue = [shift_at(queue, toronto(day, 10)) for day in (4, 5, 8, 9)]
    far_berlin = shift_at(berlin, toronto(12, 9))
    client.force_login(executive)

    body = client.get(f"/shifts/bookings/{booking.pk}/reschedule/").content.decode()
    assert body.count("— ") - body.count("Frontline — ") == 3
    assert "Showing the first 3 open shifts; pick a queue or dates to see others." in body
    assert f'<option value="{far_berlin.pk}">Berlin desk' not in body

    body = client.get(
        f"/shifts/bookings/{booking.pk}/reschedule/",
        {"queue": berlin.pk, "date_from": "2027-03-10"},
    ).content.decode()
    assert f'<option value="{far_berlin.pk}">Berlin desk — Fri 12 Mar 09:00–13:00</option>' in body
    assert f'<option value="{berlin.pk}" selected>Berlin desk</option>' in body
    assert "Showing the first" not in body

    # A shift the page did not list can still be chosen: the rules decide, not the list.
    response = client.post(f"/shifts/bookings/{booking.pk}/reschedule/", {"shift": in_queue[-1].pk})
    assert response.status_code == 302
    assert Booking.objects.get().shift == in_queue[-1]

    bad = client.get(
        f"/shifts/bookings/{booking.pk}/reschedule/",
        {"date_from": "2027-03-10", "date_to": "2027-03-01"},
    )
    assert bad.status_code == 400
    shows(bad, "“To” is before “From”.")


def test_a_lead_narrows_the_move_page_by_their_own_calendar_days(
    client, executive, support_lead, queue
):
    support_lead.time_zone = "Asia/Tokyo"
    support_lead.save()
    booking = book(shift_at(queue, toronto(3, 10)), executive)
    evening = shift_at(queue, toronto(11, 20))  # Thursday 11 March in Toronto, Friday 12th in Tokyo
    client.force_login(support_lead)
    body = client.get(
        f"/shifts/bookings/{booking.pk}/reschedule/",
        {"date_from": "2027-03-12", "date_to": "2027-03-12"},
    ).content.decode()
    assert f'<option value="{evening.pk}">Billing chat — Fri 12 Mar 10:00–14:00</option>' in body


def test_a_cancelled_bookings_old_move_and_cancel_links_say_so(client, executive, queue):
    booking = book(shift_at(queue, toronto(3, 10)), executive)
    booking_cancel(booking=booking, by=actor(executive), reason="Board meeting")
    client.force_login(executive)
    for verb, path in (("move", "reschedule"), ("cancel", "cancel")):
        response = client.get(f"/shifts/bookings/{booking.pk}/{path}/", follow=True)
        assert response.redirect_chain == [("/schedule/", 302)]
        shows(response, f"This booking is cancelled: there is nothing to {verb}.")


def test_an_executive_cancels_with_a_reason_and_not_without_one(client, executive, queue):
    booking = book(shift_at(queue, toronto(3, 10)), executive)
    client.force_login(executive)

    no_reason = client.post(f"/shifts/bookings/{booking.pk}/cancel/", {"reason": ""})
    assert no_reason.status_code == 400
    shows(no_reason, "This field is required.")
    assert Booking.objects.get().status == "confirmed"

    response = client.post(
        f"/shifts/bookings/{booking.pk}/cancel/", {"reason": "Board meeting moved"}, follow=True
    )
    assert response.redirect_chain == [("/schedule/", 302)]
    shows(response, "Cancelled. It disappears from the calendar.")
    shows(response, "Nothing booked.")
    cancelled = Booking.objects.get()
    assert (cancelled.status, cancelled.cancel_reason, cancelled.sequence) == (
        "cancelled",
        "Board meeting moved",
        1,
    )
    assert Shift.objects.get(pk=booking.shift_id).seats_taken == 0


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("full", "This shift is full."),
        (
            "paused",
            "Billing chat is paused for new bookings (Incident in progress). Try another queue.",
        ),
        ("notice", "Billing chat needs 24 hours' notice to book a shift."),
        ("started", "This shift has already started."),
        ("window", "Billing chat takes bookings at most 90 days ahead."),
        (
            "clash",
            "You already have a shift that day (Billing chat, Wed 3 Mar 10:00); book at most one a day.",
        ),
    ],
)
def test_every_refusal_to_book_shows_its_message_on_the_shift_page(
    client, executive, queue, case, message
):
    shift = shift_at(queue, toronto(3, 14))
    if case == "full":
        shift = shift_at(queue, toronto(4, 10), capacity=1)
        book(shift, executive_named("Ida Other"))
    elif case == "paused":
        Queue.objects.filter(pk=queue.pk).update(
            is_paused=True, pause_reason="Incident in progress"
        )
    elif case == "notice":
        shift = shift_at(queue, NOW + dt.timedelta(hours=5))
    elif case == "started":
        shift = shift_at(queue, NOW - dt.timedelta(minutes=5))
    elif case == "window":
        shift = shift_at(queue, NOW + dt.timedelta(days=91))
    elif case == "clash":
        book(shift_at(queue, toronto(3, 10), hours=2), executive)
    client.force_login(executive)

    response = client.post(f"/shifts/{shift.pk}/book/", follow=True)

    assert response.redirect_chain == [(f"/shifts/{shift.pk}/", 302)]
    shows(response, message)
    assert not Booking.objects.filter(person=executive, shift=shift).exists()


def test_moving_or_cancelling_inside_minimum_notice_shows_the_refusal(client, executive, queue):
    booked = shift_at(queue, NOW + dt.timedelta(hours=30))
    booking = book(booked, executive)
    soon = shift_at(queue, toronto(2, 9))  # Tuesday 14:00 UTC: 26 hours away, 16 after the jump
    with time_machine.travel(NOW + dt.timedelta(hours=10), tick=False):
        client.force_login(executive)
        moved = client.post(f"/shifts/bookings/{booking.pk}/reschedule/", {"shift": soon.pk})
        assert moved.status_code == 400
        shows(moved, "Billing chat needs 24 hours' notice for a booking to be moved.")
        cancelled = client.post(f"/shifts/bookings/{booking.pk}/cancel/", {"reason": "Sick"})
        assert cancelled.status_code == 400
        shows(cancelled, "Billing chat needs 24 hours' notice for a booking to be cancelled.")
    booking.refresh_from_db()
    assert (booking.shift_id, booking.status, booking.sequence) == (booked.pk, "confirmed", 0)


def test_moving_to_a_shift_inside_minimum_notice_shows_the_refusal(client, executive, queue):
    booking = book(shift_at(queue, toronto(5, 10)), executive)
    soon = shift_at(queue, NOW + dt.timedelta(hours=5))  # open, but too soon to book
    client.force_login(executive)
    page = client.get(f"/shifts/bookings/{booking.pk}/reschedule/").content.decode()
    shift_select = page[page.index('<select name="shift"') :]
    assert (
        f'<option value="{soon.pk}">' not in shift_select[: shift_select.index("</select>")]
    )  # not offered...
    assert soon.pk not in listed(client.get("/shifts/"))
    response = client.post(f"/shifts/bookings/{booking.pk}/reschedule/", {"shift": soon.pk})
    assert response.status_code == 400
    shows(
        response, "Billing chat needs 24 hours' notice to book a shift."
    )  # ...and refused by the rule
    assert Booking.objects.get().shift_id == booking.shift_id


def test_a_support_lead_books_an_executive_inside_minimum_notice_by_overriding(
    client, executive, support_lead, queue
):
    soon = shift_at(queue, NOW + dt.timedelta(hours=5))
    client.force_login(support_lead)

    refused = client.post(f"/shifts/{soon.pk}/book/", {"person": executive.pk}, follow=True)
    shows(refused, "Billing chat needs 24 hours' notice to book a shift.")
    assert not Booking.objects.exists()

    response = client.post(
        f"/shifts/{soon.pk}/book/", {"person": executive.pk, "override_notice": "on"}, follow=True
    )
    assert response.redirect_chain == [(f"/shifts/{soon.pk}/", 302)]
    shows(response, "Eve Executive is booked on Billing chat.")
    assert "<td>Eve Executive</td><td>Confirmed</td>" in response.content.decode()
    booking = Booking.objects.get()
    assert (booking.person, booking.booked_by) == (executive, support_lead)


def test_a_support_lead_moves_an_executive_and_lands_on_the_new_shift(
    client, executive, support_lead, queue
):
    booking = book(shift_at(queue, toronto(3, 10)), executive)
    new = shift_at(queue, toronto(5, 10))
    client.force_login(support_lead)
    response = client.post(
        f"/shifts/bookings/{booking.pk}/reschedule/", {"shift": new.pk}, follow=True
    )
    assert response.redirect_chain == [(f"/shifts/{new.pk}/", 302)]
    shows(response, "Moved. The calendar entry moves with it.")
    assert "<td>Eve Executive</td><td>Confirmed</td>" in response.content.decode()


def test_a_support_lead_can_only_book_executives(client, support_lead, frontline_employee, queue):
    shift = shift_at(queue, toronto(3, 10))
    client.force_login(support_lead)
    for person in (frontline_employee.pk, "abc"):
        response = client.post(f"/shifts/{shift.pk}/book/", {"person": person})
        assert response.status_code == 400
        shows(response, NOT_A_CHOICE)
    assert not Booking.objects.exists()


def test_an_executive_cannot_book_someone_else(client, executive, queue):
    shift = shift_at(queue, toronto(3, 10))
    colleague = executive_named("Cole League")
    client.force_login(executive)
    response = client.post(f"/shifts/{shift.pk}/book/", {"person": colleague.pk})
    assert response.status_code == 403
    assert not Booking.objects.exists()
    # Naming oneself is the same as naming nobody.
    assert client.post(f"/shifts/{shift.pk}/book/", {"person": executive.pk}).status_code == 302
    assert Booking.objects.get().person == executive


@pytest.mark.parametrize("as_buddy", [False, True])
def test_front_line_employees_and_hr_cannot_book_themselves(
    client, frontline_employee, hr_admin, queue, as_buddy
):
    shift = shift_at(queue, toronto(3, 10), buddy=frontline_employee if as_buddy else None)
    client.force_login(frontline_employee)
    assert client.post(f"/shifts/{shift.pk}/book/").status_code == 403
    client.force_login(hr_admin)
    assert client.post(f"/shifts/{shift.pk}/book/").status_code == 403
    assert not Booking.objects.exists()


# --- attendance ---------------------------------------------------------------------------


def test_the_buddy_and_the_queues_lead_mark_attendance_once_the_shift_started(
    client, executive, support_lead, frontline_employee, hr_admin, queue
):
    shift = shift_at(queue, toronto(3, 10), buddy=frontline_employee)
    booking = book(shift, executive)
    url = f"/shifts/{shift.pk}/attendance/"

    client.force_login(support_lead)
    early = client.post(url, {"booking": booking.pk, "attended": "yes"}, follow=True)
    assert early.redirect_chain == [(url, 302)]
    shows(early, "Attendance can be marked once the shift has started.")
    assert Booking.objects.get().status == "confirmed"

    with time_machine.travel(shift.starts_at + dt.timedelta(hours=1), tick=False):
        client.force_login(frontline_employee)
        page = client.get(url)
        assert "<td>Eve Executive</td><td>Confirmed</td>" in page.content.decode()
        response = client.post(url, {"booking": booking.pk, "attended": "yes"}, follow=True)
        assert response.redirect_chain == [(url, 302)]
        shows(response, "Eve Executive: attended.")
        booking.refresh_from_db()
        assert (booking.status, booking.attendance_marked_by) == ("attended", frontline_employee)

        client.force_login(support_lead)
        response = client.post(url, {"booking": booking.pk, "attended": "no"}, follow=True)
        shows(response, "Eve Executive: no-show.")
        booking.refresh_from_db()
        assert (booking.status, booking.attendance_marked_by) == ("no_show", support_lead)

        other_lead = PersonFactory(roles=[Role.SUPPORT_LEAD])
        for outsider in (hr_admin, executive, executive_named("Ida Other"), other_lead):
            client.force_login(outsider)
            assert client.post(url, {"booking": booking.pk, "attended": "yes"}).status_code == 403
    assert Booking.objects.get().status == "no_show"


def test_attendance_with_a_bad_booking_id_is_a_400_not_a_500(
    client, executive, frontline_employee, queue
):
    shift = shift_at(queue, toronto(3, 10), buddy=frontline_employee)
    booking = book(shift, executive)
    elsewhere = book(
        shift_at(queue, toronto(4, 10), buddy=frontline_employee), executive_named("Ida Other")
    )
    with time_machine.travel(shift.starts_at + dt.timedelta(hours=1), tick=False):
        client.force_login(frontline_employee)
        for data in (
            {"booking": "abc", "attended": "yes"},
            {"booking": "²", "attended": "yes"},
            {"attended": "yes"},
            {"booking": booking.pk, "attended": "maybe"},
            {"booking": booking.pk},
        ):
            response = client.post(f"/shifts/{shift.pk}/attendance/", data)
            assert response.status_code == 400, data
            shows(response, "Pick a booking and whether they attended.")
        # A booking on another shift the buddy also has is not this shift's to mark.
        response = client.post(
            f"/shifts/{shift.pk}/attendance/", {"booking": elsewhere.pk, "attended": "yes"}
        )
        assert response.status_code == 403
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"


# --- running a queue ----------------------------------------------------------------------

QUEUE_FORM = {
    "name": "Returns chat",
    "channel": "chat",
    "team": "Returns",
    "time_zone": "America/New_York",
    "opens_at": "08:00",
    "closes_at": "18:00",
    "visitor_capacity": "2",
    "brief": "Answer returns chats next to your buddy.",
    "booking_window_days": "60",
    "min_notice_hours": "48",
}


def test_a_queues_window_and_notice_have_bounds_a_person_would_recognise(
    client, support_lead, queue
):
    client.force_login(support_lead)
    form = {**QUEUE_FORM, "name": "Billing chat", "leads": [support_lead.pk]}
    for field, value, message in (
        ("booking_window_days", "3000000", "Ensure this value is less than or equal to 731."),
        ("booking_window_days", "0", "Ensure this value is greater than or equal to 1."),
        ("min_notice_hours", "99999", "Ensure this value is less than or equal to 2160."),
    ):
        response = client.post(f"/queues/{queue.pk}/edit/", {**form, field: value})
        assert response.status_code == 400, field
        shows(response, message)
    queue.refresh_from_db()
    assert queue.booking_window_days != 3000000
    client.force_login(PersonFactory(roles=[Role.EXECUTIVE]))
    assert client.get("/shifts/").status_code == 200


def test_narrowing_a_queues_hours_warns_about_the_shifts_left_outside(client, support_lead, queue):
    early = shift_at(queue, dt.datetime(2027, 3, 12, 9, tzinfo=NEW_YORK))
    shift_at(queue, dt.datetime(2027, 3, 12, 11, tzinfo=NEW_YORK), hours=2)  # still inside
    shift_at(queue, dt.datetime(2027, 3, 15, 9, 30, tzinfo=NEW_YORK), hours=2)
    client.force_login(support_lead)
    form = {
        **QUEUE_FORM,
        "name": "Billing chat",
        "time_zone": "America/New_York",
        "leads": [support_lead.pk],
    }
    quiet = client.post(
        f"/queues/{queue.pk}/edit/",
        {**form, "opens_at": "09:00", "closes_at": "17:00"},
        follow=True,
    )
    assert "outside the new hours" not in quiet.content.decode()
    response = client.post(
        f"/queues/{queue.pk}/edit/",
        {**form, "opens_at": "10:00", "closes_at": "17:00"},
        follow=True,
    )
    shows(
        response,
        "2 upcoming shifts fall outside the new hours (the first on Fri 12 Mar 09:00 America/New_York). "
        "They stay as they are: edit their pattern or take them off the schedule.",
    )
    assert Shift.objects.filter(pk=early.pk, is_cancelled=False).exists()
    # The queue page marks them, each with its way off the schedule.
    page = response.content.decode()
    assert page.count("outside opening hours</mark>") == 2
    assert f'href="/queues/shifts/{early.pk}/cancel/"' in page


def test_a_lead_creates_edits_pauses_and_resumes_a_queue(client, support_lead):
    client.force_login(support_lead)

    created = client.post("/queues/new/", QUEUE_FORM, follow=True)
    queue = Queue.objects.get()
    assert created.redirect_chain == [(f"/queues/{queue.pk}/", 302)]
    shows(created, "Returns chat is ready. Add its shifts.")
    assert list(queue.leads.all()) == [support_lead]
    assert (queue.opens_at, queue.closes_at, queue.visitor_capacity, queue.min_notice_hours) == (
        dt.time(8),
        dt.time(18),
        2,
        48,
    )

    edited = client.post(
        f"/queues/{queue.pk}/edit/",
        {
            **QUEUE_FORM,
            "name": "Returns chat EU",
            "time_zone": "Europe/Dublin",
            "leads": [support_lead.pk],
        },
        follow=True,
    )
    assert edited.redirect_chain == [(f"/queues/{queue.pk}/", 302)]
    shows(edited, "Returns chat EU saved.")
    queue.refresh_from_db()
    assert (queue.name, queue.time_zone) == ("Returns chat EU", "Europe/Dublin")
    assert list(queue.leads.all()) == [support_lead]

    detail = client.get(f"/queues/{queue.pk}/").content.decode()
    assert (
        '<button type="submit" name="action" value="pause" class="contrast">Pause bookings</button>'
        in detail
    )
    paused = client.post(
        f"/queues/{queue.pk}/pause/",
        {"reason": "Incident in progress", "action": "pause"},
        follow=True,
    )
    shows(paused, "Returns chat EU is paused: no new bookings until you resume it.")
    assert (
        '<p class="message error" id="paused">Paused for new bookings: Incident in progress.</p>'
        in paused.content.decode()
    )
    queue.refresh_from_db()
    assert (queue.is_paused, queue.pause_reason) == (True, "Incident in progress")

    assert (
        '<button type="submit" name="action" value="resume" class="contrast">Resume bookings</button>'
        in (paused.content.decode())
    )

    resumed = client.post(f"/queues/{queue.pk}/pause/", {"action": "resume"}, follow=True)
    shows(resumed, "Returns chat EU takes bookings again.")
    assert 'id="paused"' not in resumed.content.decode()
    queue.refresh_from_db()
    assert (queue.is_paused, queue.pause_reason) == (False, "")


def test_pausing_twice_keeps_the_queue_paused_and_a_bare_post_toggles(client, support_lead, queue):
    client.force_login(support_lead)
    url = f"/queues/{queue.pk}/pause/"
    for reason in ("Incident", "Incident, still"):  # a double click, or a second tab
        assert client.post(url, {"action": "pause", "reason": reason}).status_code == 302
    queue.refresh_from_db()
    assert (queue.is_paused, queue.pause_reason) == (True, "Incident, still")
    for _ in range(2):
        client.post(url, {"action": "resume"})
    queue.refresh_from_db()
    assert queue.is_paused is False

    client.post(url)
    assert Queue.objects.get().is_paused is True
    client.post(url)
    assert Queue.objects.get().is_paused is False
    response = client.post(url, {"action": "delete"})
    assert (response.status_code, response.content) == (400, b"Pause or resume?")
    assert Queue.objects.get().is_paused is False


def test_whoever_creates_a_queue_leads_it_beside_the_leads_they_name(client, support_lead):
    colleague = PersonFactory(full_name="Olga Otherlead", roles=[Role.SUPPORT_LEAD])
    client.force_login(support_lead)
    assert client.post("/queues/new/", {**QUEUE_FORM, "leads": [colleague.pk]}).status_code == 302
    assert set(Queue.objects.get().leads.all()) == {support_lead, colleague}


def test_a_lead_adds_single_shifts_in_the_queues_local_time(
    client, support_lead, frontline_employee, queue
):
    client.force_login(support_lead)
    # 12 March is still standard time in New York, 16 March is daylight time.
    for day in ("2027-03-12", "2027-03-16"):
        response = client.post(
            f"/queues/{queue.pk}/shifts/new/",
            {
                "day": day,
                "start_time": "09:00",
                "end_time": "13:00",
                "capacity": "2",
                "buddy": frontline_employee.pk,
                "location": "Floor 3",
                "meeting_url": "",
            },
            follow=True,
        )
        assert response.redirect_chain == [(f"/queues/{queue.pk}/", 302)]
        shows(response, "Shift added.")
    shifts = list(Shift.objects.order_by("starts_at"))
    assert [s.starts_at for s in shifts] == [
        dt.datetime(2027, 3, 12, 14, tzinfo=UTC),
        dt.datetime(2027, 3, 16, 13, tzinfo=UTC),
    ]
    assert {
        (s.starts_at.astimezone(NEW_YORK).time(), s.ends_at.astimezone(NEW_YORK).time())
        for s in shifts
    } == {(dt.time(9), dt.time(13))}
    assert {(s.queue_id, s.capacity, s.buddy_id, s.location, s.pattern_id) for s in shifts} == {
        (queue.pk, 2, frontline_employee.pk, "Floor 3", None)
    }


def test_a_shift_outside_the_queues_hours_is_refused_on_the_page(client, support_lead, queue):
    client.force_login(support_lead)
    message = (
        "Billing chat is open 09:00–17:00 (America/New_York); a shift must fit inside those hours."
    )
    response = client.post(
        f"/queues/{queue.pk}/shifts/new/",
        {**SHIFT_FORM, "start_time": "16:00", "end_time": "19:00"},
    )
    assert response.status_code == 400
    shows(response, message)
    response = client.post(
        f"/queues/{queue.pk}/patterns/new/", {**PATTERN_FORM, "start_time": "06:00"}
    )
    assert response.status_code == 400
    shows(response, message)
    assert not Shift.objects.exists()


def test_queue_local_times_are_shown_in_the_queues_zone_beside_the_viewers(
    client, support_lead, phone_queue
):
    phone_queue.leads.add(support_lead)
    shift = shift_at(
        phone_queue, dt.datetime(2027, 3, 12, 9, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    )
    client.force_login(support_lead)  # in Toronto, five hours behind London

    queue_page = client.get(f"/queues/{phone_queue.pk}/").content.decode()
    assert "<td>Fri 12 Mar 09:00–13:00</td>\n      <td>Fri 12 Mar 04:00</td>" in queue_page

    shift_page = client.get(f"/shifts/{shift.pk}/").content.decode()
    assert (
        "Friday 12 March 2027, 04:00–08:00 your time (America/Toronto) · 09:00–13:00 in Europe/London"
        in shift_page
    )


def test_a_lead_adds_a_weekly_pattern_through_the_form(
    client, support_lead, frontline_employee, queue
):
    client.force_login(support_lead)
    response = client.post(
        f"/queues/{queue.pk}/patterns/new/",
        {
            "starts_on": "2027-03-02",
            "weekdays": ["TU", "TH"],
            "every_weeks": "1",
            "until": "2027-03-18",
            "rrule": "",
            "exdates": "2027-03-11",
            "start_time": "09:00",
            "end_time": "13:00",
            "capacity": "2",
            "buddy": frontline_employee.pk,
            "location": "",
            "meeting_url": "https://meet.example.com/billing",
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/queues/{queue.pk}/", 302)]
    shows(response, "Pattern saved: 5 shifts added.")
    pattern = ShiftPattern.objects.get()
    assert (pattern.rrule, pattern.exdates) == (
        "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH;UNTIL=20270318T235959",
        ["2027-03-11"],
    )
    shifts = list(Shift.objects.filter(pattern=pattern).order_by("starts_at"))
    assert [s.starts_at.astimezone(NEW_YORK).strftime("%a %d %H:%M") for s in shifts] == [
        "Tue 02 09:00",
        "Thu 04 09:00",
        "Tue 09 09:00",
        "Tue 16 09:00",
        "Thu 18 09:00",
    ]
    assert [s.starts_at.hour for s in shifts] == [14, 14, 14, 13, 13]  # UTC moves, local does not
    assert {s.ends_at.astimezone(NEW_YORK).time() for s in shifts} == {dt.time(13)}
    assert {(s.capacity, s.buddy_id, s.meeting_url) for s in shifts} == {
        (2, frontline_employee.pk, "https://meet.example.com/billing")
    }


def test_editing_a_pattern_with_a_booked_shift_asks_first_then_moves_the_booking(
    client, support_lead, executive, queue
):
    # A lead far from the queue: the confirmation must list the queue's own local times.
    support_lead.time_zone = "Asia/Tokyo"
    support_lead.save()
    client.force_login(support_lead)
    form = {
        "starts_on": "2027-03-02",
        "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270318T235959",
        "exdates": "",
        "start_time": "09:00",
        "end_time": "13:00",
        "capacity": "2",
        "buddy": "",
        "location": "",
        "meeting_url": "",
    }
    assert client.post(f"/queues/{queue.pk}/patterns/new/", form).status_code == 302
    pattern = ShiftPattern.objects.get()
    tuesday = Shift.objects.get(pattern=pattern, starts_at=dt.datetime(2027, 3, 9, 14, tzinfo=UTC))
    booking = book(tuesday, executive)
    url = f"/queues/patterns/{pattern.pk}/edit/"

    later = {**form, "start_time": "10:00", "end_time": "14:00"}
    asked = client.post(url, later)
    assert asked.status_code == 200
    body = asked.content.decode()
    assert '<article id="confirm-booked" role="alert">' in body
    shows(asked, "1 booked shift would change.")
    assert "<li>Tue 9 Mar 09:00 — 1 booked</li>" in body
    assert 'name="confirm_booked" value="yes"' in body
    assert {
        s.starts_at.astimezone(NEW_YORK).time() for s in Shift.objects.filter(pattern=pattern)
    } == {dt.time(9)}
    assert ShiftPattern.objects.get().start_time == dt.time(9)

    done = client.post(url, {**later, "confirm_booked": "yes"}, follow=True)
    assert done.redirect_chain == [(f"/queues/{queue.pk}/", 302)]
    shows(done, "Pattern saved: 0 shifts added, 6 changed, 0 removed.")
    assert {
        s.starts_at.astimezone(NEW_YORK).time() for s in Shift.objects.filter(pattern=pattern)
    } == {dt.time(10)}
    booking.refresh_from_db()
    assert (booking.shift_id, booking.sequence, booking.starts_at) == (
        tuesday.pk,
        1,
        dt.datetime(2027, 3, 9, 15, tzinfo=UTC),
    )


def test_the_pattern_edit_form_shows_a_weekly_rule_in_the_fields_it_was_made_with(
    client, support_lead, queue
):
    client.force_login(support_lead)
    made = {**PATTERN_FORM, "weekdays": ["TU", "TH"], "every_weeks": "2", "until": "2027-06-30"}
    assert client.post(f"/queues/{queue.pk}/patterns/new/", made).status_code == 302
    pattern = ShiftPattern.objects.get()
    assert pattern.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270630T235959"

    page = client.get(f"/queues/patterns/{pattern.pk}/edit/").content.decode()
    ticked = re.findall(r'<input type="checkbox" name="weekdays" value="(\w\w)"[^>]*checked', page)
    assert ticked == ["TU", "TH"]
    assert re.search(r'name="every_weeks" value="2"', page)
    assert re.search(r'name="until" value="2027-06-30"', page)
    assert re.search(
        r'<input type="text" name="rrule"(?![^>]*value=)', page
    )  # empty: the fields say it
    # Sent back as shown, nothing changes.
    again = client.post(
        f"/queues/patterns/{pattern.pk}/edit/", {**made, "exdates_seen": ""}, follow=True
    )
    shows(again, "Pattern saved: 0 shifts added, 0 changed, 0 removed.")

    # A rule the fields cannot say stays written out in full.
    pattern.rrule = "FREQ=MONTHLY;BYDAY=1TU;COUNT=4"
    pattern.save()
    page = client.get(f"/queues/patterns/{pattern.pk}/edit/").content.decode()
    assert 'value="FREQ=MONTHLY;BYDAY=1TU;COUNT=4"' in page
    assert not re.findall(r'name="weekdays" value="\w\w"[^>]*checked', page)


def test_a_pattern_edit_that_would_unseat_bookings_is_a_400_with_the_reason(
    client, support_lead, executive, queue
):
    client.force_login(support_lead)
    form = {
        "starts_on": "2027-03-02",
        "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        "exdates": "",
        "start_time": "09:00",
        "end_time": "13:00",
        "capacity": "2",
        "buddy": "",
        "location": "",
        "meeting_url": "",
    }
    client.post(f"/queues/{queue.pk}/patterns/new/", form)
    pattern = ShiftPattern.objects.get()
    tuesday = Shift.objects.filter(pattern=pattern).order_by("starts_at")[1]
    book(tuesday, executive)
    book(tuesday, executive_named("Ida Other"))

    response = client.post(
        f"/queues/patterns/{pattern.pk}/edit/", {**form, "capacity": "1", "confirm_booked": "yes"}
    )

    assert response.status_code == 400
    shows(
        response,
        "The shift on Tue 9 Mar 09:00 already has 2 booked; the capacity cannot go below that.",
    )
    assert list(Shift.objects.filter(pattern=pattern).values_list("capacity", flat=True)) == [
        2,
        2,
        2,
    ]
    assert ShiftPattern.objects.get().capacity == 2


def _snapshot() -> tuple:
    """Everything a form could have written."""
    return (
        list(
            Queue.objects.values_list(
                "name", "time_zone", "opens_at", "closes_at", "visitor_capacity"
            )
        ),
        list(Shift.objects.values_list("starts_at", "ends_at", "capacity")),
        list(
            ShiftPattern.objects.values_list(
                "rrule", "start_time", "end_time", "exdates", "capacity"
            )
        ),
        list(Booking.objects.values_list("shift", "status", "sequence")),
    )


def _pattern(queue):
    return ShiftPattern.objects.create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
    )


SHIFT_FORM = {
    "day": "2027-03-16",
    "start_time": "09:00",
    "end_time": "13:00",
    "capacity": "2",
    "buddy": "",
    "location": "",
    "meeting_url": "",
}
PATTERN_FORM = {
    "starts_on": "2027-03-02",
    "weekdays": ["TU"],
    "every_weeks": "1",
    "until": "",
    "rrule": "",
    "exdates": "",
    "start_time": "09:00",
    "end_time": "13:00",
    "capacity": "2",
    "buddy": "",
    "location": "",
    "meeting_url": "",
}


@pytest.mark.parametrize(
    ("form", "changes", "message"),
    [
        (
            "queue",
            {"time_zone": "Mars/Olympus"},
            "Select a valid choice. Mars/Olympus is not one of the available choices.",
        ),
        ("queue", {"closes_at": "07:00"}, "The queue must close after it opens."),
        ("queue", {"visitor_capacity": "0"}, "A queue takes at least one visitor."),
        ("queue", {"visitor_capacity": "two"}, "Enter a whole number."),
        ("queue", {"opens_at": "25:00"}, "Enter a valid time."),
        ("queue", {"leads": "abc"}, "“abc” is not a valid value."),
        (
            "queue-edit",
            {"time_zone": "Not/AZone"},
            "Select a valid choice. Not/AZone is not one of the available choices.",
        ),
        ("queue-edit", {"closes_at": "07:00"}, "The queue must close after it opens."),
        ("queue-edit", {"leads": []}, "A queue needs at least one lead: pick who runs it."),
        ("shift", {"end_time": "08:00"}, ENDS_SAME_DAY_MESSAGE),
        ("shift", {"capacity": "4"}, "Billing chat takes at most 3 visiting executives at once."),
        ("shift", {"capacity": "x"}, "Enter a whole number."),
        ("shift", {"day": "2027-02-30"}, "Enter a valid date."),
        ("shift", {"buddy": "abc"}, NOT_A_CHOICE),
        ("shift", {"meeting_url": "not a url"}, "Enter a valid URL."),
        ("pattern", {"rrule": "FREQ=HOURLY"}, "The rule needs FREQ=DAILY, WEEKLY or MONTHLY."),
        (
            "pattern",
            {"rrule": "nonsense"},
            "“nonsense” is not NAME=VALUE (e.g. FREQ=WEEKLY;BYDAY=TU,TH).",
        ),
        (
            "pattern",
            {"rrule": "FREQ=WEEKLY;BYDAY=XX"},
            "BYDAY lists weekdays (MO,TU,WE,TH,FR,SA,SU)",
        ),
        (
            "pattern",
            {"rrule": "FREQ=WEEKLY;DTSTART=20270101"},
            "Give the first date separately, not as DTSTART in the rule.",
        ),
        ("pattern", {"weekdays": []}, "Pick the weekdays, or write a full RRULE."),
        (
            "pattern",
            {"weekdays": ["XX"]},
            "Select a valid choice. XX is not one of the available choices.",
        ),
        (
            "pattern",
            {"exdates": "2027-03-09, 2027-02-30"},
            "“2027-02-30” is not a date like 2027-04-06.",
        ),
        ("pattern", {"end_time": "09:00"}, ENDS_SAME_DAY_MESSAGE),
        (
            "pattern",
            {"start_time": "23:00", "end_time": "01:00"},
            "a shift cannot run past midnight",
        ),
        ("pattern", {"capacity": "9"}, "Billing chat takes at most 3 visiting executives at once."),
        ("pattern", {"every_weeks": "abc"}, "Enter a whole number."),
        ("pattern", {"buddy": "abc"}, NOT_A_CHOICE),
        ("pattern-edit", {"rrule": "FREQ=YEARLY"}, "The rule needs FREQ=DAILY, WEEKLY or MONTHLY."),
        ("pattern-edit", {"exdates": "tuesday"}, "“tuesday” is not a date like 2027-04-06."),
        (
            "pattern-edit",
            {"capacity": "9"},
            "Billing chat takes at most 3 visiting executives at once.",
        ),
        ("reschedule", {"shift": "abc"}, NOT_A_CHOICE),
        ("reschedule", {"shift": "999999"}, NOT_A_CHOICE),
        ("cancel", {"reason": "   "}, "This field is required."),
        (
            "cancel",
            {"reason": "x" * 501},
            "Ensure this value has at most 500 characters (it has 501).",
        ),
    ],
)
def test_bad_input_on_every_form_is_a_400_page_with_the_message(
    client, support_lead, executive, queue, form, changes, message
):
    if form in ("reschedule", "cancel"):
        booking = book(shift_at(queue, toronto(3, 10)), executive)
        url = f"/shifts/bookings/{booking.pk}/{form}/"
        data = {}
        client.force_login(executive)
    elif form == "pattern-edit":
        client.force_login(support_lead)
        url, data = f"/queues/patterns/{_pattern(queue).pk}/edit/", PATTERN_FORM
    else:
        client.force_login(support_lead)
        url, data = {
            "queue": ("/queues/new/", QUEUE_FORM),
            "queue-edit": (f"/queues/{queue.pk}/edit/", {**QUEUE_FORM, "leads": [support_lead.pk]}),
            "shift": (f"/queues/{queue.pk}/shifts/new/", SHIFT_FORM),
            "pattern": (f"/queues/{queue.pk}/patterns/new/", PATTERN_FORM),
        }[form]
    before = _snapshot()

    response = client.post(url, {**data, **changes})

    assert response.status_code == 400
    shows(response, message)
    assert response.content.decode().count(escape(message)) == 1
    assert "is violated" not in response.content.decode()
    assert _snapshot() == before


def test_writes_by_the_wrong_role_are_refused(
    client, executive, hr_admin, support_lead, frontline_employee, queue
):
    other_lead = PersonFactory(full_name="Olga Otherlead", roles=[Role.SUPPORT_LEAD])
    shift = shift_at(queue, toronto(3, 10))
    cases = [
        (executive, "/queues/new/", QUEUE_FORM),
        (hr_admin, "/queues/new/", QUEUE_FORM),
        (frontline_employee, "/queues/new/", QUEUE_FORM),
        (executive, f"/queues/{queue.pk}/pause/", {"reason": "no"}),
        (other_lead, f"/queues/{queue.pk}/pause/", {"reason": "no"}),
        (other_lead, f"/queues/{queue.pk}/edit/", {**QUEUE_FORM, "name": "Taken over"}),
        (other_lead, f"/queues/{queue.pk}/shifts/new/", SHIFT_FORM),
        (other_lead, f"/queues/{queue.pk}/patterns/new/", PATTERN_FORM),
        (hr_admin, f"/queues/{queue.pk}/shifts/new/", SHIFT_FORM),
        (frontline_employee, f"/shifts/{shift.pk}/book/", {}),
    ]
    for person, url, data in cases:
        client.force_login(person)
        assert client.post(url, data).status_code == 403, (person.full_name, url)
    queue.refresh_from_db()
    assert (Queue.objects.count(), queue.name, queue.is_paused) == (1, "Billing chat", False)
    assert (Shift.objects.count(), ShiftPattern.objects.count(), Booking.objects.count()) == (
        1,
        0,
        0,
    )


# --- a fixed query cost at any size -------------------------------------------------------


def list_queries(client, path: str, *, rows: int | None = None) -> int:
    """The queries of a GET of a shift list, which answers 200 (with ``rows`` rows)."""
    cache.clear()  # the shift rows are cached; each size must be built from the database

    def get() -> None:
        response = client.get(path)
        assert response.status_code == 200
        if rows is not None:
            assert len(listed(response)) == rows

    return count_queries(get)


def test_the_shift_list_costs_the_same_with_3_or_30_shifts(
    client, executive, queue, phone_queue, frontline_employee
):
    book(shift_at(queue, toronto(2, 10)), executive)  # "fits my calendar" reads Eve's bookings
    client.force_login(executive)
    client.get("/shifts/")  # the first request of a process warms caches of its own
    filtered = (
        f"/shifts/?fits=on&channel=chat&queue={queue.pk}&date_from=2027-03-01&date_to=2027-04-30"
    )
    for n in (3, 30):
        Shift.objects.filter(bookings__isnull=True).delete()
        for i in range(n):
            shift_at(
                queue if i % 2 else phone_queue,
                toronto(3, 9) + dt.timedelta(days=i // 3, hours=3 * (i % 3)),
                hours=2,
                buddy=frontline_employee if i % 3 else None,
            )
        # The filtered list also reads the chosen queue, and Eve's bookings for "fits my
        # calendar".
        every_shift = list_queries(client, "/shifts/", rows=n + 1)
        assert (every_shift, list_queries(client, filtered)) == (5, 7), n


def test_the_schedule_page_costs_the_same_with_3_or_30_bookings_and_buddy_shifts(
    client, queue, phone_queue, frontline_employee
):
    for n in (3, 30):
        person = executive_named(f"Exec With {n}")
        visitor = executive_named(f"Visitor Of {n}")
        for day in range(n):
            book(
                shift_at(queue, NOW + dt.timedelta(days=day + 2), buddy=frontline_employee), person
            )
            buddy_shift = shift_at(
                phone_queue, NOW + dt.timedelta(days=day + 2, hours=6), buddy=person
            )
            book(buddy_shift, visitor)
        # And one of each in the past.
        past = shift_at(queue, NOW - dt.timedelta(days=7), buddy=person)
        Booking.objects.create(
            shift=past, person=person, starts_at=past.starts_at, ends_at=past.ends_at
        )
        client.force_login(person)
        client.get("/schedule/")
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/schedule/")
        body = response.content.decode()
        assert body.count('/reschedule/">Move</a>') == n
        assert body.count("Visitor Of") == n
        assert body.count("<td>Fran Frontline</td>") == n
        assert "Past shifts (1)" in body and "Past (1)" in body
        assert len(captured.captured_queries) == 4, n


def test_the_queue_page_pages_its_upcoming_shifts_at_a_fixed_cost(
    client, support_lead, queue, frontline_employee
):
    client.force_login(support_lead)
    for n in (3, 130):
        Shift.objects.all().delete()
        Shift.objects.bulk_create(
            Shift(
                queue=queue,
                starts_at=NOW + dt.timedelta(days=1 + i // 2, hours=2 + 4 * (i % 2)),
                ends_at=NOW + dt.timedelta(days=1 + i // 2, hours=4 + 4 * (i % 2)),
                capacity=1,
                buddy=frontline_employee,
            )
            for i in range(n)
        )
        client.get(f"/queues/{queue.pk}/")
        with CaptureQueriesContext(connection) as captured:
            page = client.get(f"/queues/{queue.pk}/").content.decode()
        assert len(captured.captured_queries) == 7, n
        assert page.count('">Take off</a>') == min(n, 100)
    assert "130 upcoming shifts, 1–100 below." in page
    assert '<a href="?page=2#upcoming">Later</a>' in page
    second = client.get(f"/queues/{queue.pk}/?page=2").content.decode()
    assert "130 upcoming shifts, 101–130 below." in second and second.count('">Take off</a>') == 30
    assert '<a href="?page=1#upcoming">Sooner</a>' in second
    # Whatever the page number says, the page answers.
    assert client.get(f"/queues/{queue.pk}/?page=x").status_code == 200
    assert client.get(f"/queues/{queue.pk}/?page=99").status_code == 200


def test_a_shift_cannot_be_added_in_the_past(client, support_lead, queue):
    client.force_login(support_lead)
    response = client.post(f"/queues/{queue.pk}/shifts/new/", {**SHIFT_FORM, "day": "2027-02-26"})
    assert response.status_code == 400
    shows(response, "A new shift must start in the future.")
    assert not Shift.objects.exists()


def test_a_single_shift_in_the_daylight_saving_gap_is_refused(client, support_lead, queue):
    client.force_login(support_lead)
    response = client.post(
        f"/queues/{queue.pk}/shifts/new/",
        {**SHIFT_FORM, "day": "2027-03-14", "start_time": "02:30", "end_time": "06:00"},
    )
    assert response.status_code == 400
    shows(response, "02:30 does not exist on 2027-03-14 in America/New_York")
    assert not Shift.objects.exists()


def test_queue_names_in_the_filters_are_escaped(client, executive):
    QueueFactory(name='<b>"Night" & day\'s</b>')
    client.force_login(executive)
    body = client.get("/shifts/", {"channel": "<script>"}).content.decode()
    assert "&lt;b&gt;&quot;Night&quot; &amp; day&#x27;s&lt;/b&gt;</option>" in body
    assert "<b>" not in body and "<script>" not in body


def test_refusals_and_missing_pages_are_explained_in_the_apps_own_pages(client, executive):
    client.force_login(executive)
    response = client.get("/queues/new/")
    assert response.status_code == 403
    shows(response, "You cannot open this page")
    shows(response, "Your role in Frontline does not include it.")
    assert (
        'aria-label="Main"' in response.content.decode()
    )  # the usual header, to find the way back

    response = client.get("/shifts/999999/")
    assert response.status_code == 404
    shows(response, "Nothing here")


def test_the_server_error_page_needs_nothing_from_the_request():
    from django.template.loader import render_to_string

    page = render_to_string("500.html")  # Django renders it with an empty context
    assert "Something went wrong on our side" in page


def test_a_form_sent_without_its_security_token_says_nothing_was_saved(support_lead, queue):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(support_lead)

    no_cookie = browser.post(f"/queues/{queue.pk}/pause/", {"action": "pause"})
    assert no_cookie.status_code == 403
    shows(no_cookie, "That form could not be sent")
    shows(no_cookie, "Nothing was saved.")
    shows(no_cookie, "Allow cookies for this site")
    assert 'aria-label="Main"' in no_cookie.content.decode()

    browser.get(f"/queues/{queue.pk}/")  # sets the CSRF cookie, as opening the page does
    stale = browser.post(
        f"/queues/{queue.pk}/pause/", {"action": "pause", "csrfmiddlewaretoken": "x" * 64}
    )
    assert stale.status_code == 403
    shows(stale, "reload the page and send the form again")
    token = browser.cookies["csrftoken"].value
    elsewhere = browser.post(
        f"/queues/{queue.pk}/pause/",
        {"action": "pause", "csrfmiddlewaretoken": token},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert elsewhere.status_code == 403
    shows(elsewhere, "The form did not come from a Frontline page")
    queue.refresh_from_db()
    assert not queue.is_paused


def test_opening_a_button_address_as_a_page_explains_itself(client, support_lead, executive, queue):
    client.force_login(support_lead)
    response = client.get(f"/queues/{queue.pk}/pause/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    shows(response, "This address is a button, not a page")
    assert 'aria-label="Main"' in response.content.decode()
    assert int(response["Content-Length"]) == len(response.content)  # or a browser shows nothing

    # The API keeps its own (JSON) answer.
    api = client.get(f"/api/bookings/{book(shift_at(queue, toronto(3, 10)), executive).pk}/cancel/")
    assert api.status_code == 405
    assert api.json() == {"detail": 'Method "GET" not allowed.'}
