"""Reads for reverse mentoring: who takes part in a cycle, and how its pairs are doing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from rotations.models import (
    CycleStatus,
    MentoringCycle,
    MentoringProfile,
    MentoringRole,
    MentoringSession,
    Pairing,
    PairingStatus,
    Person,
    SessionStatus,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _SessionCounts(TypedDict):
        sessions_total: int
        sessions_held: int
        sessions_missed: int
        sessions_due: int

    # A pairing as ``cycle_pairings`` reads it, with its sessions counted.
    CountedPairing = WithAnnotations[Pairing, _SessionCounts]


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    # The last valid day of that month: joining on 31 January is a month's tenure on 28 February.
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def eligible_mentees(cycle: MentoringCycle) -> QuerySet[Person]:
    """The executives this cycle pairs: every active person at a mentee level."""
    return Person.objects.filter(is_active=True, level__in=cycle.mentee_levels)


def eligible_mentors(cycle: MentoringCycle, *, today: date | None = None) -> QuerySet[Person]:
    """Who may mentor in this cycle (whether or not they have answered yet)."""
    people = Person.objects.filter(is_active=True, level__in=cycle.mentor_levels).exclude(
        level__in=cycle.mentee_levels
    )
    if cycle.mentor_min_tenure_months:
        today = today or timezone.localdate()
        people = people.filter(hired_on__lte=_months_before(today, cycle.mentor_min_tenure_months))
    if cycle.mentor_title_contains:
        people = people.filter(title__icontains=cycle.mentor_title_contains)
    return people


def role_in_cycle(cycle: MentoringCycle, person: Person) -> str | None:
    """ "mentee", "mentor" or None: which profile this person fills for this cycle."""
    return roles_in_cycles([cycle], person).get(cycle.pk)


def roles_in_cycles(cycles: list[MentoringCycle], person: Person) -> dict[int, str]:
    """``role_in_cycle`` for many cycles in one query: a yes/no column per cycle and role."""
    if not cycles:
        return {}
    checks = {}
    for cycle in cycles:
        checks[f"mentee_{cycle.pk}"] = Exists(eligible_mentees(cycle).filter(pk=OuterRef("pk")))
        checks[f"mentor_{cycle.pk}"] = Exists(eligible_mentors(cycle).filter(pk=OuterRef("pk")))
    flags = Person.objects.filter(pk=person.pk).annotate(**checks).values(*checks).first() or {}
    roles: dict[int, str] = {}
    for cycle in cycles:
        if flags.get(f"mentee_{cycle.pk}"):
            roles[cycle.pk] = MentoringRole.MENTEE
        elif flags.get(f"mentor_{cycle.pk}"):
            roles[cycle.pk] = MentoringRole.MENTOR
    return roles


@dataclass(frozen=True)
class Responses:
    opted_in: list[MentoringProfile]
    opted_out: list[MentoringProfile]
    not_answered: list[Person]
    mentees_with_profile: int
    mentees: int


def responses(cycle: MentoringCycle) -> Responses:
    """HR's view of the invitation: who said yes, who said no, who has not answered."""
    profiles = {
        (p.person_id, p.role): p
        for p in cycle.profiles.select_related("person").prefetch_related("topics")
    }
    mentors = list(eligible_mentors(cycle).only("pk", "full_name", "email", "title", "location"))
    opted_in, opted_out, silent = [], [], []
    for person in mentors:
        profile = profiles.get((person.pk, MentoringRole.MENTOR))
        if profile is None or profile.opted_in is None:
            silent.append(person)
        elif profile.opted_in:
            opted_in.append(profile)
        else:
            opted_out.append(profile)
    mentee_ids = set(eligible_mentees(cycle).values_list("pk", flat=True))
    answered = sum(
        1 for (pk, role) in profiles if role == MentoringRole.MENTEE and pk in mentee_ids
    )
    return Responses(opted_in, opted_out, silent, answered, len(mentee_ids))


def cycle_pairings(cycle: MentoringCycle) -> QuerySet[CountedPairing]:
    """Every pairing of the cycle with what its page shows: both people and session counts."""
    return (
        cycle.pairings.select_related("mentee__department", "mentor__department")
        .annotate(
            sessions_total=Count("sessions", filter=~Q(sessions__status=SessionStatus.CANCELLED)),
            sessions_held=Count("sessions", filter=Q(sessions__status=SessionStatus.HELD)),
            sessions_missed=Count("sessions", filter=Q(sessions__status=SessionStatus.MISSED)),
            sessions_due=Count(
                "sessions",
                filter=Q(
                    sessions__status=SessionStatus.SCHEDULED, sessions__ends_at__lte=timezone.now()
                ),
            ),
        )
        .order_by("status", "mentee__full_name")
    )


@dataclass(frozen=True)
class Health:
    pairs: int
    sessions_past: int
    held: int
    missed: int
    unmarked: int

    @property
    def held_share(self) -> float:
        return self.held / self.sessions_past if self.sessions_past else 0.0


def cycle_health(pairings: list[CountedPairing]) -> Health:
    """Sessions held per pair, from pairings read by ``cycle_pairings``."""
    live = [p for p in pairings if p.status != PairingStatus.PROPOSED]
    held = sum(p.sessions_held for p in live)
    missed = sum(p.sessions_missed for p in live)
    unmarked = sum(p.sessions_due for p in live)
    return Health(len(live), held + missed + unmarked, held, missed, unmarked)


def my_pairings(person: Person) -> QuerySet[Pairing]:
    """The person's published pairings, as mentee or mentor, with their sessions."""
    return (
        Pairing.objects.filter(Q(mentee=person) | Q(mentor=person))
        .exclude(status=PairingStatus.PROPOSED)
        .select_related("cycle", "mentee", "mentor")
        .prefetch_related(
            Prefetch("sessions", queryset=MentoringSession.objects.order_by("occurrence_at")),
        )
        .order_by("status", "-cycle__starts_on")
    )


def next_sessions(person: Person) -> QuerySet[MentoringSession]:
    """The person's mentoring sessions still to come, as mentee or mentor, soonest first."""
    return (
        MentoringSession.objects.filter(
            Q(pairing__mentee=person) | Q(pairing__mentor=person),
            pairing__status=PairingStatus.ACTIVE,
            status=SessionStatus.SCHEDULED,
            starts_at__gt=timezone.now(),
        )
        .select_related("pairing__mentee", "pairing__mentor")
        .order_by("starts_at")
    )


def cycles_asking(person: Person) -> list[tuple[MentoringCycle, str, MentoringProfile | None]]:
    """Cycles still running that this person is part of, with their answer (a mentor who
    answers late can still be paired with the people left over)."""
    open_cycles = list(
        MentoringCycle.objects.exclude(status=CycleStatus.CLOSED).filter(
            ends_on__gte=timezone.localdate()
        )
    )
    if not open_cycles:
        return []
    profiles = {
        (p.cycle_id, p.role): p
        for p in MentoringProfile.objects.filter(person=person, cycle__in=open_cycles)
    }
    roles = roles_in_cycles(open_cycles, person)
    result = []
    for cycle in open_cycles:
        role = roles.get(cycle.pk)
        if role:
            result.append((cycle, role, profiles.get((cycle.pk, role))))
    return result


def can_see_pairing(person: Person, pairing: Pairing) -> bool:
    return person.pk in (pairing.mentee_id, pairing.mentor_id) or person.has_perm(
        "rotations.manage_mentoring"
    )
