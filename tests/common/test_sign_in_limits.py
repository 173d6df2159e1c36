"""Sign-in limits that hold behind a proxy and cannot be turned on a victim: the client's
address is read from the trusted proxy's header, and failing as someone elsewhere never
locks them out of the browser they have signed in on before."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db

REFUSED = "Too many failed login attempts. Try again later."
PROXY = "10.0.0.1"


def sign_in(client, email, password=PASSWORD, **headers):
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


def refused(response) -> bool:
    return REFUSED in response.content.decode()


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    PersonFactory(email="ada@example.com")
    # Twelve people mistype their passwords, each from their own machine, all through
    # the company's proxy: nobody else is locked out for it.
    for n in range(12):
        client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert not refused(sign_in(client, f"person{n}@example.com", "typo"))
    ada = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert sign_in(ada, "ada@example.com")["Location"] == "/"
    # One client is still limited, by its own address.
    noisy = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    answers = [sign_in(noisy, f"x{n}@example.com", "typo") for n in range(11)]
    assert refused(answers[-1]) and not refused(answers[0])


def test_without_a_trusted_proxy_a_forged_forwarded_for_counts_for_nothing():
    client_headers = {"REMOTE_ADDR": "198.51.100.9"}
    answers = [
        sign_in(
            Client(**client_headers, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"),
            f"x{n}@example.com",
            "typo",
        )
        for n in range(11)
    ]
    assert refused(answers[-1])


def test_a_forwarded_for_shorter_than_the_proxies_is_answered_not_a_500(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    PersonFactory(email="ada@example.com")
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert sign_in(client, "ada@example.com")["Location"] == "/"


def test_failing_as_someone_elsewhere_does_not_lock_them_out_of_their_own_browser():
    PersonFactory(email="victim@example.com")
    usual = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(usual, "victim@example.com")["Location"] == "/"
    usual.post("/accounts/logout/")

    attacker = Client(REMOTE_ADDR="198.51.100.66")
    answers = [sign_in(attacker, "victim@example.com", f"guess{n}") for n in range(6)]
    assert refused(answers[-1])  # the attacker is stopped...

    # ...and the victim signs in from the browser they always use,
    assert sign_in(usual, "victim@example.com")["Location"] == "/"
    # while any other client is still held to the address's limit.
    assert refused(sign_in(Client(REMOTE_ADDR="192.0.2.11"), "victim@example.com"))


def test_a_known_browser_has_a_limit_of_its_own():
    PersonFactory(email="ada@example.com")
    usual = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(usual, "ada@example.com")["Location"] == "/"
    usual.post("/accounts/logout/")
    for n in range(5):
        sign_in(usual, "ada@example.com", f"guess{n}")
    assert refused(sign_in(usual, "ada@example.com"))


def test_a_forged_device_cookie_is_no_known_browser():
    PersonFactory(email="victim@example.com")
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    attacker.cookies["frontline_device"] = "forged"
    for n in range(5):
        sign_in(attacker, "victim@example.com", f"guess{n}")
    assert refused(sign_in(Client(REMOTE_ADDR="192.0.2.11"), "victim@example.com"))


def test_successful_sign_ins_use_up_no_tries():
    PersonFactory(email="ada@example.com")
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(7):
        assert sign_in(client, "ada@example.com")["Location"] == "/"
        client.post("/accounts/logout/")


def test_two_factor_codes_are_limited_per_person_whatever_the_client_address():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    person = PersonFactory(email="secure@example.com")
    TOTP.activate(person, generate_totp_secret())
    client = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(client, "secure@example.com")["Location"] == "/accounts/2fa/authenticate/"
    answers = [
        client.post("/accounts/2fa/authenticate/", {"code": "000000"}, REMOTE_ADDR=f"203.0.113.{n}")
        for n in range(6)
    ]
    assert not refused(answers[0])
    assert refused(answers[-1])  # someone with the password cannot try codes from many addresses
    assert "_auth_user_id" not in client.session
