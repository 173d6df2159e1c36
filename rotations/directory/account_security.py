"""What a change to how a person signs in ends: a new password their API tokens, a new
second factor every other session they have open and their API token.

Django calls ``password_changed`` on every entry of ``AUTH_PASSWORD_VALIDATORS`` whenever
a person's password is saved after ``set_password`` — the password change and reset
pages, the admin, ``manage.py changepassword`` alike — so that one hook covers every
door. (Their other browser sessions end by themselves on a new password: Django signs
each session with a hash of it.) allauth sends ``authenticator_added`` when two-factor is
turned on; allauth.usersessions knows the person's sessions.
"""

from __future__ import annotations

from rotations.directory.services import api_token_revoke, sessions_end_others


class NewPasswordRevokesApiTokens:
    """Not a rule for passwords (any password passes); the hook on their change."""

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            api_token_revoke(person=user)

    def get_help_text(self) -> str:
        return ""


def second_factor_added(sender, request, user, **kwargs) -> None:
    """Whoever else was signed in as this person signed in without the second factor:
    they are signed out, and the API token (which any of those sessions could have made)
    is revoked; the session that turned it on stays."""
    sessions_end_others(person=user, keep=request.session.session_key)
    api_token_revoke(person=user)
