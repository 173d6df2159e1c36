"""Permissions read from the cache: every page asks "may this person …?" several times,
and the answer changes only when roles or permissions do. And the signed-in person read
with one written-out statement, as every page does first."""

from __future__ import annotations

import functools

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import connection

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
    """ModelBackend's answers, from the cache or from one query instead of two."""

    def get_user(self, user_id):
        """ModelBackend's, as one written-out statement (see ``rows``): every signed-in
        page reads its person, and the ORM's compiling cost three times the reading."""
        from .models import Person
        from .rows import storable_id

        if not storable_id(Person, user_id):
            return super().get_user(user_id)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_person().sql} FROM {Person._meta.db_table} p WHERE p.id = %s", [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        person = _person().build(row)
        return person if self.user_can_authenticate(person) else None

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous or user_obj.is_superuser:
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


@functools.cache
def _person():
    from .models import Person
    from .rows import Columns

    return Columns(Person, "p")


def _permissions_of(person_id: int) -> set[str]:
    """Direct and group permissions together, as "app_label.codename"."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from .models import Person

    user_perms = Person.user_permissions.through._meta.db_table
    user_groups = Person.groups.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    sql = f"""
        SELECT ct.app_label, p.codename
        FROM {Permission._meta.db_table} p
        JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id
        WHERE p.id IN (
            SELECT permission_id FROM {user_perms} WHERE person_id = %s
            UNION
            SELECT gp.permission_id FROM {group_perms} gp
            JOIN {user_groups} ug ON ug.group_id = gp.group_id
            WHERE ug.person_id = %s
        )
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id, person_id])
        return {f"{app}.{codename}" for app, codename in cursor.fetchall()}
