"""The four roles of Frontline, kept as auth groups with permissions.

Code checks permissions (``person.has_perm``), never group names, so that what a role may
do is decided here alone. One person may hold several roles.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission

from rotations.common.auth import permissions_changed
from rotations.directory.models import Person


class Role(enum.StrEnum):
    EXECUTIVE = "Executive"
    HR_ADMIN = "HR admin"
    SUPPORT_LEAD = "Support lead"
    FRONTLINE = "Front-line employee"

    @classmethod
    def parse(cls, text: str) -> Role:
        """A role from a human spelling ("hr admin", "front-line", "Support lead")."""
        wanted = _normalise(text)
        for role in cls:
            if wanted in {_normalise(role.value), _normalise(role.name), *ROLE_ALIASES[role]}:
                return role
        raise ValueError(f"unknown role “{text.strip()}”")


def _normalise(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


ROLE_ALIASES: dict[Role, set[str]] = {
    Role.EXECUTIVE: {"exec"},
    Role.HR_ADMIN: {"hr", "hradmin", "programadmin"},
    Role.SUPPORT_LEAD: {"lead", "supportlead"},
    Role.FRONTLINE: {"frontline", "frontlineemployee", "agent"},
}

# app_label.codename for every permission a role grants.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.EXECUTIVE: ("rotations.book_shift", "rotations.view_insight_dashboard"),
    Role.HR_ADMIN: (
        "rotations.view_directory",
        "rotations.import_directory",
        "rotations.view_queue",
        "rotations.book_for_others",
        "rotations.view_deliveries",
        "rotations.view_all_insights",
        "rotations.triage_insights",
        "rotations.view_insight_dashboard",
        "rotations.manage_mentoring",
        "rotations.manage_programs",
    ),
    Role.SUPPORT_LEAD: (
        "rotations.view_directory",
        "rotations.view_queue",
        # Leads book, move and cancel for others on the queues they lead: an object rule
        # (shifts/permissions.py), not HR's book_for_others, which holds on every queue.
        "rotations.manage_queues",
        "rotations.triage_insights",
        "rotations.view_insight_dashboard",
    ),
    # Buddies act on the shifts they are named on: an object rule (see permissions.py).
    Role.FRONTLINE: (),
}


def sync_role_groups() -> dict[Role, Group]:
    """Create the role groups and give each exactly the permissions listed above."""
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = _permissions(perms)
        group.permissions.set(wanted)
        groups[role] = group
    return groups


def sync_role_groups_after_migrate(sender, **kwargs) -> None:
    sync_role_groups()


def _permissions(names: Iterable[str]) -> list[Permission]:
    result = []
    for name in names:
        app_label, codename = name.split(".", 1)
        result.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return result


def roles_of(person) -> list[Role]:
    """The roles a person holds, in the order of ``Role``; uses prefetched groups."""
    names = {group.name for group in person.groups.all()}
    return [role for role in Role if role.value in names]


def role_groups() -> dict[Role, Group]:
    """The group of every role, created if missing (its permissions come at migrate)."""
    found = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    return {
        role: found.get(role.value) or Group.objects.get_or_create(name=role.value)[0]
        for role in Role
    }


def roles_set_many(assignments: list[tuple[Person, list[Role]]]) -> None:
    """``set_roles`` for many people at once (the import): their role groups replaced in
    a few statements whatever their number, other groups left alone. Bulk statements
    send no m2m_changed, so the cached permissions are forgotten here."""
    groups = role_groups()
    role_group_ids = [g.pk for g in groups.values()]
    through = Person.groups.through
    people = [person.pk for person, _ in assignments]
    for start in range(0, len(people), 5000):
        through.objects.filter(
            person_id__in=people[start : start + 5000], group_id__in=role_group_ids
        ).delete()
    through.objects.bulk_create(
        [
            through(person_id=person.pk, group_id=groups[role].pk)
            for person, roles in assignments
            for role in dict.fromkeys(roles)
        ],
        batch_size=1000,
    )
    permissions_changed()


def set_roles(person, roles: Iterable[Role], groups: dict[Role, Group] | None = None) -> None:
    """Give a person exactly these roles, leaving any other groups they are in alone."""
    groups = groups or role_groups()
    role_names = {role.value for role in Role}
    keep = [g for g in person.groups.all() if g.name not in role_names]
    person.groups.set(keep + [groups[role] for role in roles])
