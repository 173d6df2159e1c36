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

from rotations.directory.roles import Role
from rotations.models import Booking, OutgoingEmail, Queue, Shift, ShiftPattern
from tests.factories import PersonFactory, QueueFactory, ShiftFactory, book
from tests.helpers import token_client

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def queue(support_lead):
    """Unlike conftest's queue: open 08:00–18:00 and bookable up to an hour ahead."""
    return QueueFactory(
        name="Billing chat",
        time_zone="America/New_York",
        opens_at=dt.time(8),
        closes_at=dt.time(18),
        visitor_capacity=3,
        min_notice_hours=1,
        leads=[support_lead],
    )


def send(client: Client, method: str, path: str, data: dict | None = None):
    return getattr(client, method)(path, data or {}, content_type="application/json")


def utc(day: int, hour: int) -> str:
    return dt.datetime(2027, 3, day, hour, tzinfo=UTC).isoformat()


# --- the queue itself -------------------------------------------------------------------

NEW_QUEUE = {
    "name": "Payroll phone",
    "channel": "phone",
    "team": "Payroll",
    "time_zone": "Europe/Dublin",
    "opens_at": "08:00",
    "closes_at": "17:00",
    "visitor_capacity": 2,
    "brief": "Listen in on payroll calls.",
    "booking_window_days": 60,
    "min_notice_hours": 48,
}


def test_a_lead_creates_a_queue_they_lead_and_edits_it(support_lead, executive):
    other_lead = PersonFactory(full_name="Lia Lead", roles=[Role.SUPPORT_LEAD])
    lead = token_client(support_lead)
    created = send(lead, "post", "/api/queues/", {**NEW_QUEUE, "leads": [other_lead.pk]})
    assert created.status_code == 201, created.content
    queue_id = created.json()["id"]
    assert sorted(created.json()["leads"]) == sorted([support_lead.pk, other_lead.pk])
    assert (created.json()["time_zone"], created.json()["booking_window_days"]) == (
        "Europe/Dublin",
        60,
    )

    edited = send(
        lead,
        "patch",
        f"/api/queues/{queue_id}/",
        {"booking_window_days": 120, "leads": [other_lead.pk]},
    )
    assert edited.status_code == 200, edited.content
    assert (
        edited.json()["booking_window_days"],
        edited.json()["leads"],
        edited.json()["name"],
    ) == (
        120,
        [other_lead.pk],
        "Payroll phone",
    )
    # Executives see it; no longer a lead of it, the first lead cannot change it.
    assert token_client(executive).get(f"/api/queues/{queue_id}/").json()["name"] == "Payroll phone"
    assert (
        send(lead, "patch", f"/api/queues/{queue_id}/", {"name": "Mine again"}).status_code == 403
    )


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"closes_at": "07:00"}, {"non_field_errors": ["The queue must close after it opens."]}),
        ({"visitor_capacity": 0}, {"visitor_capacity": ["A queue takes at least one visitor."]}),
        (
            {"time_zone": "Mars/Olympus"},
            {
                "time_zone": [
                    "“Mars/Olympus” is not a known time zone; use an IANA name such as Europe/London."
                ]
            },
        ),
        (
            {"time_zone": "Factory"},
            {
                "time_zone": [
                    "“Factory” is not a known time zone; use an IANA name such as Europe/London."
                ]
            },
        ),
        (
            {"booking_window_days": 9999},
            {"booking_window_days": ["Ensure this value is less than or equal to 731."]},
        ),
        (
            {"min_notice_hours": 5000},
            {"min_notice_hours": ["Ensure this value is less than or equal to 2160."]},
        ),
        (
            {"channel": "fax"},
            {"channel": ['"fax" is not a channel: phone, chat, email or social.']},
        ),
        ({"name": "Billing chat"}, {"name": ["queue with this name already exists."]}),
        (
            {"name": "BILLING CHAT"},
            {"non_field_errors": ["A queue with this name already exists."]},
        ),
        ({"leads": "executive"}, {"leads": ["{pk} is not the id of an active support lead."]}),
    ],
)
def test_a_queue_the_rules_refuse_is_a_400_with_the_message(
    support_lead, executive, queue, changes, errors
):
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


