"""Shared fixtures: people in every role, the queues they book, and the real servers
and browser tests talk to."""

from __future__ import annotations

import io
import os
import shutil

import pytest
from django.core.management import call_command

from rotations.directory.roles import Role
from tests.factories import PersonFactory, QueueFactory
from tests.helpers import need


def pytest_configure(config):
    """``FRONTLINE_TEST_NOW=2027-01-04T09:00:00+00:00``: the whole run starts at that
    moment (the clock ticks on from it), to show that no test passes or fails by the
    calendar. Only for in-process tests: a worker subprocess keeps the real clock."""
    moment = os.environ.get("FRONTLINE_TEST_NOW")
    if moment:
        import datetime as dt

        import time_machine

        time_machine.travel(dt.datetime.fromisoformat(moment), tick=True).start()


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    # Rate limits, permissions and cached shift lists live in the cache, whose versions
    # move only on commit (never, inside a test): each test gets a store of its own.
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def executive(db):
    return PersonFactory(full_name="Eve Executive", level="vp", roles=[Role.EXECUTIVE])


@pytest.fixture
def hr_admin(db):
    return PersonFactory(full_name="Harriet Admin", roles=[Role.HR_ADMIN])


@pytest.fixture
def support_lead(db):
    return PersonFactory(full_name="Leo Lead", level="manager", roles=[Role.SUPPORT_LEAD])


@pytest.fixture
def frontline_employee(db):
    return PersonFactory(full_name="Fran Frontline", roles=[Role.FRONTLINE])


ROLE_FIXTURES = {
    "anonymous": None,
    "executive": "executive",
    "hr_admin": "hr_admin",
    "support_lead": "support_lead",
    "frontline": "frontline_employee",
}


@pytest.fixture
def client_as(client, request):
    """``client_as("hr_admin")``: the test client signed in as a person of that role."""

    def sign_in(role: str):
        fixture = ROLE_FIXTURES[role]
        if fixture is not None:
            client.force_login(request.getfixturevalue(fixture))
        return client

    return sign_in


@pytest.fixture
def queue(support_lead):
    """Billing chat, led by Leo Lead: New York time, 09:00–17:00, three visitors at once,
    bookable from 24 hours to 90 days ahead."""
    return QueueFactory(name="Billing chat", leads=[support_lead])


@pytest.fixture
def phone_queue():
    """Phone support, the Care team's, on London time and led by no one."""
    return QueueFactory(
        name="Phone support", channel="phone", team="Care", time_zone="Europe/London"
    )


@pytest.fixture
def demo(db):
    """The demo company that ``load_demo_data`` builds."""
    call_command("load_demo_data", stdout=io.StringIO())


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    need(path is not None, "Debian's chromium package is not installed (apt-get install chromium)")
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportCspViolation(e.effectiveDirective + " blocked " + (e.blockedURI || "inline")
    + " on " + e.documentURI + (e.sample ? " (" + e.sample + ")" : ""));
});
"""


@pytest.fixture
def page(chromium_path, live_server):
    """A Chromium page on the live server, in Toronto's time zone."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
    # run beside one unless told that this is deliberate.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, timezone_id="America/Toronto")
        context.set_default_timeout(15_000)
        # Whatever the Content-Security-Policy blocks on any page a test visits fails it.
        blocked: list[str] = []
        context.expose_binding("reportCspViolation", lambda _source, what: blocked.append(what))
        context.add_init_script(CSP_VIOLATION_LISTENER)
        page = context.new_page()
        page.csp_violations = blocked  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()
        assert not blocked, f"the Content-Security-Policy blocked: {blocked}"
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def smtp_server():
    from tests.servers import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """The app sends its mail in this process to the test's SMTP server (returned), with
    links to https://frontline.example.com; a refused message is tried three times."""
    from rotations.invites import outbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Frontline <frontline@frontline.example.com>"
    settings.SITE_URL = "https://frontline.example.com"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    yield smtp_server
    outbox.close_connections()


@pytest.fixture(scope="session")
def broker_available() -> None:
    """Redis when REDIS_URL is set (and then it must answer), else the file-system broker."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        need(False, f"REDIS_URL={url} does not answer: {exc}")


@pytest.fixture
def celery_worker(broker_available, smtp_server, transactional_db):
    """A real worker process sending mail to the test's SMTP server."""
    from tests.servers import CeleryWorker

    worker = CeleryWorker(env={"EMAIL_URL": smtp_server.url}).start()
    yield worker
    worker.stop()


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # The live server serves static files from their sources, not from a collected,
    # hashed copy that a local bin/run may have left in staticfiles/.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs a quarter-second a person; tests create hundreds of people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, dropped cleanly: a worker or beat subprocess from
    the last tests may still hold a PostgreSQL session when the database is dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
