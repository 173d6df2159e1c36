"""Reads of the directory that need care: reporting lines and lists."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q, QuerySet

from rotations.directory.roles import Role
from rotations.models import DirectoryImport, Person


def people_with_role(role: Role) -> QuerySet[Person]:
    """Who may be picked for a role's part: a queue's leads, a shift's buddy, a booker."""
    return Person.objects.filter(is_active=True, groups__name=role.value).order_by("full_name")


def holders_of(codename: str, *, superusers: bool = False) -> QuerySet[Person]:
    """Active people granted a Frontline permission, through a role or directly."""
    held = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label="rotations",
    ) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label="rotations"
    )
    if superusers:
        held |= Q(is_superuser=True)
    return Person.objects.filter(is_active=True, pk__in=Person.objects.filter(held).values("pk"))


def find_manager_cycles(manager_of: Mapping[str, str | None]) -> list[list[str]]:
    """Every loop in a person → manager mapping, each listed once from its first member.

    Iterative, so a chain thousands deep cannot hit the recursion limit.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []
    for start in manager_of:
        if start in state:
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = 1
            path.append(node)
            node = manager_of.get(node)
        if node is not None and state.get(node) == 1:
            cycles.append(path[path.index(node) :])
        for member in path:
            state[member] = 2
    return cycles


def management_chain(person: Person, *, limit: int = 50) -> list[Person]:
    """The person's managers, nearest first; stops at a loop instead of going round it."""
    chain: list[Person] = []
    seen = {person.pk}
    current = person
    while current.manager_id and current.manager_id not in seen and len(chain) < limit:
        current = Person.objects.select_related("department").get(pk=current.manager_id)
        seen.add(current.pk)
        chain.append(current)
    return chain


def directory_people(
    *, query: str = "", department_id: int | None = None, level: str = ""
) -> QuerySet[Person]:
    """The directory list: a fixed number of queries whatever its length."""
    people = Person.objects.filter(is_active=True).select_related("department", "manager")
    if query:
        people = people.filter(
            Q(full_name__icontains=query) | Q(email__icontains=query) | Q(title__icontains=query)
        )
    if department_id:
        people = people.filter(department_id=department_id)
    if level:
        people = people.filter(level=level)
    return people.prefetch_related("groups").order_by("full_name", "email")


def recent_imports(limit: int = 5) -> QuerySet[DirectoryImport]:
    """The latest directory imports, newest first, for the import page."""
    return DirectoryImport.objects.select_related("requested_by").defer("data")[:limit]
