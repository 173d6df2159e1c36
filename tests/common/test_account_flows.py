"""Accounts through django-allauth: sign-in, verification, sign-up by domain, password
reset, rate limits and two-factor authentication."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token

from rotations.models import Person
from tests.factories import PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_celery(settings):
    # Account mail goes through Celery after commit; here it runs in-process.
    from frontline.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password, **extra})


def test_sign_in_by_email_and_password_lands_on_home(client):
    PersonFactory(email="ada@example.com", full_name="Ada Byrne", roles=["Executive"])
    response = sign_in(client, "ADA@example.com")
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "Hello, Ada" in home and "<li>Executive</li>" in home


def test_a_wrong_password_is_refused(client):
    PersonFactory(email="ada@example.com")
    response = sign_in(client, "ada@example.com", "wrong-password")
    assert response.status_code == 200
    assert (
        "The email address and/or password you specified are not correct."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_an_unverified_address_must_be_verified_first(client, django_capture_on_commit_callbacks):
    PersonFactory(email="new@example.com", verified_email=False)
    EmailAddress.objects.create(
        user=Person.objects.get(email="new@example.com"),
        email="new@example.com",
        verified=False,
        primary=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(client, "new@example.com")
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_self_sign_up_is_open_to_company_addresses_only(client, django_capture_on_commit_callbacks):
    data = {
        "full_name": "Nia Newcomer",
        "email": "nia@example.com",
        "password1": "long-enough-pass-123",
        "password2": "long-enough-pass-123",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", data)
    assert response.status_code == 302
    person = Person.objects.get(email="nia@example.com")
    assert person.full_name == "Nia Newcomer"
    assert mail.outbox[0].to == ["nia@example.com"]
    assert "Confirm" in mail.outbox[0].subject

    outsider = {**data, "email": "someone@gmail.com"}
    response = client.post("/accounts/signup/", outsider)
    assert response.status_code == 200
    assert "Sign-up is open to company addresses only (@example.com)." in response.content.decode()
    assert not Person.objects.filter(email="someone@gmail.com").exists()


def test_a_name_with_a_line_break_is_refused_at_sign_up(client):
    data = {
        "full_name": "Nia\r\nBcc: everyone@example.com",
        "email": "nia@example.com",
        "password1": "a-long-passphrase-42",
        "password2": "a-long-passphrase-42",
    }
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert "A name must be on one line" in response.content.decode()
    assert not Person.objects.filter(email="nia@example.com").exists()


def test_sign_up_is_closed_without_company_domains(client, settings):
    settings.FRONTLINE_COMPANY_DOMAINS = []
    response = client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode()


def test_a_password_reset_link_sets_a_new_password(client, django_capture_on_commit_callbacks):
    person = PersonFactory(email="forgot@example.com")
    Token.objects.create(user=person)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "forgot@example.com"})
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form_url = client.get(link)["Location"]
    new = "another-long-password-77"
    assert client.post(form_url, {"password1": new, "password2": new}).status_code == 302
    person.refresh_from_db()
    assert person.check_password(new)
    assert not Token.objects.filter(user=person).exists()  # a new password revokes it


def test_account_emails_name_the_site_and_link_to_site_url_not_the_host(
    client, settings, django_capture_on_commit_callbacks
):
    # A reset asked for through another host the server answers to (or a forged Host
    # header) still links to the configured address.
    settings.SITE_URL = "https://frontline.example.com"
    settings.ALLOWED_HOSTS = ["frontline.example.com", "frontline-old.example.net"]
    PersonFactory(email="forgot@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        for address in ("forgot@example.com", "nobody@example.com"):
            client.post(
                "/accounts/password/reset/",
                {"email": address},
                headers={"host": "frontline-old.example.net"},
            )
    reset, unknown = mail.outbox
    for message in (reset, unknown):
        assert message.body.startswith("Hello from Frontline!")
        assert "Thank you for using Frontline!\nfrontline.example.com" in message.body
        assert "frontline-old" not in message.body
        assert message.subject.startswith("[Frontline] ")
    assert re.search(
        r"https://frontline\.example\.com/accounts/password/reset/key/\S+/", reset.body
    )
    assert "https://frontline.example.com/accounts/signup/" in unknown.body


def test_failed_sign_ins_are_rate_limited_per_address(client):
    PersonFactory(email="target@example.com")
    for _ in range(5):
        sign_in(client, "target@example.com", "guess")
    response = sign_in(client, "target@example.com")  # even the right password
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_totp_two_factor_is_asked_for_after_the_password(client):
    person = PersonFactory(email="secure@example.com")
    secret = generate_totp_secret()
    TOTP.activate(person, secret)

    response = sign_in(client, "secure@example.com")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "Incorrect code." in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    right = client.post(
        "/accounts/2fa/authenticate/", {"code": format_hotp_value(hotp_value(secret, _counter()))}
    )
    assert right["Location"] == "/"
    assert client.session["_auth_user_id"] == str(person.pk)


def _counter() -> int:
    import time

    from allauth.mfa import app_settings

    return int(time.time()) // app_settings.TOTP_PERIOD


def test_home_offers_two_factor_until_it_is_on(client):
    person = PersonFactory()
    client.force_login(person)
    assert 'id="next-mfa"' in client.get("/").content.decode()
    TOTP.activate(person, generate_totp_secret())
    assert 'id="next-mfa"' not in client.get("/").content.decode()


def test_turning_on_two_factor_signs_the_person_out_of_their_other_sessions(
    client, django_capture_on_commit_callbacks
):
    person = PersonFactory(email="secure@example.com")
    Token.objects.create(user=person)
    elsewhere = Client()
    for browser in (client, elsewhere):
        assert sign_in(browser, "secure@example.com")["Location"] == "/"
    # Both are listed on the sessions page.
    assert client.get("/accounts/sessions/").content.decode().count("<tr") >= 3

    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302:  # allauth asks for the password again first
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/accounts/2fa/totp/activate/",
            {"code": format_hotp_value(hotp_value(secret, _counter()))},
        )
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()

    assert client.get("/schedule/").status_code == 200  # the session that turned it on
    assert elsewhere.get("/schedule/")["Location"].startswith("/accounts/login/")
    assert not Token.objects.filter(user=person).exists()
