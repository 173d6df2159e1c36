"""Reverse mentoring: profiles, matching, publishing series, and the life of a pairing.

Matching is the optimiser in ``solvers.mentor_matching``; this module turns the directory
and the cycle's profiles into its inputs and its result into proposed pairings. Every
change a calendar must hear of bumps the pairing's ``sequence`` and writes the invites
to the outbox in the same transaction (``mentoring_invites``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, cast
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from rotations.common.errors import Refused
from rotations.common.jobs import enqueue
from rotations.mentoring import invites as mentoring_invites
from rotations.mentoring import matching as solver
from rotations.mentoring.selectors import eligible_mentees, eligible_mentors
from rotations.models import (
    CycleStatus,
    Level,
    MatchRun,
    MatchRunStatus,
    MentoringCycle,
    MentoringProfile,
    MentoringRole,
    MentoringSession,
    MentoringTopic,
    Pairing,
    PairingStatus,
    Person,
    SessionStatus,
)

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How long the matcher may spend proving a cross-location target optimal.
MATCH_SECONDS = 60


class MentoringRefused(Refused):
    """A request the rules stop, with the message the person sees."""


# --- cycles and profiles ----------------------------------------------------------------


def _check_running(cycle: MentoringCycle) -> None:
    if cycle.status == CycleStatus.CLOSED:
        raise MentoringRefused("closed", "This cycle is closed.")
    if cycle.ends_on < timezone.localdate():
        raise MentoringRefused("ended", "This cycle has ended.")


# Everything HR sets on a cycle.
CYCLE_FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "cadence_weeks",
    "session_minutes",
    "session_weekday",
    "session_time",
    "mentee_levels",
    "mentor_levels",
    "mentor_min_tenure_months",
    "mentor_title_contains",
    "mentor_capacity",
    "max_tz_difference_hours",
    "forbid_same_department",
    "weight_topic_overlap",
    "weight_language",
    "weight_different_department",
    "weight_different_location",
    "min_cross_location_percent",
)
WEIGHTS = (
    "weight_topic_overlap",
    "weight_language",
    "weight_different_department",
    "weight_different_location",
)


def check_cycle_settings(settings: Mapping[str, Any]) -> None:
    """A cycle's rules across its settings, each said of the setting it is about. A page
    asks before every setting is right (a rule about one not given yet waits)."""
    errors: dict[str, list[str]] = {}
    starts, ends = settings.get("starts_on"), settings.get("ends_on")
    if starts and ends and ends <= starts:
        errors["ends_on"] = ["The cycle must end after it starts."]
    mentees = set(settings.get("mentee_levels") or ())
    mentors = set(settings.get("mentor_levels") or ())
    if mentees & mentors:
        errors["mentor_levels"] = ["A level cannot be both mentees and mentors."]
    unknown = (mentees | mentors) - set(Level.values)
    if unknown:
        errors.setdefault("mentee_levels", []).append(f"Not a level: {', '.join(sorted(unknown))}.")
    if all(name in settings for name in WEIGHTS) and not any(settings[n] for n in WEIGHTS):
        errors[NON_FIELD_ERRORS] = ["Give at least one soft criterion a weight above zero."]
    if errors:
        raise ValidationError(errors)


def cycle_create(*, by: Person, **settings: Any) -> MentoringCycle:
    """A new mentoring cycle, open for profiles, held to every rule of its settings."""
    _check_names(settings)
    cycle = MentoringCycle(created_by=by)
    _store(cycle, settings)
    return cycle


def _check_names(settings: Mapping[str, Any]) -> None:
    unknown = set(settings) - set(CYCLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown cycle settings: {sorted(unknown)}")


def _store(cycle: MentoringCycle, settings: Mapping[str, Any]) -> None:
    for name, value in settings.items():
        setattr(cycle, name, value)
    check_cycle_settings({name: getattr(cycle, name) for name in CYCLE_FIELDS})
    # Each setting's own bounds (the model's validators and choices), said of it.
    cycle.full_clean(exclude=["created_by", "status"], validate_constraints=False)
    cycle.save()


# What published series were built from: changing them would leave calendars wrong.
SCHEDULE_FIELDS = (
    "starts_on",
    "ends_on",
    "cadence_weeks",
    "session_minutes",
    "session_weekday",
    "session_time",
)


def has_published(cycle: MentoringCycle) -> bool:
    return cycle.pairings.exclude(status=PairingStatus.PROPOSED).exists()


def cycle_update(*, cycle: MentoringCycle, **data: Any) -> MentoringCycle:
    """New settings for a cycle; once pairs are published its schedule stays as it is."""
    _check_names(data)
    if cycle.status == CycleStatus.CLOSED:
        raise MentoringRefused("closed", "This cycle is closed.")
    if has_published(cycle):
        changed = [
            name for name in SCHEDULE_FIELDS if name in data and data[name] != getattr(cycle, name)
        ]
        if changed:
            raise MentoringRefused(
                "published",
                "Pairs are published: the dates, cadence and session times can no longer change.",
            )
    _store(cycle, data)
    return cycle


def profile_save(
    *,
    cycle: MentoringCycle,
    person: Person,
    role: str,
    topics: list[MentoringTopic],
    languages: str,
    about: str,
    opted_in: bool,
) -> MentoringProfile:
    """A mentee's or mentor's answer. A mentor who opts out leaves their live pairings."""
    _check_running(cycle)
    if role == MentoringRole.MENTEE:
        opted_in = (
            True  # executives take part by the cycle's rule; they only tell us what they want
        )
    with transaction.atomic():
        profile, _ = MentoringProfile.objects.select_for_update().get_or_create(
            cycle=cycle, person=person, role=role
        )
        profile.languages = ", ".join(
            sorted({part.strip() for part in languages.split(",") if part.strip()})
        )
        profile.about = about
        profile.opted_in = opted_in
        profile.answered_at = timezone.now()
        profile.save()
        profile.topics.set(topics)
        if role == MentoringRole.MENTOR and not opted_in:
            for pairing in Pairing.objects.filter(cycle=cycle, mentor=person).exclude(
                status=PairingStatus.ENDED
            ):
                if pairing.status == PairingStatus.PROPOSED:
                    pairing.delete()
                else:
                    pairing_end(
                        pairing=pairing, by=person, reason="The mentor opted out of the cycle."
                    )
    return profile


# --- matching -----------------------------------------------------------------------------


def _offset_minutes(person: Person, on: date) -> int:
    noon = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    offset = noon.astimezone(person.zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _rules(cycle: MentoringCycle, previous: frozenset) -> solver.Rules:
    share = cycle.min_cross_location_percent
    return solver.Rules(
        max_tz_difference_minutes=cycle.max_tz_difference_hours * 60,
        forbid_same_department=cycle.forbid_same_department,
        previous_pairs=previous,
        weights=solver.Weights(
            topic_overlap=cycle.weight_topic_overlap,
            language=cycle.weight_language,
            different_department=cycle.weight_different_department,
            different_location=cycle.weight_different_location,
        ),
        min_cross_location_share=None if share is None else share / 100,
    )


def _as_solver_person(cls, person: Person, profile: MentoringProfile | None, on: date, **extra):
    return cls(
        id=person.pk,
        department=person.department.name if person.department else "",
        location=person.location,
        utc_offset_minutes=_offset_minutes(person, on),
        topics=frozenset(t.name for t in profile.topics.all()) if profile else frozenset(),
        languages=profile.language_set if profile else frozenset(),
        **extra,
    )


def _previous_pairs(cycle: MentoringCycle) -> frozenset[tuple[int, int]]:
    """Pairs never to repeat: every published pair of earlier cycles, and of this one
    those that have ended (an executive whose mentor left gets someone new)."""
    return frozenset(
        Pairing.objects.exclude(status=PairingStatus.PROPOSED)
        .exclude(cycle=cycle, status=PairingStatus.ACTIVE)
        .values_list("mentee_id", "mentor_id")
    )


@dataclass(frozen=True)
class Inputs:
    mentees: list[solver.Mentee]
    mentors: list[solver.Mentor]
    manager_of: Mapping[Any, int | None]  # the solver takes any hashable id
    rules: solver.Rules
    fixed: list[tuple[int, int]]
    people: Mapping[Any, Person]

    @cached_property
    def mentee_by_id(self) -> dict[solver.PersonId, solver.Mentee]:
        return {m.id: m for m in self.mentees}

    @cached_property
    def mentor_by_id(self) -> dict[solver.PersonId, solver.Mentor]:
        return {m.id: m for m in self.mentors}


def matching_inputs(cycle: MentoringCycle) -> Inputs:
    """The solver's view of the cycle: mentees, mentors who opted in, the org chart, and
    the published pairs to keep as they are."""
    on = max(cycle.starts_on, timezone.localdate())
    profiles = {(p.person_id, p.role): p for p in cycle.profiles.prefetch_related("topics")}
    live = list(
        cycle.pairings.filter(status=PairingStatus.ACTIVE).values_list("mentee_id", "mentor_id")
    )
    mentee_people = list(eligible_mentees(cycle).select_related("department"))
    mentor_people = [
        person
        for person in eligible_mentors(cycle).select_related("department")
        if (profile := profiles.get((person.pk, MentoringRole.MENTOR))) is not None
        and profile.opted_in
    ]
    # A kept pair whose mentor no longer qualifies stays, with no room for anyone else.
    known = {p.pk for p in mentor_people}
    kept_only = {mentor_id for _, mentor_id in live if mentor_id not in known}
    mentor_people += list(Person.objects.filter(pk__in=kept_only).select_related("department"))
    mentee_ids = {p.pk for p in mentee_people}
    kept_mentees = {mentee_id for mentee_id, _ in live if mentee_id not in mentee_ids}
    mentee_people += list(Person.objects.filter(pk__in=kept_mentees).select_related("department"))
    load: dict[int, int] = {}
    for _, mentor_id in live:
        load[mentor_id] = load.get(mentor_id, 0) + 1
    mentees = [
        _as_solver_person(solver.Mentee, p, profiles.get((p.pk, MentoringRole.MENTEE)), on)
        for p in mentee_people
    ]
    mentors = [
        _as_solver_person(
            solver.Mentor,
            p,
            profiles.get((p.pk, MentoringRole.MENTOR)),
            on,
            capacity=load.get(p.pk, 0)
            if p.pk in kept_only
            else max(cycle.mentor_capacity, load.get(p.pk, 0)),
        )
        for p in mentor_people
    ]
    manager_of = dict(Person.objects.values_list("pk", "manager_id"))
    people = {p.pk: p for p in [*mentee_people, *mentor_people]}
    return Inputs(mentees, mentors, manager_of, _rules(cycle, _previous_pairs(cycle)), live, people)


def _reasons_json(reasons) -> list[dict]:
    return [
        {
            "criterion": r.criterion,
            "value": r.value,
            "weight": r.weight,
            "contribution": r.contribution,
            "detail": r.detail,
        }
        for r in reasons
    ]


# A run a worker has held this long without an answer is taken as lost.
STALE_RUN = timedelta(minutes=10)


def match_request(*, cycle: MentoringCycle, by: Person) -> MatchRun:
    """Ask a worker to run the matcher (it may think for a while); one run at a time."""
    _check_running(cycle)
    MatchRun.objects.filter(
        cycle=cycle, status=MatchRunStatus.RUNNING, created_at__lt=timezone.now() - STALE_RUN
    ).update(status=MatchRunStatus.FAILED, error="No answer from the worker.")
    try:
        with transaction.atomic():
            run = MatchRun.objects.create(cycle=cycle, run_by=by)
    except IntegrityError:
        raise MentoringRefused("running", "The matcher is already working on this cycle.") from None
    enqueue("run_cycle_matching", run.pk)
    return run


def run_matching(
    *, cycle: MentoringCycle, by: Person | None, run: MatchRun | None = None
) -> MatchRun:
    """Propose the best pairing under the cycle's rules, replacing earlier proposals.

    Published pairs are kept exactly as they are: re-running after a mentor leaves pairs
    only the people left over. The solver runs outside any transaction (no lock held
    while it thinks); its answer is written only if the published pairs it kept are
    still the published pairs. ``run`` is the row a worker fills in (``match_request``).
    """
    _check_running(cycle)
    inputs = matching_inputs(cycle)
    if not inputs.mentees:
        raise MentoringRefused(
            "no_mentees", "No one in the directory is at a mentee level of this cycle."
        )
    result = solver.match(
        inputs.mentees,
        inputs.mentors,
        inputs.manager_of,
        inputs.rules,
        fixed_pairs=inputs.fixed,
        time_limit_seconds=MATCH_SECONDS,
    )
    with transaction.atomic():
        cycle = MentoringCycle.objects.select_for_update().get(pk=cycle.pk)
        if run is not None:
            run = MatchRun.objects.select_for_update().get(pk=run.pk)
            if not run.is_running:
                return run  # answered already (a redelivered task), given up on, or closed
        _check_running(cycle)  # closed while the solver thought
        live = sorted(
            cycle.pairings.filter(status=PairingStatus.ACTIVE).values_list("mentee_id", "mentor_id")
        )
        if live != sorted(inputs.fixed):
            raise MentoringRefused("changed", "Pairs changed while the matcher ran: run it again.")
        cycle.pairings.filter(status=PairingStatus.PROPOSED).delete()
        new = [
            Pairing(
                cycle=cycle,
                # The service hands the solver person ids, and gets them back.
                mentee_id=cast(int, pair.mentee_id),
                mentor_id=cast(int, pair.mentor_id),
                score=pair.score,
                reasons=_reasons_json(pair.reasons),
            )
            for pair in result.pairs
            if not pair.fixed
        ]
        Pairing.objects.bulk_create(new)
        run = run or MatchRun(cycle=cycle, run_by=by)
        run.status, run.total_score, run.seconds = (
            MatchRunStatus(result.status),
            result.total_score,
            round(result.seconds, 3),
        )
        run.proposed, run.kept = len(new), len(inputs.fixed)
        run.unmatched = [
            {
                "person_id": u.mentee_id,
                "name": str(inputs.people[u.mentee_id]),
                "reasons": list(u.reasons),
            }
            for u in result.unmatched
        ]
        run.save()
        if new:
            cycle.status = CycleStatus.PROPOSED
        cycle.save(update_fields=["status"])
    return run


def match_failed(run_id: int, error: str) -> None:
    MatchRun.objects.filter(pk=run_id, status=MatchRunStatus.RUNNING).update(
        status=MatchRunStatus.FAILED, error=error[:500]
    )


def _check_pair(mentee: Person, mentor: Person, inputs: Inputs) -> solver.Pair:
    by_id, mentors = inputs.mentee_by_id, inputs.mentor_by_id
    if mentee.pk not in by_id:
        raise MentoringRefused("not_mentee", f"{mentee} is not a mentee of this cycle.")
    if mentor.pk not in mentors:
        raise MentoringRefused(
            "not_mentor", f"{mentor} has not opted in as a mentor of this cycle."
        )
    broken = solver.hard_rule_violations(
        by_id[mentee.pk], mentors[mentor.pk], inputs.rules, inputs.manager_of
    )
    if broken:
        raise MentoringRefused(
            "hard_rule", f"{mentor} cannot mentor {mentee}: {'; '.join(broken)}."
        )
    weights = inputs.rules.weights
    ee, er = by_id[mentee.pk], mentors[mentor.pk]
    return solver.Pair(
        ee.id,
        er.id,
        solver.pair_score(ee, er, weights),
        solver.score_breakdown(ee, er, weights),
        ee.topics & er.topics,
        ee.languages & er.languages,
        ee.location != er.location,
    )


def pairing_swap(*, first: Pairing, second: Pairing) -> tuple[Pairing, Pairing]:
    """HR exchanges the mentors of two proposed pairs, if both new pairs keep the hard rules."""
    if first.pk == second.pk or first.cycle_id != second.cycle_id:
        raise MentoringRefused("bad_swap", "Choose two different proposed pairs of this cycle.")
    with transaction.atomic():
        # The cycle first, as publishing does: a swap never interleaves with a publish.
        MentoringCycle.objects.select_for_update().filter(pk=first.cycle_id).values_list(
            "pk", flat=True
        ).get()
        locked = {
            p.pk: p
            for p in Pairing.objects.select_for_update(of=("self",))
            .select_related("mentee", "mentor", "cycle")
            .filter(pk__in=[first.pk, second.pk])
        }
        a, b = locked.get(first.pk), locked.get(second.pk)
        if (
            a is None
            or b is None
            or a.status != PairingStatus.PROPOSED
            or b.status != PairingStatus.PROPOSED
        ):
            raise MentoringRefused(
                "not_proposed", "Only proposed pairs can be swapped; these have changed."
            )
        inputs = matching_inputs(a.cycle)
        new_a = _check_pair(a.mentee, b.mentor, inputs)
        new_b = _check_pair(b.mentee, a.mentor, inputs)
        a.mentor, b.mentor = b.mentor, a.mentor
        for pairing, pair in ((a, new_a), (b, new_b)):
            pairing.score = pair.score
            pairing.reasons = _reasons_json(pair.reasons)
            pairing.save(update_fields=["mentor", "score", "reasons"])
    return a, b


def pairing_remove(*, pairing: Pairing) -> None:
    """HR drops a proposed pair; the executive is left unmatched until the next run."""
    with transaction.atomic():
        MentoringCycle.objects.select_for_update().filter(pk=pairing.cycle_id).values_list(
            "pk", flat=True
        ).get()
        deleted, _ = Pairing.objects.filter(pk=pairing.pk, status=PairingStatus.PROPOSED).delete()
    if not deleted:
        raise MentoringRefused(
            "not_proposed", "Only proposed pairs can be removed; end a published one instead."
        )


# --- publishing: the series ----------------------------------------------------------------


def series_for(
    cycle: MentoringCycle, zone_name: str, *, not_before: datetime
) -> tuple[datetime, str, list[datetime]]:
    """First session (UTC), RRULE and every occurrence (UTC) of a pair's series.

    Expanded in the executive's zone, so 10:00 stays 10:00 across a daylight-saving change.
    """
    zone = ZoneInfo(zone_name)
    first_day = max(
        cycle.starts_on, timezone.localtime(not_before, zone).date() + timedelta(days=1)
    )
    first_day += timedelta(days=(cycle.session_weekday - first_day.weekday()) % 7)
    local_start = datetime.combine(first_day, cycle.session_time)
    last_local = datetime.combine(cycle.ends_on, datetime.max.time().replace(microsecond=0))
    local = list(rrule(WEEKLY, interval=cycle.cadence_weeks, dtstart=local_start, until=last_local))
    if not local:
        raise MentoringRefused(
            "no_sessions", "No session date falls between now and the cycle's end."
        )
    until = last_local.replace(tzinfo=zone).astimezone(UTC)
    rule = (
        f"FREQ=WEEKLY;INTERVAL={cycle.cadence_weeks};BYDAY={RRULE_DAYS[cycle.session_weekday]};"
        f"UNTIL={until:%Y%m%dT%H%M%SZ}"
    )
    occurrences = [moment.replace(tzinfo=zone).astimezone(UTC) for moment in local]
    return occurrences[0], rule, occurrences


def _still_allowed(pairing: Pairing, inputs: Inputs) -> bool:
    try:
        _check_pair(pairing.mentee, pairing.mentor, inputs)
    except MentoringRefused:
        return False
    return True


def cycle_publish(*, cycle: MentoringCycle, by: Person, now: datetime | None = None) -> int:
    """Publish every proposed pair: its sessions, and an email with a series invite to both.

    ``now`` is when it counts as published (the demo loads a cycle published weeks ago):
    the first session falls after it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        cycle = MentoringCycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.status == CycleStatus.CLOSED:
            raise MentoringRefused("closed", "This cycle is closed.")
        pairings = list(
            cycle.pairings.select_for_update(of=("self",))
            .filter(status=PairingStatus.PROPOSED)
            .select_related("mentee", "mentor")
        )
        if not pairings:
            raise MentoringRefused(
                "nothing_proposed", "There are no proposed pairs to publish: run the matcher first."
            )
        # Proposals made before a rule or the directory changed are checked again.
        inputs = matching_inputs(cycle)
        stale = [p for p in pairings if not _still_allowed(p, inputs)]
        if stale:
            Pairing.objects.filter(pk__in=[p.pk for p in stale]).delete()
            pairings = [p for p in pairings if p not in stale]
            if not pairings:
                raise MentoringRefused(
                    "stale",
                    "The proposals no longer keep the cycle's rules and were dropped: run the matcher again.",
                )
        length = timedelta(minutes=cycle.session_minutes)
        sessions = []
        for pairing in pairings:
            first, rule, occurrences = series_for(cycle, pairing.mentee.time_zone, not_before=now)
            pairing.status = PairingStatus.ACTIVE
            pairing.first_session_at, pairing.rrule, pairing.time_zone = (
                first,
                rule,
                pairing.mentee.time_zone,
            )
            pairing.published_at = now
            sessions += [
                MentoringSession(pairing=pairing, occurrence_at=o, starts_at=o, ends_at=o + length)
                for o in occurrences
            ]
        Pairing.objects.bulk_update(
            pairings, ["status", "first_session_at", "rrule", "time_zone", "published_at"]
        )
        MentoringSession.objects.bulk_create(sessions)
        cycle.status = CycleStatus.PUBLISHED
        cycle.save(update_fields=["status"])
        for pairing in pairings:
            mentoring_invites.record(pairing, method="REQUEST")
    return len(pairings)