def test_a_lead_pauses_a_queue_and_bookings_stop_until_they_resume_it(
    support_lead, executive, queue
):
    shift = ShiftFactory(
        queue=queue,
        starts_at=NOW + dt.timedelta(days=2),
        ends_at=NOW + dt.timedelta(days=2, hours=3),
    )
    lead, exec_client = token_client(support_lead), token_client(executive)

    paused = send(
        lead, "post", f"/api/queues/{queue.pk}/pause/", {"reason": "Outage on the billing system"}
    )
    assert paused.status_code == 200
    assert (paused.json()["is_paused"], paused.json()["pause_reason"]) == (
        True,
        "Outage on the billing system",
    )
    refused = send(exec_client, "post", "/api/bookings/", {"shift": shift.pk})
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "queue_paused",
        "detail": "Billing chat is paused for new bookings (Outage on the billing system). Try another queue.",
    }

    resumed = send(lead, "post", f"/api/queues/{queue.pk}/resume/")
    assert (resumed.status_code, resumed.json()["is_paused"], resumed.json()["pause_reason"]) == (
        200,
        False,
        "",
    )
    assert send(exec_client, "post", "/api/bookings/", {"shift": shift.pk}).status_code == 201


# --- one shift at a time ----------------------------------------------------------------


def test_a_lead_adds_a_shift_that_executives_then_find(
    support_lead, executive, frontline_employee, queue
):
    created = send(
        token_client(support_lead),
        "post",
        f"/api/queues/{queue.pk}/shifts/",
        {
            "starts_at": "2027-03-03T09:00:00-05:00",
            "ends_at": "2027-03-03T13:00:00-05:00",
            "capacity": 2,
            "buddy": frontline_employee.pk,
            "meeting_url": "https://meet.example.com/billing",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["starts_at"],
        body["ends_at"],
        body["capacity"],
        body["seats_left"],
        body["buddy_name"],
    ) == (
        "2027-03-03T14:00:00Z",
        "2027-03-03T18:00:00Z",
        2,
        2,
        "Fran Frontline",
    )
    shift = Shift.objects.get()
    assert (shift.queue, shift.buddy, shift.meeting_url) == (
        queue,
        frontline_employee,
        "https://meet.example.com/billing",
    )
    found = token_client(executive).get(f"/api/shifts/?queue={queue.pk}").json()
    assert [s["id"] for s in found["results"]] == [shift.pk]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"starts_at": utc(1, 11), "ends_at": utc(1, 15)},
            {"non_field_errors": ["A new shift must start in the future."]},
        ),
        (
            {"starts_at": utc(3, 12), "ends_at": utc(3, 16)},
            {
                "non_field_errors": [
                    "Billing chat is open 08:00–18:00 (America/New_York); a shift must fit inside those hours."
                ]
            },
        ),
        ({"ends_at": utc(3, 13)}, {"non_field_errors": ["A shift must end after it starts."]}),
        (
            {"capacity": 4},
            {"capacity": ["Billing chat takes at most 3 visiting executives at once."]},
        ),
        (
            {"starts_at": "2030-03-03T14:00:00Z", "ends_at": "2030-03-03T18:00:00Z"},
            {"non_field_errors": ["Shifts can be scheduled at most two years ahead."]},
        ),
        (
            {"buddy": "executive"},
            {
                "non_field_errors": [
                    "Eve Executive is not an active front-line employee, so cannot be a buddy."
                ]
            },
        ),
        ({"buddy": 999999}, {"buddy": ['Invalid pk "999999" - object does not exist.']}),
        (
            {"starts_at": "next tuesday"},
            {
                "starts_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        ({"capacity": 0}, {"capacity": ["Ensure this value is greater than or equal to 1."]}),
        ({"meeting_url": "not a link"}, {"meeting_url": ["Enter a valid URL."]}),
    ],
)
def test_a_shift_the_rules_refuse_is_a_400_with_the_message(
    support_lead, executive, queue, changes, errors
):
    if changes.get("buddy") == "executive":
        changes = {**changes, "buddy": executive.pk}
    data = {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 2, **changes}
    response = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/shifts/", data)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Shift.objects.exists()


def test_the_page_and_the_api_refuse_too_many_seats_with_one_message(client, support_lead, queue):
    """The capacity rule is the service's alone: the page's form once said it its own way
    ('takes at most 3 at once')."""
    expected = "Billing chat takes at most 3 visiting executives at once."
    api = send(
        token_client(support_lead),
        "post",
        f"/api/queues/{queue.pk}/shifts/",
        {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 4},
    )
    client.force_login(support_lead)
    page = client.post(
        f"/queues/{queue.pk}/shifts/new/",
        {"day": "2027-03-03", "start_time": "09:00", "end_time": "13:00", "capacity": 4},
    )
    assert api.json() == {"capacity": [expected]}
    assert page.status_code == 400
    assert page.context["form"].errors == {"capacity": [expected]}
    assert not Shift.objects.exists()


