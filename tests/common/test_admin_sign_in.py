"""The admin signs in through allauth: two-factor and the sign-in limits apply there too,
and a refused password costs the same work whoever is named and whatever was typed."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.hashers import get_hasher
from django.test import Client

from rotations.models import Person
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    """A superuser with TOTP on."""
    person = Person.objects.create_superuser("root@example.com", PASSWORD, full_name="Root Admin")
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(person, secret)
    person.totp_secret = secret  # type: ignore[attr-defined]
    return person


def code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def test_the_admins_own_form_no_longer_signs_anyone_in(client, root):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": root.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_the_admin_asks_for_the_second_factor(client, root):
    signed = client.post(
        "/accounts/login/?next=/admin/", {"login": root.email, "password": PASSWORD}
    )
    assert signed["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    done = client.post("/accounts/2fa/authenticate/", {"code": code(root.totp_secret)})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_person_who_is_not_staff_is_refused_the_admin_sign_in(client, executive):
    client.force_login(executive)
    assert client.get("/admin/login/").status_code == 403


def hashes_for(email: str, password: str) -> int:
    client = Client()  # a fresh visitor each time: no sign-in half done
    hasher = type(get_hasher())
    with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as encode:
        client.post("/accounts/login/", {"login": email, "password": password})
    assert "_auth_user_id" not in client.session
    return encode.call_count


def test_a_refused_sign_in_costs_one_hash_whatever_the_password(root):
    # Right password (stopped at the second factor), wrong password, nobody by that name:
    # one password hash each, so the time taken tells nothing.
    assert hashes_for(root.email, PASSWORD) == 1
    assert hashes_for(root.email, "not-the-password") == 1
    assert hashes_for("nobody@example.com", "not-the-password") == 1
