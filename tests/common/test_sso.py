"""Single sign-on through a real OpenID Connect identity provider (a small one the test
runs on loopback), configured the way settings.py builds it from OIDC_* variables."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from rotations.models import Person
from tests.factories import PersonFactory
from tests.servers import free_port

pytestmark = pytest.mark.django_db

CLIENT_ID = "frontline"


class IdentityProvider:
    """Discovery, authorization, token and userinfo endpoints for one signed-in user."""

    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.user = {
            "sub": "u-1",
            "email": "ada@example.com",
            "email_verified": True,
            "name": "Ada Byrne",
        }
        self.codes: dict[str, dict] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": provider.issuer + "/authorize",
                            "token_endpoint": provider.issuer + "/token",
                            "userinfo_endpoint": provider.issuer + "/userinfo",
                            "jwks_uri": provider.issuer + "/jwks",
                            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                        }
                    )
                if url.path == "/authorize":
                    q = dict(urllib.parse.parse_qsl(url.query))
                    code = f"code-{len(provider.codes)}"
                    provider.codes[code] = {"nonce": q.get("nonce")}
                    target = (
                        q["redirect_uri"]
                        + "?"
                        + urllib.parse.urlencode({"code": code, "state": q["state"]})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                    return None
                if url.path == "/userinfo":
                    return self._json(provider.user)
                if url.path == "/jwks":
                    return self._json({"keys": []})
                return self._json({"error": "not found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path != "/token" or form.get("code") not in provider.codes:
                    return self._json({"error": "invalid_grant"}, 400)
                now = int(time.time())
                claims = {
                    **provider.user,
                    "iss": provider.issuer,
                    "aud": CLIENT_ID,
                    "iat": now,
                    "exp": now + 300,
                }
                nonce = provider.codes[form["code"]].get("nonce")
                if nonce:
                    claims["nonce"] = nonce
                return self._json(
                    {
                        "access_token": "access-" + form["code"],
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": jwt.encode(
                            claims,
                            "the-signature-is-not-checked-over-a-direct-tls-exchange",
                            algorithm="HS256",
                        ),
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture
def idp(settings):
    with IdentityProvider() as provider:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "company",
                        "name": "Company single sign-on",
                        "client_id": CLIENT_ID,
                        "secret": "s3cret",
                        "settings": {
                            "server_url": provider.issuer,
                            "token_auth_method": "client_secret_basic",
                        },
                    }
                ],
            }
        }
        yield provider


def sso_sign_in(client):
    """Press the button, let the identity provider answer, come back to the callback."""
    start = client.post("/accounts/oidc/company/login/")
    assert start.status_code == 302, start.content
    import requests

    answer = requests.get(start["Location"], allow_redirects=False, timeout=10)
    callback = urllib.parse.urlsplit(answer.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_the_sign_in_page_offers_company_sso_only_when_configured(client, settings, idp):
    assert "Company single sign-on" in client.get("/accounts/login/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert "Company single sign-on" not in client.get("/accounts/login/").content.decode()


def test_a_person_already_in_the_directory_is_signed_in(client, idp):
    ada = PersonFactory(email="ada@example.com", full_name="Ada Byrne")
    response = sso_sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(ada.pk)
    assert Person.objects.count() == 1


def test_a_new_company_address_becomes_a_person(client, idp):
    idp.user = {**idp.user, "sub": "u-2", "email": "new.hire@example.com", "name": "New Hire"}
    response = sso_sign_in(client)
    assert response["Location"] == "/"
    person = Person.objects.get(email="new.hire@example.com")
    assert person.full_name == "New Hire"
    assert client.session["_auth_user_id"] == str(person.pk)


def test_an_address_outside_the_company_is_refused(client, idp):
    idp.user = {**idp.user, "sub": "u-3", "email": "someone@gmail.com"}
    response = sso_sign_in(client)
    assert "_auth_user_id" not in client.session
    assert not Person.objects.filter(email="someone@gmail.com").exists()
    assert "Sign Up Closed" in response.content.decode()


def test_a_name_with_line_breaks_from_the_provider_is_put_on_one_line(client, idp):
    idp.user = {**idp.user, "sub": "u-4", "email": "nia@example.com", "name": "Nia\r\n  Okafor\t"}
    sso_sign_in(client)
    assert Person.objects.get(email="nia@example.com").full_name == "Nia Okafor"


def refused_as_unverified(client, response) -> None:
    assert response.status_code == 403
    assert "has not confirmed that" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("claim", [False, "false", None, "no"])
def test_an_address_the_provider_does_not_verify_joins_nobody(client, idp, claim):
    # A future hire's address, taken at the provider by someone else, must not reach the
    # person HR later imports (nor one already in the directory).
    ada = PersonFactory(email="ada@example.com", full_name="Ada Byrne")
    idp.user = {**idp.user, "email_verified": claim}
    refused_as_unverified(client, sso_sign_in(client))
    assert not SocialAccount.objects.exists()
    ada.refresh_from_db()
    assert ada.has_usable_password()


def test_an_unverified_new_address_becomes_nobody(client, idp):
    idp.user = {**idp.user, "sub": "u-5", "email": "future.hire@example.com"}
    del idp.user["email_verified"]
    refused_as_unverified(client, sso_sign_in(client))
    assert not Person.objects.filter(email="future.hire@example.com").exists()


def test_a_connected_account_whose_address_is_no_longer_verified_is_refused(client, idp):
    PersonFactory(email="ada@example.com", full_name="Ada Byrne")
    assert sso_sign_in(client)["Location"] == "/"
    client.logout()
    idp.user = {**idp.user, "email_verified": False}
    refused_as_unverified(client, sso_sign_in(client))


def test_the_string_true_is_taken_as_verified(client, idp):
    idp.user = {
        **idp.user,
        "sub": "u-6",
        "email": "cognito.user@example.com",
        "email_verified": "true",
    }
    assert sso_sign_in(client)["Location"] == "/"
    assert Person.objects.filter(email="cognito.user@example.com").exists()


def test_a_provider_trusted_for_its_addresses_needs_no_claim(client, idp, settings):
    settings.OIDC_TRUST_EMAILS = True
    idp.user = {"sub": "u-7", "email": "trusted@example.com", "name": "Tru Sted"}
    assert sso_sign_in(client)["Location"] == "/"
    assert EmailAddress.objects.get(email="trusted@example.com").verified
