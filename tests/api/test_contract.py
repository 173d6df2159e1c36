"""The API keeps its contract: the schema marks what may be null, counts are numbers on
every endpoint, and HEAD answers wherever GET does."""

from __future__ import annotations

import pytest

from rotations.insights.services import insight_log
from tests.factories import attended_booking
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


def schema(client) -> dict:
    return client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]


def test_the_schema_marks_every_field_that_may_be_null(client, executive):
    client.force_login(executive)
    components = schema(client)
    for component, field in [
        ("Insight", "owner_name"),
        ("Insight", "queue_name"),
        ("Shift", "buddy_name"),
        ("ShiftPattern", "buddy"),
    ]:
        assert components[component]["properties"][field].get("nullable") is True, (
            component,
            field,
        )
    plus_ones = components["Insight"]["properties"]["plus_ones"]
    assert plus_ones["type"] == "integer" and not plus_ones.get("nullable")


def log_body(**overrides) -> dict:
    return {
        "title": "Refunds",
        "what_happened": "Asked.",
        "category": "product",
        "severity": "low",
        **overrides,
    }


def logged_insight(executive, queue):
    """An insight the executive logged after a shift they attended."""
    return insight_log(
        booking=attended_booking(executive, queue), author=executive, fields=log_body(), tags=[]
    )


def test_plus_ones_is_a_number_on_the_insights_own_endpoints(executive, queue):
    insight = logged_insight(executive, queue)
    api = token_client(executive)
    assert api.get(f"/api/insights/{insight.pk}/").json()["plus_ones"] == 0
    logged = api.post(
        f"/api/bookings/{attended_booking(executive, queue).pk}/insights/",
        log_body(title="More"),
        content_type="application/json",
    )
    assert logged.status_code == 201 and logged.json()["plus_ones"] == 0
    assert api.get("/api/insights/").json()["results"][0]["plus_ones"] == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"what_happened": "word " * 1001}, "what_happened", "5000 characters"),
        ({"suggested_fix": "x" * 5001}, "suggested_fix", "5000 characters"),
        ({"customer_quote": "x" * 2001}, "customer_quote", "2000 characters"),
        # Two items (the list takes 20), 21 tags by way of commas.
        (
            {
                "tags": [
                    ",".join(f"t{n}" for n in range(11)),
                    ",".join(f"t{n}" for n in range(11, 21)),
                ]
            },
            "tags",
            "At most 20 tags (21 given).",
        ),
    ],
)
def test_an_insight_too_long_or_with_too_many_tags_is_a_400_and_nothing(
    executive, queue, overrides, field, message
):
    booking = attended_booking(executive, queue)
    response = token_client(executive).post(
        f"/api/bookings/{booking.pk}/insights/",
        log_body(**overrides),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not booking.insights.exists()


def test_the_page_shows_too_many_tags_beside_the_field(client, executive, queue):
    booking = attended_booking(executive, queue)
    client.force_login(executive)
    response = client.post(
        f"/shifts/bookings/{booking.pk}/insights/new/",
        {**log_body(), "tags": ",".join(f"t{n}" for n in range(25))},
    )
    assert response.status_code == 400
    assert "At most 20 tags (25 given)." in response.content.decode()
    assert not booking.insights.exists()


def test_an_unknown_owner_in_a_triage_body_is_a_400(support_lead, executive, queue):
    insight = logged_insight(executive, queue)
    response = token_client(support_lead).post(
        f"/api/insights/{insight.pk}/status/",
        {"to_status": "routed", "owner": 999999, "owner_team": "Payments"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"owner": ["No active person with this id."]}
    insight.refresh_from_db()
    assert insight.status == "new"
