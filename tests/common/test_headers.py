"""Every answer carries the Content-Security-Policy; what a signed-in person is shown, on
a page, through the API or as an export, is never stored by a browser or a proxy."""

from __future__ import annotations

import pytest

from rotations.invites.feed import feed_of
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


def test_a_page_forbids_inline_script_and_style_and_framing(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_a_signed_in_page_is_not_stored(client, executive):
    client.force_login(executive)
    response = client.get("/schedule/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_an_api_answer_to_a_token_is_not_stored(executive):
    response = token_client(executive).get("/api/shifts/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_export_is_not_stored(client, hr_admin):
    client.force_login(hr_admin)
    response = client.get("/insights/export.csv")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_calendar_feed_keeps_its_own_revalidation(client, executive):
    feed = feed_of(executive)
    client.force_login(executive)
    response = client.get(f"/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert response.has_header("ETag")
