"""Helpers more than one test module uses: skipping for a missing part, counting queries,
API and browser clients, and the moments the tests speak of. Fixtures live in
conftest.py, factories in factories.py."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token

from rotations.models import EmailStatus, OutgoingEmail
from tests.factories import PASSWORD

CI = bool(os.environ.get("CI"))
TORONTO = zoneinfo.ZoneInfo("America/Toronto")


def need(condition: bool, reason: str) -> None:
    """Skip when a real part is missing on a developer machine; fail loudly in CI."""
    if condition:
        return
    if CI:
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def count_queries(call: Callable[[], object]) -> int:
    """How many queries ``call()`` runs on the database."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def count_page_queries(client: Client, path: str) -> int:
    """How many queries a GET of ``path`` runs, a streamed body read to its end; the
    page must answer 200."""

    def get() -> None:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        assert response.status_code == 200, path

    return count_queries(get)


def all_routes() -> set[str]:
    """Every URL route as Django spells it, e.g. "api/shifts/<int:shift_id>/"."""

    def routes(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from routes(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return set(routes(get_resolver().url_patterns))


def deliver_all() -> None:
    """Send every pending email now, in this process."""
    from rotations.invites import outbox

    for pk in OutgoingEmail.objects.filter(status=EmailStatus.PENDING).values_list("pk", flat=True):
        outbox.deliver(pk)


def token_client(person) -> Client:
    """A test client that calls the API with the person's token (made if they have none)."""
    token, _ = Token.objects.get_or_create(user=person)
    return Client(headers={"Authorization": f"Token {token.key}"})


def browser_sign_in(page, person) -> None:
    """Sign in through the real sign-in page and wait for the person's home."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.fill("input[name=login]", person.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name=f"Hello, {person.get_short_name()}")).to_be_visible()


def toronto(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2027, as a Toronto wall clock reads it."""
    return dt.datetime(2027, 3, day, hour, minute, tzinfo=TORONTO)


def day_at(days: int, hour: int, zone: str = "America/Toronto") -> dt.datetime:
    """``hour`` o'clock in ``zone``, ``days`` days from today or the Monday after, if that
    falls on a weekend (working hours are Monday to Friday)."""
    day = timezone.localdate() + dt.timedelta(days=days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(zone))