# --- a pairing's life -------------------------------------------------------------------------


def _is_party(pairing: Pairing, person: Person) -> bool:
    return person.pk in (pairing.mentee_id, pairing.mentor_id) or person.has_perm(
        "rotations.manage_mentoring"
    )


def _bump(pairing: Pairing) -> Pairing:
    Pairing.objects.filter(pk=pairing.pk).update(sequence=F("sequence") + 1)
    pairing.refresh_from_db(fields=["sequence"])
    return pairing


def session_reschedule(
    *, session: MentoringSession, starts_at: datetime, by: Person
) -> MentoringSession:
    """Move one session; both calendars get the series with that occurrence updated."""
    now = timezone.now()
    with transaction.atomic():
        # The pairing first, then the session: the order ending a pairing takes them in.
        pairing = (
            Pairing.objects.select_for_update(of=("self",))
            .select_related("mentee", "mentor", "cycle")
            .get(pk=session.pairing_id)
        )
        session = MentoringSession.objects.select_for_update().get(pk=session.pk)
        if not _is_party(pairing, by):
            raise MentoringRefused(
                "not_yours", "Only the two people of a pairing (or HR) can move its sessions."
            )
        if pairing.status != PairingStatus.ACTIVE:
            raise MentoringRefused("ended", "This pairing has ended.")
        if session.status != SessionStatus.SCHEDULED:
            raise MentoringRefused("not_scheduled", "Only a session still to come can be moved.")
        if starts_at <= now:
            raise MentoringRefused("in_past", "Choose a time in the future.")
        if session.starts_at <= now:
            raise MentoringRefused(
                "started", "This session has already started; mark it held or missed instead."
            )
        last = datetime.combine(pairing.cycle.ends_on, datetime.max.time(), tzinfo=pairing.zone)
        if starts_at > last:
            raise MentoringRefused("after_cycle", "Choose a time before the cycle ends.")
        length = session.ends_at - session.starts_at
        clash = (
            pairing.sessions.exclude(pk=session.pk)
            .exclude(status=SessionStatus.CANCELLED)
            .filter(starts_at__lt=starts_at + length, ends_at__gt=starts_at)
            .exists()
        )
        if clash:
            raise MentoringRefused("clash", "Another session of this pairing is at that time.")
        if starts_at == session.starts_at:
            return session
        session.starts_at, session.ends_at = starts_at, starts_at + length
        session.save(update_fields=["starts_at", "ends_at", "updated_at"])
        _bump(pairing)
        mentoring_invites.record(pairing, method="REQUEST")
    return session


