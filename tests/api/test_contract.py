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


def test_plus_ones_is_a_number_on_the_insights_own_endpoints(executive, queue):
    insight = insight_log(
        booking=attended_booking(executive, queue),
        author=executive,
        fields={
            "title": "Refunds",
            "what_happened": "Asked.",
            "category": "product",
            "severity": "low",
        },
        tags=[],
    )
    api = token_client(executive)
    assert api.get(f"/api/insights/{insight.pk}/").json()["plus_ones"] == 0
    assert api.get("/api/insights/").json()["results"][0]["plus_ones"] == 0

