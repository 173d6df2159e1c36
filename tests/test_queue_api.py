"""Running a queue through the API: pause and resume, add a shift, take one off, create
and edit patterns. The same rules and messages as the pages, and only the queue's own
leads may do it.

Time is frozen at Monday 1 March 2027, 12:00 UTC; the queue is in New York (09:00 there is
14:00 UTC until the clocks change on Sunday 14 March, 13:00 UTC after).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from rest_framework.authtoken.models import Token

from rotations.models import Booking, OutgoingEmail, Queue, Shift, ShiftPattern
from rotations.permissions import actor
from rotations.roles import Role
from rotations.services.booking import booking_create

from .factories import PersonFactory, QueueFactory, ShiftFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def queue(support_lead):
    return QueueFactory(
        name="Billing chat", time_zone="America/New_York", opens_at=dt.time(8), closes_at=dt.time(18),
        visitor_capacity=3, min_notice_hours=1, leads=[support_lead],
    )


def token_client(person) -> Client:
    token, _ = Token.objects.get_or_create(user=person)
    return Client(headers={"Authorization": f"Token {token.key}"})


def send(client: Client, method: str, path: str, data: dict | None = None):
    return getattr(client, method)(path, data or {}, content_type="application/json")


def utc(day: int, hour: int) -> str:
    return dt.datetime(2027, 3, day, hour, tzinfo=UTC).isoformat()


# --- the queue itself -------------------------------------------------------------------

NEW_QUEUE = {
    "name": "Payroll phone", "channel": "phone", "team": "Payroll", "time_zone": "Europe/Dublin",
    "opens_at": "08:00", "closes_at": "17:00", "visitor_capacity": 2, "brief": "Listen in on payroll calls.",
    "booking_window_days": 60, "min_notice_hours": 48,
}


def test_a_lead_creates_a_queue_they_lead_and_edits_it(support_lead, executive):
    other_lead = PersonFactory(full_name="Lia Lead", roles=[Role.SUPPORT_LEAD])
    lead = token_client(support_lead)
    created = send(lead, "post", "/api/queues/", {**NEW_QUEUE, "leads": [other_lead.pk]})
    assert created.status_code == 201, created.content
    queue_id = created.json()["id"]
    assert sorted(created.json()["leads"]) == sorted([support_lead.pk, other_lead.pk])
    assert (created.json()["time_zone"], created.json()["booking_window_days"]) == ("Europe/Dublin", 60)

    edited = send(lead, "patch", f"/api/queues/{queue_id}/", {"booking_window_days": 120, "leads": [other_lead.pk]})
    assert edited.status_code == 200, edited.content
    assert (edited.json()["booking_window_days"], edited.json()["leads"], edited.json()["name"]) == (
        120, [other_lead.pk], "Payroll phone",
    )
    # Executives see it; no longer a lead of it, the first lead cannot change it.
    assert token_client(executive).get(f"/api/queues/{queue_id}/").json()["name"] == "Payroll phone"
    assert send(lead, "patch", f"/api/queues/{queue_id}/", {"name": "Mine again"}).status_code == 403


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"closes_at": "07:00"}, {"non_field_errors": ["The queue must close after it opens."]}),
        ({"visitor_capacity": 0}, {"non_field_errors": ["A queue takes at least one visitor."]}),
        ({"time_zone": "Mars/Olympus"},
         {"time_zone": ["“Mars/Olympus” is not a known time zone; use an IANA name such as Europe/London."]}),
        ({"time_zone": "Factory"},
         {"time_zone": ["“Factory” is not a known time zone; use an IANA name such as Europe/London."]}),
        ({"booking_window_days": 9999}, {"booking_window_days": ["Ensure this value is less than or equal to 731."]}),
        ({"min_notice_hours": 5000}, {"min_notice_hours": ["Ensure this value is less than or equal to 2160."]}),
        ({"channel": "fax"}, {"channel": ['"fax" is not a valid choice.']}),
        ({"name": "Billing chat"}, {"name": ["queue with this name already exists."]}),
        ({"leads": "executive"}, {"leads": ['Invalid pk "{pk}" - object does not exist.']}),
    ],
)
def test_a_queue_the_rules_refuse_is_a_400_with_the_message(support_lead, executive, queue, changes, errors):
    if changes.get("leads") == "executive":
        changes = {"leads": [executive.pk]}
        errors = {"leads": [errors["leads"][0].format(pk=executive.pk)]}
    response = send(token_client(support_lead), "post", "/api/queues/", {**NEW_QUEUE, **changes})
    assert response.status_code == 400
    assert response.json() == errors
    assert Queue.objects.count() == 1  # the fixture's


def test_a_queue_keeps_a_lead(support_lead, queue):
    response = send(token_client(support_lead), "patch", f"/api/queues/{queue.pk}/", {"leads": []})
    assert response.status_code == 400
    assert response.json() == {"leads": ["A queue needs at least one lead: pick who runs it."]}
    assert list(queue.leads.all()) == [support_lead]


@pytest.mark.parametrize("role", ["executive", "hr_admin", "frontline_employee"])
def test_only_support_leads_create_queues(request, role):
    response = send(token_client(request.getfixturevalue(role)), "post", "/api/queues/", NEW_QUEUE)
    assert response.status_code == 403
    assert not Queue.objects.exists()


# --- pause and resume -------------------------------------------------------------------


def test_a_lead_pauses_a_queue_and_bookings_stop_until_they_resume_it(support_lead, executive, queue):
    shift = ShiftFactory(queue=queue, starts_at=NOW + dt.timedelta(days=2), ends_at=NOW + dt.timedelta(days=2, hours=3))
    lead, exec_client = token_client(support_lead), token_client(executive)

    paused = send(lead, "post", f"/api/queues/{queue.pk}/pause/", {"reason": "Outage on the billing system"})
    assert paused.status_code == 200
    assert (paused.json()["is_paused"], paused.json()["pause_reason"]) == (True, "Outage on the billing system")
    refused = send(exec_client, "post", "/api/bookings/", {"shift": shift.pk})
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "queue_paused",
        "detail": "Billing chat is paused for new bookings (Outage on the billing system). Try another queue.",
    }

    resumed = send(lead, "post", f"/api/queues/{queue.pk}/resume/")
    assert (resumed.status_code, resumed.json()["is_paused"], resumed.json()["pause_reason"]) == (200, False, "")
    assert send(exec_client, "post", "/api/bookings/", {"shift": shift.pk}).status_code == 201


# --- one shift at a time ----------------------------------------------------------------


def test_a_lead_adds_a_shift_that_executives_then_find(support_lead, executive, frontline_employee, queue):
    created = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/shifts/", {
        "starts_at": "2027-03-03T09:00:00-05:00", "ends_at": "2027-03-03T13:00:00-05:00", "capacity": 2,
        "buddy": frontline_employee.pk, "meeting_url": "https://meet.example.com/billing",
    })
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["starts_at"], body["ends_at"], body["capacity"], body["seats_left"], body["buddy_name"]) == (
        "2027-03-03T14:00:00Z", "2027-03-03T18:00:00Z", 2, 2, "Fran Frontline",
    )
    shift = Shift.objects.get()
    assert (shift.queue, shift.buddy, shift.meeting_url) == (queue, frontline_employee, "https://meet.example.com/billing")
    found = token_client(executive).get(f"/api/shifts/?queue={queue.pk}").json()
    assert [s["id"] for s in found["results"]] == [shift.pk]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"starts_at": utc(1, 11), "ends_at": utc(1, 15)}, {"non_field_errors": ["A new shift must start in the future."]}),
        ({"starts_at": utc(3, 12), "ends_at": utc(3, 16)},
         {"non_field_errors": ["Billing chat is open 08:00–18:00 (America/New_York); a shift must fit inside those hours."]}),
        ({"ends_at": utc(3, 13)}, {"non_field_errors": ["A shift must end after it starts."]}),
        ({"capacity": 4}, {"non_field_errors": ["Billing chat takes at most 3 visiting executives at once."]}),
        ({"starts_at": "2030-03-03T14:00:00Z", "ends_at": "2030-03-03T18:00:00Z"},
         {"non_field_errors": ["Shifts can be scheduled at most two years ahead."]}),
        ({"buddy": "executive"}, {"non_field_errors": ["Eve Executive is not an active front-line employee, so cannot be a buddy."]}),
        ({"buddy": 999999}, {"buddy": ['Invalid pk "999999" - object does not exist.']}),
        ({"starts_at": "next tuesday"}, {"starts_at": [
            "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ]}),
        ({"capacity": 0}, {"capacity": ["Ensure this value is greater than or equal to 1."]}),
        ({"meeting_url": "not a link"}, {"meeting_url": ["Enter a valid URL."]}),
    ],
)
def test_a_shift_the_rules_refuse_is_a_400_with_the_message(support_lead, executive, queue, changes, errors):
    if changes.get("buddy") == "executive":
        changes = {**changes, "buddy": executive.pk}
    data = {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 2, **changes}
    response = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/shifts/", data)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Shift.objects.exists()


def test_the_same_shift_twice_is_refused(support_lead, queue):
    lead = token_client(support_lead)
    data = {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 2}
    assert send(lead, "post", f"/api/queues/{queue.pk}/shifts/", data).status_code == 201
    again = send(lead, "post", f"/api/queues/{queue.pk}/shifts/", data)
    assert again.status_code == 400
    assert again.json()["non_field_errors"][0].startswith("Billing chat already has this shift (Wed 3 Mar 09:00, 2 seats).")
    assert Shift.objects.count() == 1


def test_a_lead_takes_a_booked_shift_off_and_every_calendar_is_told_why(support_lead, executive, queue):
    shift = ShiftFactory(queue=queue, starts_at=NOW + dt.timedelta(days=2), ends_at=NOW + dt.timedelta(days=2, hours=3))
    booking = booking_create(shift=shift, person=executive, by=actor(executive))
    lead = token_client(support_lead)

    no_reason = send(lead, "post", f"/api/shifts/{shift.pk}/cancel/", {})
    assert no_reason.status_code == 400
    assert no_reason.json() == {
        "non_field_errors": ["Say why the shift is coming off the schedule: booked executives are told."]
    }

    done = send(lead, "post", f"/api/shifts/{shift.pk}/cancel/", {"reason": "Team offsite"})
    assert done.status_code == 200
    assert done.json()["bookings_cancelled"] == 1
    assert (done.json()["shift"]["cancelled"], done.json()["shift"]["seats_left"]) == (True, 0)
    booking.refresh_from_db()
    assert (booking.status, booking.sequence) == ("cancelled", 1)
    cancel = OutgoingEmail.objects.get(booking=booking, method="CANCEL")
    assert cancel.to_email == executive.email

    again = send(lead, "post", f"/api/shifts/{shift.pk}/cancel/", {"reason": "Twice"})
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This shift is already off the schedule."]}


# --- patterns ---------------------------------------------------------------------------


PATTERN = {
    "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270318", "starts_on": "2027-03-02",
    "start_time": "09:00", "end_time": "13:00", "exdates": ["2027-03-11"], "capacity": 2,
}


def test_a_lead_creates_a_pattern_whose_shifts_keep_9am_local_across_the_clock_change(support_lead, queue):
    created = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/patterns/", PATTERN)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["shifts_added"] == 5
    assert body["pattern"]["rrule"] == "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270318T235959"
    assert body["pattern"]["exdates"] == ["2027-03-11"]
    starts = [s.starts_at for s in Shift.objects.filter(pattern_id=body["pattern"]["id"]).order_by("starts_at")]
    assert [(s.day, s.hour) for s in starts] == [(2, 14), (4, 14), (9, 14), (16, 13), (18, 13)]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"rrule": "FREQ=HOURLY"}, {"non_field_errors": ["The rule needs FREQ=DAILY, WEEKLY or MONTHLY."]}),
        ({"rrule": "FREQ=DAILY;BYHOUR=9"},
         {"non_field_errors": ["The rule picks days only: the shifts' times are the start and end time."]}),
        ({"start_time": "07:00"},
         {"non_field_errors": ["Billing chat is open 08:00–18:00 (America/New_York); a shift must fit inside those hours."]}),
        ({"exdates": ["someday"]}, {"exdates": {"0": [
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ]}}),
        ({"starts_on": None}, {"starts_on": ["This field may not be null."]}),
    ],
)
def test_a_pattern_the_rules_refuse_is_a_400_with_the_message(support_lead, queue, changes, errors):
    response = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/patterns/", {**PATTERN, **changes})
    assert response.status_code == 400
    assert response.json() == errors
    assert not ShiftPattern.objects.exists() and not Shift.objects.exists()


def test_editing_a_pattern_asks_before_it_moves_a_booked_shift(support_lead, executive, queue):
    lead = token_client(support_lead)
    pattern_id = send(lead, "post", f"/api/queues/{queue.pk}/patterns/", PATTERN).json()["pattern"]["id"]
    tuesday = Shift.objects.get(pattern_id=pattern_id, starts_at=dt.datetime(2027, 3, 9, 14, tzinfo=UTC))
    booking = booking_create(shift=tuesday, person=executive, by=actor(executive))

    asked = send(lead, "patch", f"/api/patterns/{pattern_id}/", {"start_time": "10:00", "end_time": "14:00"})
    assert asked.status_code == 409
    assert asked.json()["code"] == "confirm_booked"
    assert asked.json()["detail"].startswith("1 booked shift would change.")
    assert [s["id"] for s in asked.json()["booked"]] == [tuesday.pk]
    assert ShiftPattern.objects.get().start_time == dt.time(9)  # nothing changed

    done = send(lead, "patch", f"/api/patterns/{pattern_id}/",
                {"start_time": "10:00", "end_time": "14:00", "confirm_booked": True})
    assert done.status_code == 200, done.content
    assert (done.json()["shifts_added"], done.json()["shifts_changed"], done.json()["shifts_removed"]) == (0, 5, 0)
    assert done.json()["pattern"]["start_time"] == "10:00:00"
    booking.refresh_from_db()
    assert (booking.sequence, booking.starts_at) == (1, dt.datetime(2027, 3, 9, 15, tzinfo=UTC))

    shown = token_client(support_lead).get(f"/api/patterns/{pattern_id}/").json()
    assert (shown["start_time"], shown["exdates"]) == ("10:00:00", ["2027-03-11"])
    listed = token_client(support_lead).get(f"/api/queues/{queue.pk}/patterns/").json()
    assert [p["id"] for p in listed] == [pattern_id]


# --- only the queue's own leads ---------------------------------------------------------


WRITES = [
    ("patch", "/api/queues/{queue}/", {"name": "Taken over"}),
    ("post", "/api/queues/{queue}/pause/", {"reason": "x"}),
    ("post", "/api/queues/{queue}/resume/", {}),
    ("post", "/api/queues/{queue}/shifts/", {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 1}),
    ("post", "/api/shifts/{shift}/cancel/", {"reason": "x"}),
    ("post", "/api/queues/{queue}/patterns/", PATTERN),
    ("patch", "/api/patterns/{pattern}/", {"capacity": 1}),
]


@pytest.mark.parametrize(("method", "path", "data"), WRITES)
@pytest.mark.parametrize("role", ["executive", "hr_admin", "frontline_employee", "other_lead"])
def test_nobody_but_the_queues_own_leads_may_run_it(request, support_lead, queue, role, method, path, data):
    person = PersonFactory(roles=[Role.SUPPORT_LEAD]) if role == "other_lead" else request.getfixturevalue(role)
    shift = ShiftFactory(queue=queue, starts_at=NOW + dt.timedelta(days=5), ends_at=NOW + dt.timedelta(days=5, hours=2))
    pattern = ShiftPattern.objects.create(queue=queue, rrule="FREQ=WEEKLY;BYDAY=TU", starts_on=dt.date(2027, 3, 2),
                                          start_time=dt.time(9), end_time=dt.time(13), capacity=2)
    before = (list(Queue.objects.values_list("name", "is_paused", "pause_reason")), Shift.objects.count(),
              ShiftPattern.objects.count(), list(ShiftPattern.objects.values_list("capacity", flat=True)))

    response = send(token_client(person), method, path.format(queue=queue.pk, shift=shift.pk, pattern=pattern.pk), data)

    assert response.status_code == 403
    assert (list(Queue.objects.values_list("name", "is_paused", "pause_reason")), Shift.objects.count(),
            ShiftPattern.objects.count(), list(ShiftPattern.objects.values_list("capacity", flat=True))) == before
    assert not Booking.objects.exists()


def test_a_lead_of_the_queue_may_run_it_by_session_too(client, support_lead, queue):
    client.force_login(support_lead)
    assert send(client, "post", f"/api/queues/{queue.pk}/pause/", {}).status_code == 200
    assert send(client, "post", "/api/queues/999999/pause/", {}).status_code == 404
