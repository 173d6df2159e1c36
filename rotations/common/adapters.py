"""How django-allauth behaves in Frontline: who may sign up, and how its mail is sent."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render

from rotations.common.emails import send_later
from rotations.common.validators import one_line

logger = logging.getLogger(__name__)


def is_company_address(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].strip().lower()
    return domain in settings.FRONTLINE_COMPANY_DOMAINS


@dataclass(frozen=True)
class Site:
    """What allauth's emails call ``current_site``: the configured name and address,
    never the request's Host header (which the sender of a reset request chooses)."""

    name: str
    domain: str


# The links allauth puts in its emails' contexts.
EMAIL_LINKS = ("activate_url", "password_reset_url", "signup_url")


def on_site(url: str) -> str:
    """``url``'s path and query on ``SITE_URL``, whatever host it was built on."""
    parts = urlsplit(url)
    return settings.SITE_URL + parts.path + (f"?{parts.query}" if parts.query else "")


# Browsers someone has signed in on: a signed cookie naming, for each address that signed
# in there (as a hash), that browser's own id. Failed sign-ins for an address are counted
# per browser on those, and together only on every other client, so nobody can lock a
# person out of the browser they always use by failing sign-ins as them elsewhere.
KNOWN_DEVICE_COOKIE = "frontline_device"
KNOWN_DEVICE_SALT = "frontline.known-device"
KNOWN_DEVICE_SECONDS = 365 * 24 * 3600
KNOWN_DEVICE_LIMIT = 5  # addresses remembered per browser


def _address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:32]


def _known_devices(request) -> dict[str, str]:
    try:
        value = signing.loads(
            request.COOKIES.get(KNOWN_DEVICE_COOKIE, ""),
            salt=KNOWN_DEVICE_SALT,
            max_age=KNOWN_DEVICE_SECONDS,
        )
    except signing.BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def known_device(request, address: str) -> str | None:
    """This browser's id for ``address``, if that address has signed in on it."""
    device = _known_devices(request).get(_address_hash(address))
    return device if isinstance(device, str) else None


def remember_device(request, response, address: str) -> None:
    devices = _known_devices(request)
    key = _address_hash(address)
    devices[key] = devices.pop(key, "") or secrets.token_urlsafe(12)
    devices = dict(list(devices.items())[-KNOWN_DEVICE_LIMIT:])
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps(devices, salt=KNOWN_DEVICE_SALT),
        max_age=KNOWN_DEVICE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials) -> None:
        """Before each password is checked, allauth's ``login_failed`` limit: per client
        address, and per email address — which a browser the address has signed in on
        counts on its own (allauth keys that part on the address it is given, and rolls
        a try back when the password is right). Only the limit's key changes: the
        credentials checked are the ones typed."""
        address = (credentials.get("email") or "").strip().lower()
        device = known_device(request, address)
        if device:
            credentials = {**credentials, "email": f"{address}#browser:{device}"}
        super().pre_authenticate(request, **credentials)

    def get_client_ip(self, request) -> str:
        """allauth's reading of the trusted proxies' header, except that a header
        shorter than the proxies configured (a client reaching the app around them)
        is answered by the connection's own address rather than an error page."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            logger.warning("X-Forwarded-For lists fewer addresses than TRUSTED_PROXY_COUNT")
            return request.META["REMOTE_ADDR"]

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if user.email:
            remember_device(request, response, user.email)
        return response

    def is_open_for_signup(self, request) -> bool:
        # People normally arrive through the HR import or single sign-on; self sign-up is
        # only for the company's own domains, and closed when none are configured.
        return bool(settings.FRONTLINE_COMPANY_DOMAINS)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every account email (confirmation, reset, unknown account, notices) names the
        site and links to ``SITE_URL``; allauth builds its links from the request."""
        site = Site(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)
        context = {"email": email, **context, "current_site": site}
        for key in EMAIL_LINKS:
            if context.get(key):
                context[key] = on_site(context[key])
        message = self.render_mail(template_prefix, email, context)
        send_later(message)


def vouched_for(claim: object) -> bool:
    """Whether the provider's ``email_verified`` says yes: JSON true, or the string
    "true" some providers send. allauth takes any truthy value, so "false" was a yes."""
    if settings.OIDC_TRUST_EMAILS:
        return True
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin) -> None:
        """Only an address the provider vouches for signs in, whether the person is new,
        joined by that address or already connected: an unverified address of a future
        hire would otherwise hand their account to whoever made it."""
        email = (sociallogin.user.email or "").lower()
        if not any(a.verified and a.email.lower() == email for a in sociallogin.email_addresses):
            raise ImmediateHttpResponse(
                render(
                    request,
                    "account/sso_unverified.html",
                    {"email": email, "provider": sociallogin.provider.name},
                    status=403,
                )
            )

    def is_open_for_signup(self, request, sociallogin) -> bool:
        email = (sociallogin.user.email or "").lower()
        return bool(email) and is_company_address(email)

    def populate_user(self, request, sociallogin, data):
        # Called before allauth looks anyone up by address: from here on, "verified"
        # means the provider said so (see vouched_for).
        for address in sociallogin.email_addresses:
            address.verified = vouched_for(address.verified)
        person = super().populate_user(request, sociallogin, data)
        name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        # The provider's name is taken on one line: refusing it would lock the person out.
        person.full_name = one_line(data.get("name") or name) or person.email
        return person
