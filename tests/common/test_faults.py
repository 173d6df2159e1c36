"""Degrade, don't fail: Redis or the database out of reach gives clear answers, never a
500 after a change has committed, and health tells the truth.

The Redis here is a real redis-server this test starts on a spare port, then stops; the
database that refuses connections is the test database's own settings pointed at a
closed port (PostgreSQL) or at a file that cannot be opened (SQLite).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from rotations.invites import outbox
from rotations.models import Booking, EmailStatus, OutgoingEmail
from tests.factories import PASSWORD, PersonFactory, QueueFactory, ShiftFactory
from tests.helpers import need, token_client
from tests.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class RedisServer:
    """A redis-server of the test's own, on a spare port, that it can stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        need(binary is not None, "redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_cache(settings):
    server = RedisServer().start()
    settings.CACHES = {
        "default": {
            "BACKEND": "frontline.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    yield server
    server.stop()


def test_with_redis_gone_every_change_commits_once_and_answers_success(
    redis_cache, smtp_settings, executive
):
    queue = QueueFactory(name="Billing chat")
    buddy = PersonFactory(roles=["Front-line employee"])
    by_api, by_page = (
        ShiftFactory(queue=queue, buddy=buddy, starts_at=timezone.now() + timedelta(days=d))
        for d in (3, 4)
    )
    api = token_client(executive)
    page = Client()
    page.force_login(executive)
    assert page.get("/").status_code == 200  # the session is in the cache too

    redis_cache.stop()

    booked = api.post("/api/bookings/", {"shift": by_api.pk}, content_type="application/json")
    assert booked.status_code == 201, booked.content
    answer = page.post(f"/shifts/{by_page.pk}/book/", {})
    assert (answer.status_code, answer["Location"]) == (302, "/schedule/")
    assert Booking.objects.filter(person=executive).count() == 2
    # Signed-in pages and signing in work; the shift list is rendered without its cache.
    assert page.get("/").status_code == 200
    assert page.get("/shifts/").status_code == 200
    fresh = Client()
    signed_in = fresh.post("/accounts/login/", {"login": executive.email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content.decode()[-3000:]
    assert signed_in["Location"] == "/"
    # Liveness is fine; readiness says what is missing.
    assert fresh.get("/healthz").status_code == 200
    ready = fresh.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["cache"]["ok"] is False and ready.json()["database"]["ok"] is True

    redis_cache.start()
    # Back: the invites (executive and buddy, for each booking) go out, once each.
    rows = set(OutgoingEmail.objects.values_list("pk", flat=True))
    assert len(rows) == 4
    outbox.send_due()
    outbox.send_due()
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 4
    received = smtp_settings.wait_for(4)
    time.sleep(0.2)
    assert len(smtp_settings.received) == len(received) == 4
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(
        [executive.email, executive.email, buddy.email, buddy.email]
    )


@contextmanager
def database_gone():
    """The default connection pointed at a database that refuses connections."""
    kept = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = str(free_port())
        connection.settings_dict["HOST"] = "127.0.0.1"
    else:
        connection.settings_dict["NAME"] = "/nonexistent-frontline/db.sqlite3"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(kept)


def test_with_the_database_gone_pages_and_api_answer_503(executive, settings):
    token = Token.objects.create(user=executive).key
    # The test client raises what a view raised; a real one only sees the answer.
    page = Client(raise_request_exception=False)
    page.force_login(executive)
    api = Client(headers={"Authorization": f"Token {token}"}, raise_request_exception=False)

    with database_gone():
        answer = page.get("/shifts/")
        assert answer.status_code == 503
        assert answer["Retry-After"] == "30"
        assert "Frontline is briefly unavailable" in answer.content.decode()
        answer = api.get("/api/shifts/")
        assert (answer.status_code, answer["Content-Type"]) == (503, "application/json")
        assert answer.json() == {
            "code": "unavailable",
            "detail": "Frontline is briefly unavailable. Please try again in a minute.",
        }
        assert answer["Retry-After"] == "30"
        assert Client().get("/healthz").status_code == 200
        ready = Client().get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"]["ok"] is False


def test_an_outage_is_logged_once_as_an_outage_and_the_batch_retried(executive, caplog):
    queue = QueueFactory()
    for days in (3, 4, 5):
        Booking.objects.create(
            shift=ShiftFactory(queue=queue, starts_at=timezone.now() + timedelta(days=days)),
            person=executive,
            starts_at=timezone.now() + timedelta(days=days),
            ends_at=timezone.now() + timedelta(days=days, hours=3),
        )
    from rotations.models import CalendarChangeKind
    from rotations.shifts.services.booking import record_calendar_change

    for booking in Booking.objects.select_related("shift__queue", "shift__buddy", "person"):
        record_calendar_change(booking, CalendarChangeKind.BOOKED)
    pks = list(OutgoingEmail.objects.values_list("pk", flat=True))
    assert len(pks) == 3
    # Each driver words it its own way; PostgreSQL's names the closed port.
    unreachable = {
        "sqlite": "unable to open database file",
        "postgresql": r'connection to server at "127\.0\.0\.1", port \d+ failed: Connection refused',
    }[connection.vendor]
    with (
        database_gone(),
        caplog.at_level(logging.WARNING),
        pytest.raises(OperationalError, match=unreachable),
    ):
        outbox.render_each(pks)
    messages = [r.getMessage() for r in caplog.records if r.name == "rotations.invites.outbox"]
    assert len(messages) == 1 and messages[0].startswith(
        "the database is unreachable; the outbox will try again"
    )
    assert not any("cannot be rendered" in m for m in messages)
    assert not OutgoingEmail.objects.exclude(message=b"").exists()


def test_the_api_answers_json_for_an_unknown_path(executive):
    answer = token_client(executive).get("/api/no-such-thing/")
    assert (answer.status_code, answer["Content-Type"]) == (404, "application/json")
    assert answer.json() == {"code": "not_found", "detail": "Not found."}
