"""The REST API, signed in by session and by token: the same rules, answered as JSON.

Time is frozen at Monday 1 March 2027, 12:00 UTC. Eve Executive lives in Toronto.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token

from rotations.directory.roles import Role
from rotations.models import Booking, CalendarChange, Queue, Shift
from tests.factories import PersonFactory, QueueFactory, ShiftFactory, book, shift_at
from tests.helpers import all_routes, count_queries, token_client, toronto

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 12, tzinfo=UTC)  # a Monday

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture(params=["session", "token"])
def api(request):
    """``api(person)``: a client signed in as them, by session cookie or by API token."""

    def sign_in(person) -> Client:
        if request.param == "session":
            client = Client()
            client.force_login(person)
            return client
        return token_client(person)

    return sign_in


def post(client: Client, path: str, data: dict):
    return client.post(path, data, content_type="application/json")


def result_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def api_routes() -> set[str]:
    """Every /api/ route as Django spells it, e.g. "/api/shifts/<int:shift_id>/"."""
    return {"/" + r for r in all_routes() if r.startswith("api/")}


# --- reading ------------------------------------------------------------------------------


def test_it_lists_queues(api, executive, frontline_employee, support_lead, queue, phone_queue):
    response = api(executive).get("/api/queues/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": queue.pk,
            "name": "Billing chat",
            "channel": "chat",
            "team": "Billing",
            "time_zone": "America/New_York",
            "opens_at": "09:00:00",
            "closes_at": "17:00:00",
            "leads": [support_lead.pk],
            "visitor_capacity": 3,
            "brief": "Answer billing chats next to your buddy.",
            "is_paused": False,
            "pause_reason": "",
            "booking_window_days": 90,
            "min_notice_hours": 24,
        },
        {
            "id": phone_queue.pk,
            "name": "Phone support",
            "channel": "phone",
            "team": "Care",
            "time_zone": "Europe/London",
            "opens_at": "09:00:00",
            "closes_at": "17:00:00",
            "leads": [],
            "visitor_capacity": 3,
            "brief": "Answer billing chats next to your buddy.",
            "is_paused": False,
            "pause_reason": "",
            "booking_window_days": 90,
            "min_notice_hours": 24,
        },
    ]
    assert api(frontline_employee).get("/api/queues/").status_code == 403
    # The leads come in one query for every queue.
    QueueFactory.create_batch(5, leads=[support_lead])
    client = api(executive)
    client.get("/api/queues/")
    assert count_queries(lambda: client.get("/api/queues/")) == 3
    QueueFactory.create_batch(20, leads=[support_lead])
    assert count_queries(lambda: client.get("/api/queues/")) == 3
    assert len(client.get("/api/queues/").json()) == 27


def test_it_lists_open_shifts_with_the_pages_filters(
    api, executive, queue, phone_queue, frontline_employee
):
    wednesday = shift_at(queue, toronto(3, 10), buddy=frontline_employee, location="Floor 3")
    london = shift_at(phone_queue, toronto(4, 10))
    # 03:00 and 06:00 UTC on Wednesday 10 March: Tuesday 22:00 and Wednesday 01:00 in Toronto.
    late_tuesday = shift_at(queue, dt.datetime(2027, 3, 10, 3, tzinfo=UTC))
    early_wednesday = shift_at(queue, dt.datetime(2027, 3, 10, 6, tzinfo=UTC))
    full = shift_at(queue, toronto(5, 10), capacity=1)
    book(full, PersonFactory(roles=[Role.EXECUTIVE]))
    client = api(executive)

    everything = client.get("/api/shifts/")
    assert result_ids(everything) == [wednesday.pk, london.pk, late_tuesday.pk, early_wednesday.pk]
    body = everything.json()
    assert (body["count"], body["next"], body["previous"]) == (4, None, None)
    first = body["results"][0]
    assert (when(first.pop("starts_at")), when(first.pop("ends_at"))) == (
        wednesday.starts_at,
        wednesday.ends_at,
    )
    assert first == {
        "id": wednesday.pk,
        "queue": queue.pk,
        "queue_name": "Billing chat",
        "channel": "chat",
        "queue_time_zone": "America/New_York",
        "capacity": 2,
        "seats_left": 2,
        "cancelled": False,
        "buddy_name": "Fran Frontline",
        "location": "Floor 3",
        "meeting_url": "",
    }
    assert body["results"][1]["buddy_name"] is None

    assert result_ids(client.get(f"/api/shifts/?queue={phone_queue.pk}")) == [london.pk]
    assert result_ids(client.get("/api/shifts/?channel=phone")) == [london.pk]
    assert result_ids(client.get("/api/shifts/?date_from=2027-03-09&date_to=2027-03-09")) == [
        late_tuesday.pk
    ]
    assert result_ids(client.get("/api/shifts/?date_from=2027-03-10")) == [early_wednesday.pk]
    # Fits Eve's calendar: a weekday inside 09:00–17:00 Toronto time.
    assert result_ids(client.get("/api/shifts/?fits_my_calendar=true")) == [wednesday.pk, london.pk]
    assert result_ids(client.get("/api/shifts/?page_size=2&page=2")) == [
        late_tuesday.pk,
        early_wednesday.pk,
    ]

    detail = client.get(f"/api/shifts/{london.pk}/")
    assert (detail.status_code, detail.json()["queue_name"]) == (200, "Phone support")
    assert client.get("/api/shifts/999999/").status_code == 404


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("queue=abc", {"queue": ["A valid integer is required."]}),
        ("queue=0", {"queue": ["Ensure this value is greater than or equal to 1."]}),
        ("channel=fax", {"channel": ['"fax" is not a valid choice.']}),
        (
            "date_from=nope",
            {"date_from": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            "date_to=2027-02-30",
            {"date_to": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ("fits_my_calendar=maybe", {"fits_my_calendar": ["Must be a valid boolean."]}),
        (
            "date_from=2027-03-10&date_to=2027-03-09",
            {"non_field_errors": ["“To” is before “From”."]},
        ),
        (
            "date_from=2027-03-01&date_to=2028-06-01",
            {"non_field_errors": ["Pick a range of at most a year."]},
        ),
    ],
)
def test_bad_query_values_are_a_400_naming_the_field(api, executive, query, errors):
    response = api(executive).get(f"/api/shifts/?{query}")
    assert (response.status_code, response.json()) == (400, errors)


def test_page_out_of_range_is_a_404_not_a_500(api, executive, queue):
    shift_at(queue, toronto(3, 10))
    client = api(executive)
    assert client.get("/api/shifts/?page=9").json() == {"detail": "Invalid page."}
    assert client.get("/api/shifts/?page=abc").status_code == 404
    assert client.get("/api/bookings/?page=9").status_code == 404


# --- booking, moving, cancelling ---------------------------------------------------------


def test_book_move_and_cancel_keep_one_calendar_event(api, executive, queue):
    first = shift_at(queue, toronto(3, 10))
    second = shift_at(queue, toronto(5, 10))
    client = api(executive)

    booked = post(client, "/api/bookings/", {"shift": first.pk})
    assert booked.status_code == 201
    body = booked.json()
    uid = body["uid"]
    assert uuid.UUID(uid) == Booking.objects.get().uid
    assert (
        body["shift"]["id"],
        body["person"],
        body["person_name"],
        body["status"],
        body["sequence"],
    ) == (
        first.pk,
        executive.pk,
        "Eve Executive",
        "confirmed",
        0,
    )
    assert when(body["starts_at"]) == first.starts_at
    booking_id = body["id"]
    assert [b["id"] for b in client.get("/api/bookings/").json()["results"]] == [booking_id]
    assert client.get(f"/api/bookings/{booking_id}/").json()["uid"] == uid

    moved = post(client, f"/api/bookings/{booking_id}/reschedule/", {"shift": second.pk})
    assert moved.status_code == 200
    body = moved.json()
    assert (body["id"], body["uid"], body["sequence"], body["shift"]["id"], body["status"]) == (
        booking_id,
        uid,
        1,
        second.pk,
        "confirmed",
    )
    assert when(body["starts_at"]) == second.starts_at

    no_reason = post(client, f"/api/bookings/{booking_id}/cancel/", {})
    assert (no_reason.status_code, no_reason.json()) == (
        400,
        {"reason": ["This field is required."]},
    )
    blank = post(client, f"/api/bookings/{booking_id}/cancel/", {"reason": ""})
    assert (blank.status_code, blank.json()) == (400, {"reason": ["This field may not be blank."]})

    cancelled = post(
        client, f"/api/bookings/{booking_id}/cancel/", {"reason": "Board meeting moved"}
    )
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert (body["uid"], body["sequence"], body["status"], body["cancel_reason"]) == (
        uid,
        2,
        "cancelled",
        "Board meeting moved",
    )
    assert list(CalendarChange.objects.order_by("sequence").values_list("kind", "sequence")) == [
        ("booked", 0),
        ("rescheduled", 1),
        ("cancelled", 2),
    ]
    assert client.get("/api/bookings/").json()["results"] == []
    assert (
        Shift.objects.get(pk=first.pk).seats_taken,
        Shift.objects.get(pk=second.pk).seats_taken,
    ) == (0, 0)


@pytest.mark.parametrize(
    ("case", "code", "detail"),
    [
        ("full", "shift_full", "This shift is full."),
        (
            "paused",
            "queue_paused",
            "Billing chat is paused for new bookings (Incident). Try another queue.",
        ),
        ("notice", "too_late", "Billing chat needs 24 hours' notice to book a shift."),
        (
            "override",
            "override_not_allowed",
            "Only HR and the queue's support leads can override minimum notice.",
        ),
        ("twice", "already_booked", "You already have this shift."),
    ],
)
def test_a_refused_booking_is_a_409_with_code_and_detail(api, executive, queue, case, code, detail):
    shift = shift_at(queue, toronto(3, 10), capacity=1 if case == "full" else 2)
    data = {"shift": shift.pk}
    if case == "full":
        book(shift, PersonFactory(roles=[Role.EXECUTIVE]))
    elif case == "paused":
        Queue.objects.filter(pk=queue.pk).update(is_paused=True, pause_reason="Incident")
    elif case == "notice":
        shift = shift_at(queue, NOW + dt.timedelta(hours=5))
        data = {"shift": shift.pk}
    elif case == "override":
        data["override_notice"] = True
    elif case == "twice":
        book(shift, executive)

    response = post(api(executive), "/api/bookings/", data)

    assert (response.status_code, response.json()) == (409, {"code": code, "detail": detail})
    assert Booking.objects.filter(person=executive).count() == (1 if case == "twice" else 0)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"shift": ["This field is required."]}),
        ({"shift": "abc"}, {"shift": ["A valid integer is required."]}),
        ({"shift": 0}, {"shift": ["Ensure this value is greater than or equal to 1."]}),
        ({"shift": 1, "person": "me"}, {"person": ["A valid integer is required."]}),
        (
            {"shift": 1, "override_notice": "perhaps"},
            {"override_notice": ["Must be a valid boolean."]},
        ),
    ],
)
def test_a_malformed_booking_is_a_400_naming_the_field(api, executive, data, errors):
    response = post(api(executive), "/api/bookings/", data)
    assert (response.status_code, response.json()) == (400, errors)


def test_a_missing_shift_in_the_body_is_a_400_on_that_field(api, executive, queue):
    response = post(api(executive), "/api/bookings/", {"shift": 999999})
    assert response.status_code == 400
    assert response.json() == {"shift": ["No shift with this id (or none you may see)."]}
    booking = book(ShiftFactory(queue=queue), executive)
    moved = post(api(executive), f"/api/bookings/{booking.pk}/reschedule/", {"shift": 999999})
    assert moved.status_code == 400
    assert moved.json() == {"shift": ["No shift with this id (or none you may see)."]}


def test_moving_to_a_full_shift_is_a_409_and_keeps_the_seat(api, executive, queue):
    seat = shift_at(queue, toronto(3, 10))
    booking = book(seat, executive)
    full = shift_at(queue, toronto(5, 10), capacity=1)
    book(full, PersonFactory(roles=[Role.EXECUTIVE]))
    response = post(api(executive), f"/api/bookings/{booking.pk}/reschedule/", {"shift": full.pk})
    assert (response.status_code, response.json()) == (
        409,
        {"code": "shift_full", "detail": "This shift is full."},
    )
    booking.refresh_from_db()
    assert (booking.shift_id, booking.sequence, Shift.objects.get(pk=seat.pk).seats_taken) == (
        seat.pk,
        0,
        1,
    )


def test_a_support_lead_books_on_behalf_and_overrides_notice(
    api, executive, support_lead, frontline_employee, queue
):
    soon = shift_at(queue, NOW + dt.timedelta(hours=5))
    client = api(support_lead)

    too_late = post(client, "/api/bookings/", {"shift": soon.pk, "person": executive.pk})
    assert (too_late.status_code, too_late.json()["code"]) == (409, "too_late")

    response = post(
        client,
        "/api/bookings/",
        {"shift": soon.pk, "person": executive.pk, "override_notice": True},
    )
    assert response.status_code == 201
    assert (response.json()["person"], response.json()["person_name"]) == (
        executive.pk,
        "Eve Executive",
    )
    booking = Booking.objects.get()
    assert (booking.person, booking.booked_by) == (executive, support_lead)
    # The lead sees, moves and cancels it too.
    assert client.get(f"/api/bookings/{booking.pk}/").status_code == 200
    cancelled = post(
        client, f"/api/bookings/{booking.pk}/cancel/", {"reason": "Sick", "override_notice": True}
    )
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")

    not_exec = post(
        client,
        "/api/bookings/",
        {"shift": soon.pk, "person": frontline_employee.pk, "override_notice": True},
    )
    assert (not_exec.status_code, not_exec.json()) == (
        409,
        {
            "code": "not_executive",
            "detail": "Fran Frontline is not an executive taking part in Frontline.",
        },
    )
    nobody = post(client, "/api/bookings/", {"shift": soon.pk, "person": 999999})
    assert (nobody.status_code, nobody.json()) == (
        400,
        {"person": ["No active person with this id."]},
    )


def test_only_leads_and_hr_book_for_someone_else(
    api, executive, frontline_employee, hr_admin, queue
):
    shift = shift_at(queue, toronto(3, 10))
    colleague = PersonFactory(full_name="Cole League", roles=[Role.EXECUTIVE])

    response = post(api(executive), "/api/bookings/", {"shift": shift.pk, "person": colleague.pk})
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "You can only book for yourself."},
    )
    for person in (frontline_employee, hr_admin):
        response = post(api(person), "/api/bookings/", {"shift": shift.pk})
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "Only executives book shifts for themselves."},
        )
    assert not Booking.objects.exists()
    # Naming oneself is booking oneself.
    assert (
        post(
            api(executive), "/api/bookings/", {"shift": shift.pk, "person": executive.pk}
        ).status_code
        == 201
    )
    # HR books for an executive.
    other = shift_at(queue, toronto(5, 10))
    assert (
        post(
            api(hr_admin), "/api/bookings/", {"shift": other.pk, "person": colleague.pk}
        ).status_code
        == 201
    )


def test_someone_elses_booking_does_not_exist_for_an_executive(api, executive, queue):
    theirs = book(shift_at(queue, toronto(3, 10)), PersonFactory(roles=[Role.EXECUTIVE]))
    other = shift_at(queue, toronto(5, 10))
    client = api(executive)
    assert client.get(f"/api/bookings/{theirs.pk}/").status_code == 404
    assert (
        post(client, f"/api/bookings/{theirs.pk}/reschedule/", {"shift": other.pk}).status_code
        == 404
    )
    assert (
        post(client, f"/api/bookings/{theirs.pk}/cancel/", {"reason": "mine now"}).status_code
        == 404
    )
    assert client.get("/api/bookings/").json()["results"] == []
    assert client.get("/api/bookings/999999/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.sequence) == ("confirmed", 0)


# --- attendance ---------------------------------------------------------------------------


def test_attendance_by_the_lead_or_the_buddy_once_the_shift_started(
    api, executive, support_lead, frontline_employee, hr_admin, queue
):
    shift = shift_at(queue, toronto(3, 10), buddy=frontline_employee)
    booking = book(shift, executive)
    url = f"/api/bookings/{booking.pk}/attendance/"

    early = post(api(support_lead), url, {"attended": True})
    assert (early.status_code, early.json()) == (
        409,
        {"code": "not_started", "detail": "Attendance can be marked once the shift has started."},
    )

    with time_machine.travel(shift.starts_at + dt.timedelta(hours=1), tick=False):
        lead = api(support_lead)
        missing = post(lead, url, {})
        assert (missing.status_code, missing.json()) == (
            400,
            {"attended": ["This field is required."]},
        )
        marked = post(lead, url, {"attended": True})
        assert (marked.status_code, marked.json()["status"]) == (200, "attended")

        by_buddy = post(api(frontline_employee), url, {"attended": False})
        assert (by_buddy.status_code, by_buddy.json()["status"]) == (200, "no_show")
        booking.refresh_from_db()
        assert booking.attendance_marked_by == frontline_employee

        for outsider in (executive, hr_admin):
            assert post(api(outsider), url, {"attended": True}).status_code == 403
        # To another queue's lead and another executive the booking does not exist.
        for stranger in (
            PersonFactory(roles=[Role.SUPPORT_LEAD]),
            PersonFactory(roles=[Role.EXECUTIVE]),
        ):
            assert post(api(stranger), url, {"attended": True}).status_code == 404
    assert Booking.objects.get().status == "no_show"


# --- who may call at all ------------------------------------------------------------------

API_CALLS = [
    ("get", "/api/queues/"),
    ("post", "/api/queues/"),
    ("get", "/api/queues/{queue}/"),
    ("patch", "/api/queues/{queue}/"),
    ("post", "/api/queues/{queue}/pause/"),
    ("post", "/api/queues/{queue}/resume/"),
    ("post", "/api/queues/{queue}/shifts/"),
    ("get", "/api/queues/{queue}/patterns/"),
    ("post", "/api/queues/{queue}/patterns/"),
    ("get", "/api/patterns/{pattern}/"),
    ("patch", "/api/patterns/{pattern}/"),
    ("get", "/api/shifts/"),
    ("get", "/api/shifts/{shift}/"),
    ("post", "/api/shifts/{shift}/cancel/"),
    ("get", "/api/bookings/"),
    ("post", "/api/bookings/"),
    ("get", "/api/bookings/{booking}/"),
    ("post", "/api/bookings/{booking}/reschedule/"),
    ("post", "/api/bookings/{booking}/cancel/"),
    ("post", "/api/bookings/{booking}/attendance/"),
    ("post", "/api/bookings/{booking}/insights/"),
    ("get", "/api/insights/"),
    ("get", "/api/insights/{insight}/"),
    ("post", "/api/insights/{insight}/status/"),
    ("get", "/api/schema/"),
]


def test_api_calls_cover_every_api_route():
    called = {re.sub(r"\{(\w+)\}", lambda m: f"<int:{m[1]}_id>", path) for _, path in API_CALLS}
    assert api_routes() == called


@pytest.mark.parametrize(("method", "path"), API_CALLS)
@pytest.mark.parametrize("credentials", [None, "Token not-a-real-token"])
def test_without_credentials_every_call_is_refused(
    client, executive, queue, method, path, credentials
):
    shift = shift_at(queue, toronto(3, 10))
    booking = book(shift, executive)
    headers = {"Authorization": credentials} if credentials else {}
    path = path.format(shift=shift.pk, booking=booking.pk, insight=1, queue=queue.pk, pattern=1)
    if method in ("post", "patch"):
        data = {"shift": shift.pk, "reason": "x", "attended": True}
        response = getattr(client, method)(
            path, data, content_type="application/json", headers=headers
        )
    else:
        response = client.get(path, headers=headers)
    # The token scheme comes first, so DRF answers 401 with a challenge (never a redirect).
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    if path != "/api/schema/":
        detail = (
            "Invalid token." if credentials else "Authentication credentials were not provided."
        )
        assert response.json() == {"detail": detail}
    booking.refresh_from_db()
    assert (booking.status, booking.sequence, Booking.objects.count()) == ("confirmed", 0, 1)
    queue.refresh_from_db()
    assert (queue.is_paused, Shift.objects.filter(is_cancelled=False).count()) == (False, 1)


def test_session_writes_need_the_csrf_token_but_token_writes_do_not(executive, queue):
    shift = shift_at(queue, toronto(3, 10))
    session = Client(enforce_csrf_checks=True)
    session.force_login(executive)
    refused = post(session, "/api/bookings/", {"shift": shift.pk})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    token = Token.objects.create(user=executive)
    by_token = Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {token.key}"})
    assert post(by_token, "/api/bookings/", {"shift": shift.pk}).status_code == 201


# --- the published description ------------------------------------------------------------


def test_the_openapi_schema_describes_every_api_path_and_validates(api, executive):
    response = api(executive).get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(response.content)
    validate_schema(schema)  # drf-spectacular's own OpenAPI 3 JSON-schema check
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Frontline API"
    described = {
        re.sub(r"<int:(\w+)>", r"{\1}", route) for route in api_routes() - {"/api/schema/"}
    }
    assert set(schema["paths"]) == described
    assert set(schema["paths"]["/api/bookings/"]) == {"get", "post"}
    assert set(schema["paths"]["/api/bookings/{booking_id}/cancel/"]) == {"post"}
    assert "409" in schema["paths"]["/api/bookings/"]["post"]["responses"]
    assert {p["name"] for p in schema["paths"]["/api/shifts/"]["get"]["parameters"]} >= {
        "queue",
        "channel",
        "date_from",
        "date_to",
        "fits_my_calendar",
        "page",
        "page_size",
    }
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    # The check constraint's minimum, so a generated client refuses 0 before sending it.
    assert (
        schema["components"]["schemas"]["QueueWrite"]["properties"]["visitor_capacity"]["minimum"]
        == 1
    )
    # The lists are paginated, and the schema says so.
    for path, item in (("/api/shifts/", "Shift"), ("/api/bookings/", "Booking")):
        ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
        envelope = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[1]]
        assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
        assert envelope["properties"]["results"]["items"] == {
            "$ref": f"#/components/schemas/{item}"
        }


def test_the_schema_builds_without_warnings(tmp_path):
    # Warnings (e.g. clashing operation ids) mean generated clients get wrong names.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert yaml.safe_load((tmp_path / "schema.yaml").read_text())["paths"]


# --- a fixed query cost at any size -------------------------------------------------------


def list_queries(client: Client, path: str, rows: int | None = None) -> int:
    """The queries of a GET of a paginated list, which answers 200 (with ``rows`` rows)."""

    def get() -> None:
        response = client.get(path)
        assert response.status_code == 200
        if rows is not None:
            assert len(response.json()["results"]) == rows

    return count_queries(get)


def test_the_shift_list_costs_the_same_with_3_or_30_shifts(
    api, executive, queue, phone_queue, frontline_employee
):
    client = api(executive)
    book(shift_at(queue, toronto(2, 10)), executive)
    client.get("/api/shifts/")
    filtered = f"/api/shifts/?fits_my_calendar=true&date_from=2027-03-01&queue={queue.pk}"
    for n in (3, 30):
        Shift.objects.filter(bookings__isnull=True).delete()
        for i in range(n):
            shift_at(
                queue if i % 2 else phone_queue,
                toronto(3, 9) + dt.timedelta(days=i // 3, hours=3 * (i % 3)),
                hours=2,
                buddy=frontline_employee if i % 3 else None,
            )
        # The filtered list also reads Eve's bookings, for "fits my calendar".
        every_shift = list_queries(client, "/api/shifts/", n + 1)
        assert (every_shift, list_queries(client, filtered)) == (3, 4), n


def test_the_booking_list_costs_the_same_with_3_or_30_bookings(api, queue, frontline_employee):
    for n in (3, 30):
        person = PersonFactory(roles=[Role.EXECUTIVE])
        for day in range(n):
            buddy = frontline_employee if day % 2 else None
            book(shift_at(queue, NOW + dt.timedelta(days=day + 2), buddy=buddy), person)
        client = api(person)
        client.get("/api/bookings/")
        assert list_queries(client, "/api/bookings/", n) == 3, n


def test_a_booking_costs_the_same_statements_with_0_or_20_bookings_held(queue, frontline_employee):
    """The booking path's statements are written out (rotations/rows.py): pin them."""
    for held in (0, 20):
        person = PersonFactory(roles=[Role.EXECUTIVE])
        for day in range(held):
            book(shift_at(queue, NOW + dt.timedelta(days=day + 2)), person)
        client = token_client(person)
        target = shift_at(queue, NOW + dt.timedelta(days=40), buddy=frontline_employee)
        cache.clear()  # nothing remembered: the permissions come with the token
        with CaptureQueriesContext(connection) as captured:
            response = post(client, "/api/bookings/", {"shift": target.pk})
        assert response.status_code == 201, response.content
        assert response.json()["shift"]["buddy_name"] == frontline_employee.full_name
        # token (with the person's permissions), person lock with the shift (and its queue
        # and buddy), the person's calendar, seat, booking, calendar change, outbox rows; and
        # the transaction's own two (here savepoints, as the test runs inside a transaction).
        assert len(captured.captured_queries) == 7 + 2, held


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_postgresql_plans_the_booking_statements_once_per_connection(queue):
    """Planning was most of PostgreSQL's work per booking: the statements a connection
    runs again and again are prepared on the server (settings: DATABASE_PREPARED_STATEMENTS)."""
    for day in range(6):  # psycopg prepares a statement on its fifth run
        book(
            shift_at(queue, NOW + dt.timedelta(days=day + 2)), PersonFactory(roles=[Role.EXECUTIVE])
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FOR UPDATE" in sql and "rotations_person" in sql for sql in prepared), prepared
    assert any(sql.startswith("UPDATE rotations_shift SET seats_taken") for sql in prepared), (
        prepared
    )


@pytest.mark.parametrize("shift_id", [2**63, 2**64 + 1])
def test_a_shift_id_past_any_stored_one_is_not_found(api, executive, shift_id):
    response = post(api(executive), "/api/bookings/", {"shift": shift_id})
    assert response.status_code == 400
    assert response.json() == {"shift": ["No shift with this id (or none you may see)."]}


def test_a_deactivated_persons_token_is_refused_with_drfs_message(executive, queue):
    client = token_client(executive)
    assert client.get("/api/bookings/").status_code == 200
    executive.is_active = False
    executive.save(update_fields=["is_active"])
    response = client.get("/api/bookings/")
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_times_are_utc_whoever_asks(api, executive, queue):
    """A session user in Toronto and a token caller read the same UTC strings."""
    shift = shift_at(queue, toronto(3, 9))
    response = api(executive).get(f"/api/shifts/{shift.pk}/")
    assert response.json()["starts_at"] == shift.starts_at.astimezone(dt.UTC).isoformat().replace(
        "+00:00", "Z"
    )
