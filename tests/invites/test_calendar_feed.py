"""The personal calendar feed: a secret, revocable address with ETag / 304."""

from __future__ import annotations

from datetime import timedelta

import pytest
import vobject

from rotations.invites.feed import feed_of
from rotations.invites.identity import event_uid
from rotations.models import Booking, CalendarFeed
from rotations.shifts.permissions import actor
from rotations.shifts.services.booking import booking_cancel, booking_create
from tests.factories import PersonFactory, QueueFactory, ShiftFactory
from tests.helpers import count_page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(executive):
    buddy = PersonFactory(full_name="Bea Buddy", roles=["Front-line employee"])
    queue = QueueFactory(name="Phone support")
    shift = ShiftFactory(queue=queue, buddy=buddy, location="Desk 12")
    booking = booking_create(shift=shift, person=executive, by=actor(executive))
    return executive, buddy, booking


def get_feed(client, person, **headers):
    return client.get(f"/calendar/{feed_of(person).token}.ics", headers=headers)


def test_the_feed_lists_my_shifts_without_attendees(client, booked):
    executive, buddy, booking = booked
    response = get_feed(client, executive)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    cal = vobject.readOne(response.content.decode())
    assert cal.method.value == "PUBLISH"
    [event] = cal.vevent_list
    assert event.uid.value == event_uid(booking)
    assert event.dtstart.value == booking.starts_at
    assert event.summary.value == "Front-line shift: Phone support"
    assert "Bea Buddy" in event.description.value
    assert not hasattr(event, "attendee")
    assert b"ATTENDEE" not in response.content


def test_the_buddy_feed_shows_who_is_coming_and_nobody_else_sees_it(client, booked):
    executive, buddy, booking = booked
    cal = vobject.readOne(get_feed(client, buddy).content.decode())
    [event] = cal.vevent_list
    assert event.summary.value == f"Buddy for {executive.full_name}: Phone support"
    stranger = PersonFactory()
    assert b"VEVENT" not in get_feed(client, stranger).content


def test_unchanged_feed_answers_304_and_a_change_a_new_body(client, booked):
    executive, _, booking = booked
    first = get_feed(client, executive)
    etag = first["ETag"]
    again = get_feed(client, executive, if_none_match=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert get_feed(client, executive, if_none_match=f'"other", W/{etag}').status_code == 304

    booking_cancel(booking=booking, by=actor(executive), reason="Conflict")
    changed = get_feed(client, executive, if_none_match=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert b"VEVENT" not in changed.content


def test_renewing_the_address_revokes_the_old_one(client, booked, settings):
    settings.SITE_URL = "https://frontline.example.com"
    executive, _, _ = booked
    old = feed_of(executive).token
    client.force_login(executive)
    page = client.get("/account/calendar/")
    assert f"https://frontline.example.com/calendar/{old}.ics".encode() in page.content
    assert f"webcal://frontline.example.com/calendar/{old}.ics".encode() in page.content
    assert client.post("/account/calendar/").status_code == 302
    new = CalendarFeed.objects.get(person=executive).token
    assert new != old
    client.logout()
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


def test_an_inactive_person_has_no_feed(client, booked):
    executive, _, _ = booked
    token = feed_of(executive).token
    executive.is_active = False
    executive.save()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_feed_runs_a_fixed_number_of_queries(client, executive):
    queue = QueueFactory()
    buddy = PersonFactory(roles=["Front-line employee"])

    def add(n):
        for _ in range(n):
            start = ShiftFactory._meta.model.objects.count()
            shift = ShiftFactory(queue=queue, buddy=buddy)
            shift.starts_at += timedelta(days=start)
            shift.ends_at += timedelta(days=start)
            shift.save()
            Booking.objects.create(
                shift=shift, person=executive, starts_at=shift.starts_at, ends_at=shift.ends_at
            )

    token = feed_of(executive).token
    add(2)
    assert count_page_queries(client, f"/calendar/{token}.ics") == 2
    add(30)
    assert count_page_queries(client, f"/calendar/{token}.ics") == 2