def test_the_same_shift_twice_is_refused(support_lead, queue):
    lead = token_client(support_lead)
    data = {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 2}
    assert send(lead, "post", f"/api/queues/{queue.pk}/shifts/", data).status_code == 201
    again = send(lead, "post", f"/api/queues/{queue.pk}/shifts/", data)
    assert again.status_code == 400
    assert again.json()["non_field_errors"][0].startswith(
        "Billing chat already has this shift (Wed 3 Mar 09:00, 2 seats)."
    )
    assert Shift.objects.count() == 1


def test_a_lead_takes_a_booked_shift_off_and_every_calendar_is_told_why(
    support_lead, executive, queue
):
    shift = ShiftFactory(
        queue=queue,
        starts_at=NOW + dt.timedelta(days=2),
        ends_at=NOW + dt.timedelta(days=2, hours=3),
    )
    booking = book(shift, executive)
    lead = token_client(support_lead)

    no_reason = send(lead, "post", f"/api/shifts/{shift.pk}/cancel/", {})
    assert no_reason.status_code == 400
    assert no_reason.json() == {
        "non_field_errors": [
            "Say why the shift is coming off the schedule: booked executives are told."
        ]
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
    "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270318",
    "starts_on": "2027-03-02",
    "start_time": "09:00",
    "end_time": "13:00",
    "exdates": ["2027-03-11"],
    "capacity": 2,
}


def test_a_lead_creates_a_pattern_whose_shifts_keep_9am_local_across_the_clock_change(
    support_lead, queue
):
    created = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/patterns/", PATTERN)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["shifts_added"] == 5
    assert body["pattern"]["rrule"] == "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270318T235959"
    assert body["pattern"]["exdates"] == ["2027-03-11"]
    starts = [
        s.starts_at
        for s in Shift.objects.filter(pattern_id=body["pattern"]["id"]).order_by("starts_at")
    ]
    assert [(s.day, s.hour) for s in starts] == [(2, 14), (4, 14), (9, 14), (16, 13), (18, 13)]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"rrule": "FREQ=HOURLY"},
            {"non_field_errors": ["The rule needs FREQ=DAILY, WEEKLY or MONTHLY."]},
        ),
        (
            {"rrule": "FREQ=DAILY;BYHOUR=9"},
            {
                "non_field_errors": [
                    "The rule picks days only: the shifts' times are the start and end time."
                ]
            },
        ),
        (
            {"start_time": "07:00"},
            {
                "non_field_errors": [
                    "Billing chat is open 08:00–18:00 (America/New_York); a shift must fit inside those hours."
                ]
            },
        ),
        (
            {"exdates": ["someday"]},
            {
                "exdates": {
                    "0": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
                }
            },
        ),
        ({"starts_on": None}, {"starts_on": ["This field may not be null."]}),
    ],
)
def test_a_pattern_the_rules_refuse_is_a_400_with_the_message(support_lead, queue, changes, errors):
    response = send(
        token_client(support_lead),
        "post",
        f"/api/queues/{queue.pk}/patterns/",
        {**PATTERN, **changes},
    )
    assert response.status_code == 400
    assert response.json() == errors
    assert not ShiftPattern.objects.exists() and not Shift.objects.exists()


