"""Hostile input gets a 400 with a message, never a 500 (issue: degrade, don't fail)."""

from __future__ import annotations

import pytest

from rotations.models import Booking
from tests.factories import PersonFactory
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(executive):
    return token_client(executive)


def test_a_body_nested_a_thousand_levels_deep_is_a_400(api):
    body = "[" * 100_000 + "]" * 100_000
    answer = api.post("/api/bookings/", body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json() == {"detail": "JSON parse error - the body is nested too deeply."}
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/insights/?logged_to=9999-12-31",
        "/api/insights/?logged_from=0001-01-01&logged_to=9999-12-31",
        "/api/shifts/?date_from=9999-06-01&date_to=9999-12-31",
    ],
)
def test_dates_at_either_end_of_the_calendar_filter_instead_of_failing(api, path):
    answer = api.get(path)
    assert (answer.status_code, answer.json()["count"]) == (200, 0)


@pytest.mark.parametrize(
    "path",
    [
        "/insights/?logged_to=9999-12-31",
        "/insights/export.csv?logged_from=0001-01-01&logged_to=9999-12-31",
        "/insights/impact/?end=9999-12-31",
        "/insights/impact/?start=9999-06-01&end=9999-12-31",
        "/insights/impact/?start=0001-01-01&end=0001-02-01",
        "/insights/impact/coverage.csv?end=9999-12-31",
    ],
)
def test_the_insight_pages_hold_calendar_end_dates_too(client, path):
    client.force_login(PersonFactory(roles=["HR admin"]))
    answer = client.get(path)
    assert answer.status_code == 200
    if answer.streaming:
        b"".join(answer.streaming_content)