def session_mark(*, session: MentoringSession, status: str, by: Person) -> MentoringSession:
    """Either side marks a session held or missed, once it has started."""
    if status not in (SessionStatus.HELD, SessionStatus.MISSED):
        raise MentoringRefused("bad_status", "Mark a session as held or missed.")
    with transaction.atomic():
        session = (
            MentoringSession.objects.select_for_update(of=("self",))
            .select_related("pairing")
            .get(pk=session.pk)
        )
        if not _is_party(session.pairing, by):
            raise MentoringRefused(
                "not_yours", "Only the two people of a pairing (or HR) can mark its sessions."
            )
        if session.status == SessionStatus.CANCELLED:
            raise MentoringRefused("cancelled", "This session was cancelled.")
        if session.starts_at > timezone.now():
            raise MentoringRefused("not_started", "A session can be marked once it has started.")
        session.status, session.marked_by = status, by
        session.save(update_fields=["status", "marked_by", "updated_at"])
    return session


def pairing_end(*, pairing: Pairing, by: Person, reason: str) -> Pairing:
    """Either side (or HR) ends a pairing: its remaining sessions leave both calendars and
    HR is told. Sessions already held stay where they were: the series is sent again
    ending now (RRULE UNTIL); a series none of whose sessions has started is cancelled."""
    reason = reason.strip()
    if not reason:
        raise MentoringRefused("no_reason", "Say why the pairing ends; HR reads it.")
    with transaction.atomic():
        pairing = (
            Pairing.objects.select_for_update(of=("self",))
            .select_related("mentee", "mentor", "cycle")
            .get(pk=pairing.pk)
        )
        if not _is_party(pairing, by):
            raise MentoringRefused(
                "not_yours", "Only the two people of a pairing (or HR) can end it."
            )
        if pairing.status != PairingStatus.ACTIVE:
            raise MentoringRefused("not_active", "This pairing is not running.")
        _end(pairing, by=by, reason=reason)
        mentoring_invites.tell_hr_ended(pairing)
    return pairing