def test_editing_a_pattern_asks_before_it_moves_a_booked_shift(support_lead, executive, queue):
    lead = token_client(support_lead)
    pattern_id = send(lead, "post", f"/api/queues/{queue.pk}/patterns/", PATTERN).json()["pattern"][
        "id"
    ]
    tuesday = Shift.objects.get(
        pattern_id=pattern_id, starts_at=dt.datetime(2027, 3, 9, 14, tzinfo=UTC)
    )
    booking = book(tuesday, executive)

    asked = send(
        lead, "patch", f"/api/patterns/{pattern_id}/", {"start_time": "10:00", "end_time": "14:00"}
    )
    assert asked.status_code == 409
    assert asked.json()["code"] == "confirm_booked"
    assert asked.json()["detail"].startswith("1 booked shift would change.")
    assert [s["id"] for s in asked.json()["booked"]] == [tuesday.pk]
    assert ShiftPattern.objects.get().start_time == dt.time(9)  # nothing changed

    done = send(
        lead,
        "patch",
        f"/api/patterns/{pattern_id}/",
        {"start_time": "10:00", "end_time": "14:00", "confirm_booked": True},
    )
    assert done.status_code == 200, done.content
    assert (
        done.json()["shifts_added"],
        done.json()["shifts_changed"],
        done.json()["shifts_removed"],
    ) == (0, 5, 0)
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
    (
        "post",
        "/api/queues/{queue}/shifts/",
        {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 1},
    ),
    ("post", "/api/shifts/{shift}/cancel/", {"reason": "x"}),
    ("post", "/api/queues/{queue}/patterns/", PATTERN),
    ("patch", "/api/patterns/{pattern}/", {"capacity": 1}),
]


@pytest.mark.parametrize(("method", "path", "data"), WRITES)
@pytest.mark.parametrize("role", ["executive", "hr_admin", "frontline_employee", "other_lead"])
def test_nobody_but_the_queues_own_leads_may_run_it(
    request, support_lead, queue, role, method, path, data
):
    person = (
        PersonFactory(roles=[Role.SUPPORT_LEAD])
        if role == "other_lead"
        else request.getfixturevalue(role)
    )
    shift = ShiftFactory(
        queue=queue,
        starts_at=NOW + dt.timedelta(days=5),
        ends_at=NOW + dt.timedelta(days=5, hours=2),
    )
    pattern = ShiftPattern.objects.create(
        queue=queue,
        rrule="FREQ=WEEKLY;BYDAY=TU",
        starts_on=dt.date(2027, 3, 2),
        start_time=dt.time(9),
        end_time=dt.time(13),
        capacity=2,
    )
    book(shift, PersonFactory(roles=[Role.EXECUTIVE]), by=support_lead)

    def state():
        return (
            list(Queue.objects.values_list("name", "is_paused", "pause_reason")),
            list(
                Shift.objects.order_by("pk").values_list(
                    "pk", "is_cancelled", "starts_at", "capacity"
                )
            ),
            list(ShiftPattern.objects.values_list("capacity", "exdates")),
            list(Booking.objects.values_list("status", "sequence")),
        )

    before = state()
    response = send(
        token_client(person),
        method,
        path.format(queue=queue.pk, shift=shift.pk, pattern=pattern.pk),
        data,
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only support leads create queues."
        if path == "/api/queues/"
        else "Only this queue's support leads can change it."
        if role in ("hr_admin", "other_lead")
        else "You do not have permission to perform this action."
    }
    assert state() == before


def test_a_lead_of_the_queue_may_run_it_by_session_too(client, support_lead, queue):
    client.force_login(support_lead)
    assert send(client, "post", f"/api/queues/{queue.pk}/pause/", {}).status_code == 200
    assert send(client, "post", "/api/queues/999999/pause/", {}).status_code == 404


# --- what the reviews and the user trial found ------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        ("9999-12-31T23:00:00Z", "Shifts can be scheduled at most two years ahead."),
        ("0001-01-01T00:00:00Z", "A new shift must start in the future."),
    ],
)
def test_a_shift_at_either_end_of_the_calendar_is_refused_not_a_500(
    support_lead, starts_at, message
):
    manila = QueueFactory(time_zone="Asia/Manila", leads=[support_lead])
    ends_at = (
        starts_at.replace("T23:", "T23:")
        .replace("00:00:00Z", "00:30:00Z")
        .replace("23:00:00Z", "23:30:00Z")
    )
    response = send(
        token_client(support_lead),
        "post",
        f"/api/queues/{manila.pk}/shifts/",
        {"starts_at": starts_at, "ends_at": ends_at, "capacity": 1},
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}


def test_filters_at_either_end_of_the_calendar_list_shifts_not_a_500(client, executive, queue):
    shift = ShiftFactory(
        queue=queue,
        starts_at=NOW + dt.timedelta(days=2),
        ends_at=NOW + dt.timedelta(days=2, hours=3),
    )
    for query in (
        "date_from=0001-01-01",
        "date_to=9999-12-31",
        "date_from=9999-12-01&date_to=9999-12-31",
    ):
        found = token_client(executive).get(f"/api/shifts/?{query}")
        assert found.status_code == 200, query
        assert [s["id"] for s in found.json()["results"]] == (
            [] if query.startswith("date_from=9999") else [shift.pk]
        )
        client.force_login(executive)
        assert client.get(f"/shifts/?{query}").status_code == 200, query


