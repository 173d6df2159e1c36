"""Mail goes out through a real Celery worker, on Redis when REDIS_URL is set (as in CI)
and on the file-system broker otherwise, to a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import PASSWORD, PersonFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_password_reset_is_delivered_once_by_the_worker(celery_worker, smtp_server, client):
    person = PersonFactory(email="reset.me@example.com", full_name="Reset Me")

    response = client.post("/accounts/password/reset/", {"email": "RESET.me@example.com"})
    assert response.status_code == 302

    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["reset.me@example.com"]
    assert received.message["Subject"] == "[Frontline] Password Reset Email"
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", body).group(1)

    # The link works: set a new password with it and sign in.
    form = client.get(link, follow=True)
    assert form.status_code == 200
    new_password = "a-brand-new-long-password-42"
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.check_password(new_password)
    assert not person.check_password(PASSWORD)

    # Nothing else arrives: exactly once.
    import time

    time.sleep(1)
    assert len(smtp_server.received) == 1


def test_a_refusing_mail_server_is_retried_until_it_accepts(celery_worker, smtp_server, client):
    PersonFactory(email="retry.me@example.com")
    smtp_server.handler.refusing = True

    client.post("/accounts/password/reset/", {"email": "retry.me@example.com"})

    deadline = timezone.now() + timedelta(seconds=30)
    while "Retry in" not in celery_worker.log and timezone.now() < deadline:
        import time

        time.sleep(0.2)
    assert "Retry in" in celery_worker.log, celery_worker.log
    assert smtp_server.received == []

    smtp_server.handler.refusing = False
    [received] = smtp_server.wait_for(1, timeout=60)
    assert received.rcpt_tos == ["retry.me@example.com"]


def test_the_session_sweep_runs_on_the_worker(celery_worker):
    from rotations.common.tasks import clear_expired_sessions

    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - timedelta(days=1))
    Session.objects.create(
        session_key="live", session_data="x", expire_date=now + timedelta(days=1)
    )

    clear_expired_sessions.delay()

    deadline = timezone.now() + timedelta(seconds=30)
    while Session.objects.filter(session_key="old").exists() and timezone.now() < deadline:
        import time

        time.sleep(0.2)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
