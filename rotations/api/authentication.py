"""DRF's token authentication, with its lookup as one written-out statement.

Every API call makes it, so it gets the treatment the booking path gets (see ``rows``):
the same answers and messages as DRF's, without the ORM's compile step, and the
person's permissions read in the same statement (see ``auth``).
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from rotations.common.auth import build_with_permissions, permissions_column
from rotations.common.sql import Columns
from rotations.models import Person

_TOKEN = Columns(Token, "t")
_PERSON = Columns(Person, "p")


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_PERSON.sql}, {permissions_column('p')}, {_TOKEN.sql} FROM {Token._meta.db_table} t"
                f" JOIN {Person._meta.db_table} p ON p.id = t.user_id WHERE t.key = %s",
                [key],
            )
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = _TOKEN.build(row, len(_PERSON) + 1)
        token.user = build_with_permissions(_PERSON, row)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