def test_a_link_longer_than_the_column_is_a_400(support_lead, queue):
    long_link = "https://meet.example.com/" + "b" * 300
    lead = token_client(support_lead)
    shift = send(
        lead,
        "post",
        f"/api/queues/{queue.pk}/shifts/",
        {"starts_at": utc(3, 14), "ends_at": utc(3, 18), "capacity": 1, "meeting_url": long_link},
    )
    assert shift.status_code == 400
    assert shift.json() == {"meeting_url": ["Ensure this field has no more than 200 characters."]}
    pattern = send(
        lead, "post", f"/api/queues/{queue.pk}/patterns/", {**PATTERN, "meeting_url": long_link}
    )
    assert pattern.status_code == 400 and "meeting_url" in pattern.json()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_on": "0100-01-01"}, "A pattern's first day can be at most a year ago."),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260601", "starts_on": "2026-05-04"},
            "This rule gives no days from today on: its last day has passed.",
        ),
    ],
)
def test_a_pattern_long_past_is_refused(support_lead, queue, changes, message):
    response = send(
        token_client(support_lead),
        "post",
        f"/api/queues/{queue.pk}/patterns/",
        {**PATTERN, **changes},
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}


def test_a_pattern_already_under_way_is_not_asked_about_past_clock_changes(support_lead):
    # 14 March 2027 02:30 does not exist in New York, but it is past by April: not asked.
    night = QueueFactory(
        time_zone="America/New_York",
        opens_at=dt.time(0),
        closes_at=dt.time(23, 59),
        leads=[support_lead],
    )
    with time_machine.travel(dt.datetime(2027, 4, 1, 12, tzinfo=UTC), tick=False):
        response = send(
            token_client(support_lead),
            "post",
            f"/api/queues/{night.pk}/patterns/",
            {
                "rrule": "FREQ=DAILY;UNTIL=20270410",
                "starts_on": "2027-03-10",
                "start_time": "02:30",
                "end_time": "04:00",
            },
        )
    assert response.status_code == 201, response.content
    assert response.json()["shifts_added"] == 9  # 2 … 10 April


def test_a_stale_skip_list_through_the_api_never_brings_back_a_day_taken_off(support_lead, queue):
    lead = token_client(support_lead)
    created = send(lead, "post", f"/api/queues/{queue.pk}/patterns/", PATTERN).json()["pattern"]
    read = lead.get(f"/api/patterns/{created['id']}/").json()
    tuesday = Shift.objects.get(
        pattern_id=created["id"], starts_at=dt.datetime(2027, 3, 9, 14, tzinfo=UTC)
    )
    assert (
        send(lead, "post", f"/api/shifts/{tuesday.pk}/cancel/", {"reason": "Training"}).status_code
        == 200
    )

    # A client that read the pattern before the day came off sends its old list back.
    stale = send(
        lead,
        "patch",
        f"/api/patterns/{created['id']}/",
        {"exdates": read["exdates"], "capacity": 3},
    )
    assert stale.status_code == 200, stale.content
    assert stale.json()["pattern"]["exdates"] == ["2027-03-09", "2027-03-11"]
    assert stale.json()["shifts_added"] == 0
    assert not Shift.objects.filter(
        pattern_id=created["id"], starts_at=tuesday.starts_at, is_cancelled=False
    ).exists()

    # Saying what it read, a client can take a skip day away again.
    again = send(
        lead,
        "patch",
        f"/api/patterns/{created['id']}/",
        {"exdates": ["2027-03-09"], "exdates_seen": ["2027-03-09", "2027-03-11"]},
    )
    assert again.json()["pattern"]["exdates"] == ["2027-03-09"]
    assert again.json()["shifts_added"] == 1  # Thursday 11 March is back


