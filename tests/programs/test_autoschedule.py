"""The deadline auto-scheduler against brute force and its own hard-rule checker.

Pure optimisation (rotations.programs.autoschedule): no database. The brute force here has
its own eligibility test (zoneinfo, one placement at a time) and enumerates every
feasible assignment; it scores them with the module's documented ``objective_of``.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rotations.programs import autoschedule
from rotations.programs.autoschedule import (
    Person,
    Placement,
    Rules,
    Shift,
    objective_of,
    objective_parts,
    plan,
    violations,
    weights,
)

FAST = dict(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
MONDAY = datetime(2027, 3, 8, tzinfo=UTC)  # the week before US daylight saving starts
ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Tokyo", "America/Los_Angeles"]
CHANNELS = ["phone", "chat", "email", "social"]


def at(day: int, hour: float) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour)


# --- independent reference ---------------------------------------------------------------


def local_days(a: datetime, b: datetime, tz: ZoneInfo) -> set[date]:
    out, d = set(), a.astimezone(tz).date()
    last = (b - timedelta(microseconds=1)).astimezone(tz).date()
    while d <= last:
        out.add(d)
        d += timedelta(days=1)
    return out


def allowed(p: Person, s: Shift, rules: Rules) -> bool:
    tz = ZoneInfo(p.time_zone)
    a, b = s.start.astimezone(tz), s.end.astimezone(tz)
    if s.seats <= 0 or a.date() != b.date() or a.weekday() >= 5:
        return False
    if not (p.work_start <= a.time() and b.time() <= p.work_end):
        return False
    if a.date() in rules.blackout_dates:
        return False
    if (
        rules.first_day
        and a.date() < rules.first_day
        or rules.last_day
        and a.date() > rules.last_day
    ):
        return False
    if rules.earliest and s.start < rules.earliest or rules.latest and s.end > rules.latest:
        return False
    for b0, b1 in p.busy:
        if s.start < b1 and b0 < s.end or a.date() in local_days(b0, b1, tz):
            return False
    return True


def brute_force(people, shifts, rules) -> int:
    """The best objective over every feasible assignment."""
    options = []
    for p in people:
        tz = ZoneInfo(p.time_zone)
        ok = [s for s in shifts if allowed(p, s, rules)]
        subsets = []
        for k in range(0, min(p.need, len(ok)) + 1):
            for combo in itertools.combinations(ok, k):
                days = [s.start.astimezone(tz).date() for s in combo]
                if len(set(days)) == len(days):
                    subsets.append(combo)
        options.append(subsets)
    size = 1
    for o in options:
        size *= len(o)
    assume(size <= 60_000)
    best = None
    for choice in itertools.product(*options):
        fill = {}
        for combo in choice:
            for s in combo:
                fill[s.id] = fill.get(s.id, 0) + 1
        if any(fill[s.id] > s.seats for s in shifts if s.id in fill):
            continue
        placements = [
            Placement(p.id, s.id) for p, combo in zip(people, choice, strict=True) for s in combo
        ]
        v = objective_of(placements, people, shifts, rules)
        best = v if best is None or v > best else best
    return best


# --- strategies --------------------------------------------------------------------------


@st.composite
def small_instances(draw):
    queues = draw(st.integers(2, 3))
    n_shifts = draw(st.integers(1, 6))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))
    shifts = []
    for i in range(n_shifts):
        # local office hours somewhere, so that shifts often fit someone's working hours
        zone = ZoneInfo(draw(st.sampled_from(zones)))
        day, hour = draw(st.integers(0, 2)), draw(st.integers(6, 16))
        start = datetime(2027, 3, 8 + day, hour, tzinfo=zone).astimezone(UTC)
        length = draw(st.sampled_from([2, 3, 4]))
        q = draw(st.integers(0, queues - 1))
        seats = draw(st.sampled_from([0, 1, 1, 2, 2]))
        shifts.append(
            Shift(
                f"s{i}",
                f"q{q}",
                CHANNELS[draw(st.integers(0, 1))],
                start,
                start + timedelta(hours=length),
                seats,
            )
        )
    people = []
    for i in range(draw(st.integers(1, 4))):
        start = draw(st.sampled_from([0, 6, 8, 9, 10]))
        end = min(23, start + draw(st.sampled_from([8, 9, 10, 23])))
        busy = ()
        if draw(st.booleans()):
            d, h = draw(st.integers(0, 2)), draw(st.integers(0, 22))
            busy = ((at(d, h), at(d, h + 1)),)
        done = st.sampled_from(["q0", "q1", "q2", "phone", "chat"])
        used = frozenset(draw(st.sets(done, max_size=2)))
        people.append(
            Person(
                f"p{i}",
                draw(st.sampled_from(zones)),
                time(start),
                time(end, 0),
                draw(st.sampled_from([0, 1, 2, 2, 3])),
                draw(st.integers(0, 2)),
                used,
                busy,
            )
        )
    blackout = frozenset(
        draw(st.sets(st.sampled_from([date(2027, 3, 8 + d) for d in range(5)]), max_size=1))
    )
    earliest = at(0, draw(st.integers(0, 12))) if draw(st.booleans()) else None
    latest = at(2, draw(st.integers(12, 36))) if draw(st.booleans()) else None
    # A program's days, read in each person's own zone (shifts span 8–10 March local).
    first_day = date(2027, 3, 8 + draw(st.integers(0, 1))) if draw(st.booleans()) else None
    last_day = date(2027, 3, 9 + draw(st.integers(0, 1))) if draw(st.booleans()) else None
    rules = Rules(
        blackout, earliest, latest, draw(st.sampled_from(["queue", "channel"])), first_day, last_day
    )
    return people, shifts, rules


# --- properties --------------------------------------------------------------------------


@settings(max_examples=250, **FAST)
@given(small_instances())
def test_matches_brute_force(instance):
    people, shifts, rules = instance
    result = plan(people, shifts, rules)
    assert violations(result, people, shifts, rules) == []
    assert result.objective == brute_force(people, shifts, rules)
    assert result.optimal
    assert result.bound == result.objective
    assert result.objective == objective_of(result.placements, people, shifts, rules)
    by_person = {u.person_id: u.missing for u in result.unplaced}
    for p in people:
        got = sum(pl.person_id == p.id for pl in result.placements)
        assert by_person.get(p.id, 0) == p.need - got
        if p.id in by_person:
            assert by_person[p.id] > 0 and result.unplaced


@settings(max_examples=150, **FAST)
@given(instance=small_instances())
def test_integer_program_alone_matches_brute_force(monkeypatch, instance):
    # Without the Lagrangian rounds, the day flow and CP-SAT on the full model decide.
    monkeypatch.setattr(autoschedule, "LAGRANGE_ROUNDS", 0)
    people, shifts, rules = instance
    result = plan(people, shifts, rules)
    assert violations(result, people, shifts, rules) == []
    assert result.objective == brute_force(people, shifts, rules)
    assert result.optimal and result.bound == result.objective


@st.composite
def large_instances(draw):
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    shifts = []
    for i in range(120):
        day, hour = rng.randrange(12), rng.randrange(24)
        q = rng.randrange(6)
        shifts.append(
            Shift(i, q, CHANNELS[q % 4], at(day, hour), at(day, hour + 4), rng.randrange(4))
        )
    people = []
    for i in range(40):
        start = rng.choice([0, 8, 9, 10, 14])
        busy = ()
        if rng.random() < 0.3:
            d = rng.randrange(12)
            busy = ((at(d, 12), at(d, 16)),)
        people.append(
            Person(
                i,
                rng.choice(ZONES),
                time(start),
                time(min(23, start + 8)),
                rng.choice([1, 2, 2, 3]),
                rng.choice([0, 1, 2, 2]),
                frozenset(rng.sample(range(6), rng.randrange(2))),
                busy,
            )
        )
    rules = Rules(frozenset({date(2027, 3, 10)}), distinct_by=rng.choice(["queue", "channel"]))
    return people, shifts, rules


@settings(max_examples=12, **FAST)
@given(large_instances())
def test_large_instances_are_valid(instance):
    people, shifts, rules = instance
    result = plan(people, shifts, rules, time_limit_seconds=5)
    assert violations(result, people, shifts, rules) == []
    assert result.placed <= sum(s.seats for s in shifts)
    assert result.bound >= result.objective
    assert 0 <= result.gap_to_bound < 0.01


# --- examples ----------------------------------------------------------------------------


def new_yorker(need=3, **kw) -> Person:
    return Person("ny", "America/New_York", time(9), time(17), need, **kw)


def test_daylight_saving_uses_local_hours():
    shifts = [
        Shift("fri-est", "q", "phone", at(4, 14), at(4, 18), 1),  # Fri 12 Mar 09:00-13:00 EST
        Shift("mon-edt", "q", "phone", at(7, 13), at(7, 17), 1),  # Mon 15 Mar 09:00-13:00 EDT
        Shift("tue-early", "q", "phone", at(8, 12), at(8, 16), 1),  # Tue 16 Mar 08:00-12:00 EDT
        Shift("thu-early", "q", "phone", at(3, 13), at(3, 17), 1),  # Thu 11 Mar 08:00-12:00 EST
    ]
    result = plan([new_yorker()], shifts, Rules())
    assert {p.shift_id for p in result.placements} == {"fri-est", "mon-edt"}
    assert [u.missing for u in result.unplaced] == [1]
    assert violations(result, [new_yorker()], shifts, Rules()) == []


def test_one_a_day_uses_the_local_date():
    tokyo = Person("jp", "Asia/Tokyo", time(8), time(17), need=3)
    shifts = [
        Shift("mon", "q1", "chat", at(0, 2), at(0, 4), 1),  # Mon 11:00-13:00 JST
        Shift("tue-a", "q2", "chat", at(0, 23), at(1, 1), 1),  # Mon 23:00 UTC = Tue 08:00 JST
        Shift("tue-b", "q3", "chat", at(1, 3), at(1, 5), 1),  # Tue 12:00-14:00 JST
    ]
    result = plan([tokyo], shifts, Rules())
    chosen = {p.shift_id for p in result.placements}
    # "mon" and "tue-a" start on the same UTC date but are different Tokyo days
    assert "mon" in chosen and len(chosen) == 2 and not {"tue-a", "tue-b"} <= chosen
    assert violations(result, [tokyo], shifts, Rules()) == []
    # a booking on Tuesday (Tokyo), made on Monday UTC, rules out both Tuesday shifts
    busy = Person("jp", "Asia/Tokyo", time(8), time(17), need=3, busy=((at(0, 16), at(0, 16.5)),))
    result = plan([busy], shifts, Rules())
    assert {p.shift_id for p in result.placements} == {"mon"}


def test_distinct_queues_preferred():
    shifts = [Shift(f"a{d}", "a", "phone", at(d, 14), at(d, 18), 2) for d in range(3)]
    shifts.append(Shift("b2", "b", "chat", at(2, 14), at(2, 18), 1))
    people = [new_yorker(need=2, need_distinct=2)]
    result = plan(people, shifts, Rules())
    assert "b2" in {p.shift_id for p in result.placements}
    assert result.placed == 2 and result.optimal
    # queue "b" already done: nothing to gain, but it still fills a seat
    people = [new_yorker(need=2, need_distinct=2, used=frozenset({"b"}))]
    assert plan(people, shifts, Rules()).placed == 2


def test_load_spread_over_shifts():
    shifts = [Shift(f"s{d}", "q", "phone", at(d, 14), at(d, 18), 3) for d in range(2)]
    people = [Person(i, "America/New_York", time(9), time(17), 1) for i in range(4)]
    result = plan(people, shifts, Rules())
    fill = [sum(p.shift_id == s.id for p in result.placements) for s in shifts]
    assert sorted(fill) == [2, 2]
    assert objective_parts(result.placements, people, shifts, Rules()) == (4, 0, 6)


def test_reasons_name_the_cause():
    night = [Shift("night", "q", "phone", at(1, 3), at(1, 7), 5)]
    result = plan([new_yorker(need=1)], night, Rules(latest=at(5, 0)))
    (u,) = result.unplaced
    assert u.missing == 1
    assert "working hours (09:00\u201317:00 America/New_York)" in u.reasons[0]
    assert "before the program ends" in u.reasons[0]

    full = [Shift("full", "q", "phone", at(1, 14), at(1, 18), 0)]
    result = plan([new_yorker(need=1)], full, Rules())
    assert result.unplaced[0].reasons[0] == "every suitable shift is full"

    ok = [Shift("tue", "q", "phone", at(1, 14), at(1, 18), 1)]
    result = plan([new_yorker(need=1)], ok, Rules(blackout_dates=frozenset({date(2027, 3, 9)})))
    assert "blackout" in result.unplaced[0].reasons[0]

    two = [Shift(d, "q", "phone", at(d, 14), at(d, 18), 1) for d in range(2)]
    result = plan([new_yorker(need=2, busy=((at(0, 20), at(0, 21)),))], two, Rules())
    assert result.placed == 1
    assert result.unplaced[0].reasons[0] == (
        "only 1 free weekday without another booking has a suitable shift"
    )

    people = [Person(i, "America/New_York", time(9), time(17), 1) for i in range(2)]
    result = plan(people, ok, Rules())
    assert result.placed == 1
    assert "other participants" in result.unplaced[0].reasons[0]


def test_degenerate_inputs():
    empty = plan([], [], Rules())
    assert (empty.placed, empty.objective, empty.bound, empty.optimal) == (0, 0, 0, True)
    shifts = [Shift("s", "q", "phone", at(1, 14), at(1, 18), 0)]
    assert plan([], shifts, Rules()).placed == 0
    result = plan([new_yorker(need=0)], shifts, Rules())
    assert result.placed == 0 and result.unplaced == []
    result = plan([new_yorker(need=2)], [], Rules())
    assert result.unplaced[0].missing == 2 and result.unplaced[0].reasons
    result = plan([new_yorker(need=2)], shifts, Rules())
    assert result.placed == 0 and violations(result, [new_yorker(need=2)], shifts, Rules()) == []
    with pytest.raises(ValueError, match="distinct_by must be 'queue' or 'channel', not 'team'"):
        plan([], [], Rules(distinct_by="team"))


def test_weights_are_lexicographic():
    people = [new_yorker(need=2, need_distinct=2)]
    shifts = [Shift(d, "q", "phone", at(d, 14), at(d, 18), 3) for d in range(3)]
    w1, w2 = weights(people, shifts)
    max_load = sum(k * (k + 1) // 2 for k in (2, 2, 2))
    assert w2 > max_load and w1 > 2 * w2 + max_load
