"""The signed-in person read with one written-out statement, as every page and API call
does first, with their permissions in the same statement: every request asks "may this
person …?", and asking the cache cost a round trip of its own (a tenth of a booking's
time). A person read any other way gets their permissions from the cache, which
forgets them when roles or permissions change."""

from __future__ import annotations

import functools
import json

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection

from rotations.common.sql import Columns, storable_id
from rotations.models import Person

GENERATION_KEY = "perms:generation"
TTL = 60 * 60


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY) or 1
    return value


def permissions_changed(**kwargs) -> None:
    """Invalidate every cached permission set (roles, groups or grants changed)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend's answers, from the cache or from one query instead of two.

    It reads people and their permissions; it checks no password. allauth's backend does,
    once, whoever is named and whatever the password: had this one checked too (it would,
    the email being the username field), a wrong password would cost two hashes and a
    right one one, and the time a refusal took would tell which."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None

    def get_user(self, user_id):
        """ModelBackend's, as one written-out statement (see ``rows``): every signed-in
        page reads its person, and the ORM's compiling cost three times the reading."""
        if not storable_id(Person, user_id):
            return super().get_user(user_id)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_person().sql}, {permissions_column('p')} FROM {Person._meta.db_table} p WHERE p.id = %s",
                [user_id],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        person = build_with_permissions(_person(), row)
        return person if self.user_can_authenticate(person) else None

    def get_all_permissions(self, user_obj, obj=None):
        if (
            obj is not None
            or not user_obj.is_active
            or user_obj.is_anonymous
            or user_obj.is_superuser
        ):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            # One round trip: the generation and the stored set, which remembers the
            # generation it was computed under.
            key = f"perms:{user_obj.pk}"
            found = cache.get_many([GENERATION_KEY, key])
            current = found.get(GENERATION_KEY) or generation()
            stored = found.get(key)
            if stored is not None and stored[0] == current:
                perms = stored[1]
            else:
                perms = _permissions_of(user_obj.pk)
                cache.set(key, (current, perms), TTL)
            user_obj._perm_cache = perms
        return user_obj._perm_cache


def permissions_column(person: str) -> str:
    """A select-list item: the permissions of the person under the alias ``person``,
    direct and through their groups, as "app_label.codename" (see ``build_with_permissions``)."""
    return _permissions_column(connection.vendor).replace("{person}", person)


@functools.cache
def _permissions_column(vendor: str) -> str:
    name = "ct.app_label || '.' || pm.codename"
    rows = f"""
        FROM {Permission._meta.db_table} pm
        JOIN {ContentType._meta.db_table} ct ON ct.id = pm.content_type_id
        WHERE pm.id IN (
            SELECT permission_id FROM {Person.user_permissions.through._meta.db_table} WHERE person_id = {{person}}.id
            UNION
            SELECT gp.permission_id FROM {Group.permissions.through._meta.db_table} gp
            JOIN {Person.groups.through._meta.db_table} ug ON ug.group_id = gp.group_id
            WHERE ug.person_id = {{person}}.id
        )"""
    if vendor == "sqlite":
        return f"(SELECT json_group_array({name}) {rows})"
    return f"ARRAY(SELECT {name} {rows})"  # PostgreSQL, the other backend Frontline runs on


def build_with_permissions(columns, row):
    """The person from ``row`` (``columns``, then ``permissions_column``), holding the
    permissions read with them, as ``get_all_permissions`` keeps them."""
    person = columns.build(row)
    if person.is_active and not person.is_superuser:  # (as get_all_permissions reads them)
        person._perm_cache = _as_set(row[len(columns)])
    return person


@functools.cache
def _person():
    return Columns(Person, "p")


def _permissions_of(person_id: int) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {permissions_column('p')} FROM {Person._meta.db_table} p WHERE p.id = %s",
            [person_id],
        )
        row = cursor.fetchone()
    return _as_set(row[0]) if row else set()


def _as_set(found) -> set[str]:
    return set(json.loads(found) if isinstance(found, str) else found)
