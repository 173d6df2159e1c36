"""How django-allauth behaves in Frontline: who may sign up, and how its mail is sent."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from rotations.common.emails import send_later


def is_company_address(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].strip().lower()
    return domain in settings.FRONTLINE_COMPANY_DOMAINS


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People normally arrive through the HR import or single sign-on; self sign-up is
        # only for the company's own domains, and closed when none are configured.
        return bool(settings.FRONTLINE_COMPANY_DOMAINS)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        send_later(message)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        email = (sociallogin.user.email or "").lower()
        return bool(email) and is_company_address(email)

    def populate_user(self, request, sociallogin, data):
        person = super().populate_user(request, sociallogin, data)
        name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        person.full_name = data.get("name") or name or person.email
        return person