def test_a_queue_with_upcoming_shifts_keeps_its_time_zone(client, support_lead, queue):
    ShiftFactory(
        queue=queue,
        starts_at=NOW + dt.timedelta(days=2),
        ends_at=NOW + dt.timedelta(days=2, hours=3),
    )
    moved = send(
        token_client(support_lead),
        "patch",
        f"/api/queues/{queue.pk}/",
        {"time_zone": "Europe/London"},
    )
    assert moved.status_code == 400
    assert moved.json() == {
        "time_zone": [
            "Billing chat has 1 upcoming shift set in America/New_York; take them off the schedule (or let them pass) "
            "before moving it to another time zone."
        ]
    }
    queue.refresh_from_db()
    assert queue.time_zone == "America/New_York"
    # The page says the same.
    client.force_login(support_lead)
    page = client.post(
        f"/queues/{queue.pk}/edit/",
        {
            "name": queue.name,
            "channel": queue.channel,
            "team": queue.team,
            "time_zone": "Europe/London",
            "opens_at": "08:00",
            "closes_at": "18:00",
            "leads": [support_lead.pk],
            "visitor_capacity": 3,
            "brief": "",
            "booking_window_days": 90,
            "min_notice_hours": 1,
        },
    )
    assert page.status_code == 400
    assert "has 1 upcoming shift set in America/New_York" in page.content.decode()


def test_narrowing_the_hours_through_the_api_warns_about_shifts_left_outside(support_lead, queue):
    ShiftFactory(
        queue=queue,
        starts_at=dt.datetime(2027, 3, 3, 13, tzinfo=UTC),
        ends_at=dt.datetime(2027, 3, 3, 17, tzinfo=UTC),
    )
    response = send(
        token_client(support_lead), "patch", f"/api/queues/{queue.pk}/", {"opens_at": "10:00"}
    )
    assert response.status_code == 200
    assert response.json()["warnings"] == [
        "1 upcoming shift falls outside the new hours (the first on Wed 3 Mar 08:00 America/New_York). They stay "
        "as they are: edit their pattern or take them off the schedule."
    ]
    back = send(
        token_client(support_lead), "patch", f"/api/queues/{queue.pk}/", {"opens_at": "08:00"}
    )
    assert back.json()["warnings"] == []


def test_an_edit_of_a_queue_leaves_a_pause_made_meanwhile(support_lead, queue):
    from rotations.shifts.services.queues import queue_pause, queue_update

    stale = Queue.objects.get(pk=queue.pk)
    queue_pause(queue=Queue.objects.get(pk=queue.pk), reason="Incident")
    queue_update(queue=stale, data={"brief": "New brief"})
    queue.refresh_from_db()
    assert (queue.brief, queue.is_paused, queue.pause_reason) == ("New brief", True, "Incident")


def test_two_queues_named_alike_at_the_same_moment_get_a_message_not_a_500(
    support_lead, queue, monkeypatch
):
    from django.core.exceptions import ValidationError

    from rotations.shifts.services.queues import queue_create

    # As if a second request had passed the name check before the first one saved.
    monkeypatch.setattr(Queue, "full_clean", lambda self, *args, **kwargs: None)
    with pytest.raises(ValidationError) as refused:
        queue_create(data={**NEW_QUEUE, "name": "billing CHAT"}, by=support_lead)
    assert refused.value.message_dict == {"name": ["A queue with this name already exists."]}
    assert Queue.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "shifts",
            {
                "starts_at": "2027-03-03T11:00:00-05:00",
                "ends_at": "2027-03-03T11:00:00.000001-05:00",
                "capacity": 1,
            },
        ),
        (
            "shifts",
            {
                "starts_at": "2027-03-03T11:00:00-05:00",
                "ends_at": "2027-03-03T11:14:00-05:00",
                "capacity": 1,
            },
        ),
        (
            "patterns",
            {
                "rrule": "FREQ=WEEKLY;BYDAY=WE;COUNT=3",
                "starts_on": "2027-03-03",
                "start_time": "11:00",
                "end_time": "11:10",
                "capacity": 1,
            },
        ),
    ],
)
def test_a_shift_shorter_than_a_quarter_hour_is_refused(support_lead, queue, path, body):
    response = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/{path}/", body)
    assert response.status_code == 400, response.content
    assert "A shift lasts at least 15 minutes." in response.content.decode()
    assert not Shift.objects.exists() and not ShiftPattern.objects.exists()


def test_a_quarter_hour_shift_is_fine(support_lead, queue):
    body = {
        "starts_at": "2027-03-03T11:00:00-05:00",
        "ends_at": "2027-03-03T11:15:00-05:00",
        "capacity": 1,
    }
    response = send(token_client(support_lead), "post", f"/api/queues/{queue.pk}/shifts/", body)
    assert response.status_code == 201, response.content