def _end(pairing: Pairing, *, by: Person, reason: str) -> None:
    """End a locked, active pairing and send both sides its series as it now stands."""
    now = timezone.now()
    pairing.status, pairing.ended_at, pairing.ended_by, pairing.end_reason = (
        PairingStatus.ENDED,
        now,
        by,
        reason[:500],
    )
    pairing.sessions.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now).update(
        status=SessionStatus.CANCELLED
    )
    started = (
        pairing.sessions.exclude(status=SessionStatus.CANCELLED).filter(starts_at__lte=now).exists()
    )
    if started and now < _series_until(pairing):
        # Only ever shortened: a series that ended already must not grow sessions.
        pairing.rrule = re.sub(
            r"UNTIL=[0-9TZ]+", f"UNTIL={now.astimezone(UTC):%Y%m%dT%H%M%SZ}", pairing.rrule
        )
    pairing.save(update_fields=["status", "ended_at", "ended_by", "end_reason", "rrule"])
    _bump(pairing)
    mentoring_invites.record(pairing, method="REQUEST" if started else "CANCEL")


def _series_until(pairing: Pairing) -> datetime:
    found = re.search(r"UNTIL=([0-9]{8}T[0-9]{6})Z", pairing.rrule)
    if not found:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def cycle_close(*, cycle: MentoringCycle, by: Person, reason: str) -> int:
    """HR closes a cycle before its end: every running pairing ends as if either side had
    ended it (both calendars hear of it), proposals are dropped, and the cycle stops asking
    for answers and matching. Returns how many running pairings ended.

    HR closes it, so HR gets no "pairing ended" email per pair."""
    reason = reason.strip()
    if not reason:
        raise MentoringRefused(
            "no_reason", "Say why the cycle closes; both sides of every pair read it."
        )
    with transaction.atomic():
        cycle = MentoringCycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.status == CycleStatus.CLOSED:
            raise MentoringRefused("closed", "This cycle is closed already.")
        if cycle.ends_on < timezone.localdate():
            raise MentoringRefused(
                "ended", "This cycle has ended already: there is nothing left to close."
            )
        # Cycle first, then its pairings (their rows only: not the people or the cycle
        # again), the order every other change locks in.
        running = list(
            Pairing.objects.select_for_update(of=("self",))
            .select_related("mentee", "mentor", "cycle")
            .filter(cycle=cycle, status=PairingStatus.ACTIVE)
            .order_by("pk")
        )
        for pairing in running:
            _end(pairing, by=by, reason=f"The cycle was closed: {reason}")
        cycle.pairings.filter(status=PairingStatus.PROPOSED).delete()
        MatchRun.objects.filter(cycle=cycle, status=MatchRunStatus.RUNNING).update(
            status=MatchRunStatus.FAILED, error="The cycle was closed."
        )
        cycle.status = CycleStatus.CLOSED
        cycle.save(update_fields=["status"])
    return len(running)
