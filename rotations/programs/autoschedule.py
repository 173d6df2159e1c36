"""Deadline auto-scheduler: seat every rotation participant still short into open shifts.

Pure optimisation over plain frozen dataclasses (no Django), so it can be proven against
brute force and benchmarked alone. The service layer turns participants into ``Person``
values and open shifts into ``Shift`` values, and the returned ``Placement`` values back
into bookings.

Hard rules (a plan breaking one is never returned; ``violations`` checks them all):
  * a shift gets at most ``seats`` new people; a person at most ``need`` new shifts;
  * the shift lies entirely inside the person's working hours (``work_start`` <= local
    start, local end <= ``work_end``, both on the same local date; ``work_end`` must be
    after ``work_start``, so working hours never cross midnight) on a local Mon-Fri;
  * the person's local date of the shift start is not in ``Rules.blackout_dates``;
  * ``start >= Rules.earliest`` and ``end <= Rules.latest`` when given;
  * the person's local date of the start is within ``Rules.first_day``–``Rules.last_day``;
  * the shift does not overlap any ``busy`` booking of the person, and is not on a local
    date (person's zone) that one of their bookings touches;
  * at most one new shift per person per local date. With the working-hours rule this
    also rules out two new shifts overlapping each other.

Objective (maximise; exact integers; see ``objective_of`` and ``weights``):
    W1 * placements + W2 * distinct - load
  * distinct = sum over people of min(need_distinct', |new groups|), where a shift's group
    is its queue (or channel, ``Rules.distinct_by``), new groups are the groups of the
    person's placements not in ``used``, and need_distinct' = min(need_distinct, need);
  * load = sum over shifts of k(k+1)/2 for the k people the plan puts in it (the k-th seat
    filled in one shift costs k: a convex penalty that spreads people over shifts);
  * W2 = 1 + sum_s T(min(seats_s, total need)), T(k) = k(k+1)/2, bounds any load + 1;
    W1 = W2 * (1 + sum_p need_distinct'_p), more than any distinct gain plus any load.
  So the order is strictly lexicographic: most placements, then most distinct groups,
  then least load. (No fourth, per-queue spreading term.)

Algorithm:
  * Eligibility, vectorised with numpy: each shift's local start/end/date/weekday is
    computed once per time zone, masks once per (zone, working hours) group, then busy
    bookings per person. Arcs are the eligible (person, shift) pairs.
  * Everything but the distinct term is a min-cost flow (OR-tools SimpleMinCostFlow):
    source -> person (cap need) -> (person, local day) (cap 1) -> shift -> sink, the
    shift -> sink capacity split in unit arcs costing 1, 2, 3, ... (convex load). This
    "day flow" is exact for placements and load.
  * Everything but "one a day" is also a min-cost flow, the "group flow": source ->
    person (cap need) -> (person, group) -> shift -> sink, with an extra path person ->
    bonus node (cap need_distinct', cost -W2) -> (person, group) (cap 1, new groups only):
    it pays W2 for each new group, at most need_distinct' times, exactly the distinct
    term. Its optimum is an upper bound (the first round's value equals the LP relaxation
    of the full model without the day rule). The day rule is then relaxed in Lagrangian
    fashion: a (person, day) the flow used twice gets a penalty on its arcs of 1/scale
    (a tie-break below one objective unit, scale = 1 + penalised days) plus an integer
    multiplier, doubled while the day stays in conflict and halved when the flow leaves
    it empty (subgradient steps); each round's Lagrangian value
    floor((max_x [scale*f(x) - mu.x] + sum mu) / scale) is a valid upper bound, and a
    day-feasible solution with no multiplier on an empty day is proven optimal.
  * Every round's conflicting solution is also repaired into a plan: keep one shift per
    (person, day) (one of a group the person has no other shift in), refill the people
    left short with the group flow restricted to them, their free days and the seats
    left (exact for the residual when each is short of one shift), then the day flow.
    The best plan is kept; the loop stops as soon as it reaches the bound.
  * If a gap remains (e.g. someone would need two shifts on a day to gain a distinct
    group): the day flow's own plan is compared, and on instances up to
    ``CPSAT_FULL_ARCS`` arcs CP-SAT solves the full integer program (x per arc, g per
    (person, new group), seats, need, at most one per (person, day), g <= sum x,
    sum g <= need_distinct', ordered unit seat variables for the load) with the best
    plan as hint; its bound is valid for the full problem and it reports proven
    optimality. Larger instances keep the best plan and the flows' bound.

``bound`` is min of: the group flow's Lagrangian bounds (every round; the first round is
the flow without the day rule, the LP relaxation of the model without it);
the day flow's optimum + W2 * sum_p min(need_distinct', new groups the person could
reach) (valid: no plan places more or loads less than the day flow, W2 per group at
most); and CP-SAT's proven bound when it ran on the full model. It is always >= the
optimum. ``gap_to_bound`` is dominated by W1, so it is tiny as soon as placements are
maximal; ``stats['distinct_gap']`` = (bound - objective) // W2 says how many distinct
groups the bound still allows beyond the plan (0 with ``optimal``).
"""

from __future__ import annotations

import time as _time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

CPSAT_FULL_ARCS = 30_000  # CP-SAT on the full model up to this many eligible arcs
LAGRANGE_ROUNDS = 12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_DAY_BITS = 1 << 22  # local date ordinals are < 2**22 (year 11,000)


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    id: Hashable
    queue: Hashable
    channel: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    seats: int  # free seats left (>= 0)


@dataclass(frozen=True)
class Person:
    id: Hashable
    time_zone: str  # IANA name
    work_start: time  # working hours in their own zone
    work_end: time
    need: int  # shifts still to place
    need_distinct: int = 0  # distinct groups their new shifts should add
    used: frozenset = frozenset()  # groups they already have: adding one adds nothing
    busy: tuple[tuple[datetime, datetime], ...] = ()  # existing bookings (aware UTC)


@dataclass(frozen=True)
class Rules:
    blackout_dates: frozenset[date] = frozenset()  # the person's local date of the start
    earliest: datetime | None = None  # no placement starting before
    latest: datetime | None = None  # no placement ending after
    distinct_by: str = "queue"  # "queue" or "channel"
    first_day: date | None = None  # the person's local date of the start: not before
    last_day: date | None = None  # ... and not after


# --- outputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    person_id: Hashable
    shift_id: Hashable


@dataclass(frozen=True)
class Unplaced:
    person_id: Hashable
    missing: int
    reasons: tuple[str, ...]  # deciding reason first


@dataclass(frozen=True)
class Plan:
    placements: list[Placement]
    unplaced: list[Unplaced]
    placed: int
    objective: int
    bound: int  # valid upper bound on the optimal objective
    gap_to_bound: float  # (bound - objective) / max(1, |bound|)
    optimal: bool
    seconds: float
    stats: dict = field(default_factory=dict, compare=False)


# --- the objective, one plan at a time --------------------------------------------------


def _tri(k: int) -> int:
    return k * (k + 1) // 2


def group_of(shift: Shift, rules: Rules) -> Hashable:
    if rules.distinct_by == "queue":
        return shift.queue
    if rules.distinct_by == "channel":
        return shift.channel
    raise ValueError(f"distinct_by must be 'queue' or 'channel', not {rules.distinct_by!r}")


def weights(people: Sequence[Person], shifts: Sequence[Shift]) -> tuple[int, int]:
    """(W1, W2) of the documented objective; they depend on the instance only."""
    total_need = sum(max(0, p.need) for p in people)
    w2 = 1 + sum(_tri(min(max(0, s.seats), total_need)) for s in shifts)
    w1 = w2 * (1 + sum(max(0, min(p.need_distinct, p.need)) for p in people))
    return w1, w2


def objective_parts(
    placements: Iterable[Placement], people: Sequence[Person], shifts: Sequence[Shift], rules: Rules
) -> tuple[int, int, int]:
    """(placements, distinct groups gained, load) of a plan."""
    by_id = {s.id: s for s in shifts}
    person = {p.id: p for p in people}
    groups: dict[Hashable, set] = {}
    fill: dict[Hashable, int] = {}
    n = 0
    for pl in placements:
        n += 1
        groups.setdefault(pl.person_id, set()).add(group_of(by_id[pl.shift_id], rules))
        fill[pl.shift_id] = fill.get(pl.shift_id, 0) + 1
    distinct = 0
    for pid, gs in groups.items():
        p = person[pid]
        distinct += min(max(0, min(p.need_distinct, p.need)), len(gs - set(p.used)))
    return n, distinct, sum(_tri(k) for k in fill.values())


def objective_of(
    placements: Iterable[Placement], people: Sequence[Person], shifts: Sequence[Shift], rules: Rules
) -> int:
    """W1 * placements + W2 * distinct - load: what ``plan`` maximises."""
    w1, w2 = weights(people, shifts)
    n, distinct, load = objective_parts(placements, people, shifts, rules)
    return w1 * n + w2 * distinct - load


# --- the independent checker ------------------------------------------------------------


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _local_dates(start: datetime, end: datetime, tz: ZoneInfo) -> set[date]:
    """Every local date a booking [start, end) touches."""
    first = _aware(start).astimezone(tz).date()
    last = (_aware(end) - _US).astimezone(tz).date() if end > start else first
    out, d = set(), first
    while d <= last:
        out.add(d)
        d += timedelta(days=1)
    return out


def violations(
    plan: Plan, people: Sequence[Person], shifts: Sequence[Shift], rules: Rules
) -> list[str]:
    """Every hard rule the plan breaks, checked placement by placement (empty: valid)."""
    out: list[str] = []
    person = {p.id: p for p in people}
    shift = {s.id: s for s in shifts}
    per_shift: dict[Hashable, int] = {}
    per_person: dict[Hashable, list[Shift]] = {}
    seen = set()
    for pl in plan.placements:
        if pl.person_id not in person or pl.shift_id not in shift:
            out.append(f"{pl}: unknown person or shift")
            continue
        if (pl.person_id, pl.shift_id) in seen:
            out.append(f"{pl}: placed twice")
        seen.add((pl.person_id, pl.shift_id))
        p, s = person[pl.person_id], shift[pl.shift_id]
        per_shift[s.id] = per_shift.get(s.id, 0) + 1
        per_person.setdefault(p.id, []).append(s)
        tz = ZoneInfo(p.time_zone)
        ls, le = _aware(s.start).astimezone(tz), _aware(s.end).astimezone(tz)
        if ls.date() != le.date() or not (p.work_start <= ls.time() and le.time() <= p.work_end):
            out.append(f"{pl}: outside working hours")
        if ls.weekday() >= 5:
            out.append(f"{pl}: on a weekend")
        if ls.date() in rules.blackout_dates:
            out.append(f"{pl}: on a blackout date")
        if rules.earliest is not None and s.start < rules.earliest:
            out.append(f"{pl}: before the earliest start")
        if rules.latest is not None and s.end > rules.latest:
            out.append(f"{pl}: after the latest end")
        if rules.first_day is not None and ls.date() < rules.first_day:
            out.append(f"{pl}: before the first day")
        if rules.last_day is not None and ls.date() > rules.last_day:
            out.append(f"{pl}: after the last day")
        for b0, b1 in p.busy:
            if s.start < b1 and b0 < s.end:
                out.append(f"{pl}: overlaps a busy booking")
            if ls.date() in _local_dates(b0, b1, tz):
                out.append(f"{pl}: same local day as a busy booking")
    for sid, k in per_shift.items():
        if k > shift[sid].seats:
            out.append(f"shift {sid!r}: {k} placed, {shift[sid].seats} seats")
    for pid, got in per_person.items():
        p = person[pid]
        tz = ZoneInfo(p.time_zone)
        if len(got) > p.need:
            out.append(f"person {pid!r}: {len(got)} placed, need {p.need}")
        days = [_aware(s.start).astimezone(tz).date() for s in got]
        if len(set(days)) < len(days):
            out.append(f"person {pid!r}: two shifts on one local day")
        for a in range(len(got)):
            for b in range(a + 1, len(got)):
                if got[a].start < got[b].end and got[b].start < got[a].end:
                    out.append(f"person {pid!r}: overlapping shifts")
    if plan.placed != len(plan.placements):
        out.append("placed does not count the placements")
    if not out and plan.objective != objective_of(plan.placements, people, shifts, rules):
        out.append("objective does not match objective_of")
    if plan.bound < plan.objective:
        out.append("bound below objective")
    return out


# --- eligibility ------------------------------------------------------------------------


def _us(dt: datetime) -> int:
    return (_aware(dt) - _EPOCH) // _US


def _tod_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class _Local:
    """Each shift's local start date/time, end date/time and weekday in one zone."""

    def __init__(self, shifts: Sequence[Shift], zone: str):
        tz = _zone(zone)
        n = len(shifts)
        self.sd = np.empty(n, np.int64)  # local start date (ordinal)
        self.ed = np.empty(n, np.int64)
        self.st = np.empty(n, np.int64)  # local start time of day (us)
        self.et = np.empty(n, np.int64)
        self.wd = np.empty(n, np.int8)
        for i, s in enumerate(shifts):
            a, b = _aware(s.start).astimezone(tz), _aware(s.end).astimezone(tz)
            self.sd[i], self.ed[i], self.wd[i] = a.toordinal(), b.toordinal(), a.weekday()
            self.st[i] = _tod_us(a.timetz())
            self.et[i] = _tod_us(b.timetz())


class _Eligibility:
    def __init__(self, people: Sequence[Person], shifts: Sequence[Shift], rules: Rules):
        self.people, self.shifts, self.rules = people, shifts, rules
        m = len(shifts)
        self.seats = np.array([max(0, s.seats) for s in shifts], np.int64)
        self.s_start = np.array([_us(s.start) for s in shifts], np.int64)
        self.s_end = np.array([_us(s.end) for s in shifts], np.int64)
        window = np.ones(m, bool)
        if rules.earliest is not None:
            window &= self.s_start >= _us(rules.earliest)
        if rules.latest is not None:
            window &= self.s_end <= _us(rules.latest)
        self.window = window
        self.blackout = np.array(sorted(d.toordinal() for d in rules.blackout_dates), np.int64)
        self._local: dict[str, _Local] = {}
        groups: dict[Hashable, int] = {}
        self.group = np.array(
            [groups.setdefault(group_of(s, rules), len(groups)) for s in shifts], np.int64
        )
        self.group_index = groups

    def local(self, zone: str) -> _Local:
        if zone not in self._local:
            self._local[zone] = _Local(self.shifts, zone)
        return self._local[zone]

    def hours_mask(self, p: Person) -> np.ndarray:
        """Inside working hours on a local weekday, within earliest/latest and the period's days."""
        loc = self.local(p.time_zone)
        ws, we = _tod_us(p.work_start), _tod_us(p.work_end)
        if we <= ws:
            return np.zeros(len(self.shifts), bool)
        mask = self.window & (loc.sd == loc.ed) & (loc.wd < 5) & (loc.st >= ws) & (loc.et <= we)
        if self.rules.first_day is not None:
            mask &= loc.sd >= self.rules.first_day.toordinal()
        if self.rules.last_day is not None:
            mask &= loc.sd <= self.rules.last_day.toordinal()
        return mask

    def blackout_mask(self, p: Person) -> np.ndarray:
        return ~np.isin(self.local(p.time_zone).sd, self.blackout)

    def busy_mask(self, p: Person) -> np.ndarray:
        ok = np.ones(len(self.shifts), bool)
        if not p.busy:
            return ok
        tz = _zone(p.time_zone)
        days = set()
        for b0, b1 in p.busy:
            ok &= ~((self.s_start < _us(b1)) & (_us(b0) < self.s_end))
            days |= _local_dates(b0, b1, tz)
        ordinals = np.array([d.toordinal() for d in days], np.int64)
        ok &= ~np.isin(self.local(p.time_zone).sd, ordinals)
        return ok

    def arcs(self) -> tuple[np.ndarray, np.ndarray]:
        """Eligible (person index, shift index) pairs, shifts with a free seat only."""
        open_ = self.seats > 0
        cache: dict[tuple, np.ndarray] = {}
        ps, ss = [], []
        for i, p in enumerate(self.people):
            if p.need <= 0:
                continue
            key = (p.time_zone, p.work_start, p.work_end)
            if key not in cache:
                cache[key] = self.hours_mask(p) & self.blackout_mask(p) & open_
            mask = cache[key]
            if p.busy:
                mask = mask & self.busy_mask(p)
            idx = np.flatnonzero(mask)
            if len(idx):
                ss.append(idx)
                ps.append(np.full(len(idx), i, np.int64))
        if not ss:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(ps), np.concatenate(ss)

    def reasons(self, p: Person, missing: int) -> tuple[str, ...]:
        """Why a person is short, the deciding reason first."""
        loc = self.local(p.time_zone)
        hours = f"{p.work_start:%H:%M}\u2013{p.work_end:%H:%M} {p.time_zone}"
        ends = self.rules.latest is not None or self.rules.last_day is not None
        when = " before the program ends" if ends else ""
        stages = [
            (
                self.hours_mask(p),
                f"no open shift falls inside their working hours ({hours}) on a weekday{when}",
                "{n} weekday{s} {have} a shift inside their working hours (" + hours + ")" + when,
            ),
            (
                self.blackout_mask(p),
                "every shift inside their working hours falls on a blackout date",
                "{n} weekday{s} with a shift inside their working hours {be} not a blackout date",
            ),
            (
                self.busy_mask(p),
                "every day with a suitable shift already has another booking of theirs",
                "{n} free weekday{s} without another booking {have} a suitable shift",
            ),
            (
                self.seats > 0,
                "every suitable shift is full",
                "{n} day{s} {have} a suitable shift with a free seat",
            ),
        ]
        mask = np.ones(len(self.shifts), bool)
        out: list[str] = []
        deciding = None
        for extra, none, some in stages:
            before = len(np.unique(loc.sd[mask]))
            mask = mask & extra
            days = len(np.unique(loc.sd[mask]))
            if days >= p.need or days == before:
                continue
            if days == 0:
                text = none
            else:
                text = "only " + some.format(
                    n=days,
                    s="" if days == 1 else "s",
                    have="has" if days == 1 else "have",
                    be="is" if days == 1 else "are",
                )
            if deciding is None:
                deciding = text
            else:
                out.append(text)
            if days == 0:
                break
        if deciding is None:
            n = int(mask.sum())
            deciding = (
                f"the free seats of the {n} suitable shift{'' if n == 1 else 's'} "
                "went to other participants"
            )
        return (deciding, *out)


# --- flows ------------------------------------------------------------------------------


def _solve_flow(n_nodes: int, supply: int, tails, heads, caps, costs):
    """Min-cost flow of ``supply`` units from node 0 to node 1 (a 0-cost bypass included)."""
    f = min_cost_flow.SimpleMinCostFlow()
    t = np.concatenate([np.array([0], np.int64), tails]).astype(np.int32)
    h = np.concatenate([np.array([1], np.int64), heads]).astype(np.int32)
    c = np.concatenate([np.array([supply], np.int64), caps]).astype(np.int64)
    w = np.concatenate([np.array([0], np.int64), costs]).astype(np.int64)
    arcs = f.add_arcs_with_capacity_and_unit_cost(t, h, c, w)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[0], supplies[1] = supply, -supply
    f.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    status = f.solve()
    if status != f.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return f.flows(arcs)[1:], f.optimal_cost()


class _Model:
    """The eligible arcs, indexed for the flows, and exact scoring of arc selections."""

    def __init__(self, el: _Eligibility, people: Sequence[Person], w1: int, w2: int):
        self.el, self.w1, self.w2 = el, w1, w2
        ap, as_ = el.arcs()
        self.ap, self.as_ = ap, as_
        self.n_arcs = len(ap)
        n, m = len(people), len(el.shifts)
        self.n, self.m = n, m
        self.need = np.array([max(0, p.need) for p in people], np.int64)
        self.nd = np.array([max(0, min(p.need_distinct, p.need)) for p in people], np.int64)
        # local day of each arc in the person's zone
        self.aday = np.empty(self.n_arcs, np.int64)
        by_zone: dict[str, list[int]] = {}
        for i, p in enumerate(people):
            by_zone.setdefault(p.time_zone, []).append(i)
        zone_of = np.empty(n, np.int64)
        zone_names = list(by_zone)
        for z, name in enumerate(zone_names):
            zone_of[by_zone[name]] = z
        az = zone_of[ap] if self.n_arcs else np.zeros(0, np.int64)
        for z, name in enumerate(zone_names):
            sel = az == z
            if sel.any():
                self.aday[sel] = el.local(name).sd[as_[sel]]
        self.pd_key, self.apd = np.unique(ap * _DAY_BITS + self.aday, return_inverse=True)
        ng = max(1, len(el.group_index))
        self.ag = el.group[as_] if self.n_arcs else np.zeros(0, np.int64)
        self.pq_key, self.apq = np.unique(ap * ng + self.ag, return_inverse=True)
        self.ng = ng
        used_ids = [{el.group_index[g] for g in p.used if g in el.group_index} for p in people]
        pq_p, pq_g = self.pq_key // ng, self.pq_key % ng
        self.pq_new = np.array(
            [g not in used_ids[p] for p, g in zip(pq_p.tolist(), pq_g.tolist(), strict=True)], bool
        )
        # seats actually usable: no more than the people who can reach the shift
        reach = np.bincount(as_, minlength=m) if self.n_arcs else np.zeros(m, np.int64)
        self.cap = np.minimum(el.seats, reach)
        # the most distinct groups each person could gain
        self.dmax = np.zeros(n, np.int64)
        if len(self.pq_key):
            np.add.at(self.dmax, pq_p[self.pq_new], 1)
        self.dmax = np.minimum(self.dmax, self.nd)

    # exact score of a selection (boolean over arcs)
    def parts(self, x: np.ndarray) -> tuple[int, int, int]:
        placed = int(x.sum())
        fill = np.bincount(self.as_[x], minlength=self.m)
        load = int((fill * (fill + 1) // 2).sum())
        pq_used = np.zeros(len(self.pq_key), bool)
        pq_used[self.apq[x]] = True
        per_p = np.bincount((self.pq_key // self.ng)[pq_used & self.pq_new], minlength=self.n)
        distinct = int(np.minimum(per_p, self.nd).sum()) if self.n else 0
        return placed, distinct, load

    def score(self, x: np.ndarray) -> int:
        placed, distinct, load = self.parts(x)
        return self.w1 * placed + self.w2 * distinct - load

    def day_conflicts(self, x: np.ndarray) -> np.ndarray:
        """(person, day) node indices used more than once."""
        c = np.bincount(self.apd[x], minlength=len(self.pd_key))
        return np.flatnonzero(c > 1)

    def _sink_arcs(self, cap: np.ndarray, first: np.ndarray, base: int, scale: int):
        """Unit arcs shift -> sink, the k-th costing (first + k) * scale."""
        sh = np.repeat(np.arange(self.m), cap)
        if len(sh):
            starts = np.repeat(np.cumsum(cap) - cap, cap)
            k = np.arange(len(sh)) - starts + 1 + np.repeat(first, cap)
        else:
            k = np.zeros(0, np.int64)
        return base + sh, np.ones(len(sh), np.int64), np.ones(len(sh), np.int64), k * scale

    def day_flow(self, need=None, cap=None, first=None, allowed=None) -> np.ndarray:
        """Exact for placements and load (ignores distinct): returns the selected arcs."""
        need = self.need if need is None else need
        cap = self.cap if cap is None else cap
        first = np.zeros(self.m, np.int64) if first is None else first
        allowed = np.ones(self.n_arcs, bool) if allowed is None else allowed
        n_pd = len(self.pd_key)
        P, D = 2, 2 + self.n
        S = D + n_pd
        pd_p = self.pd_key // _DAY_BITS
        arcs = np.flatnonzero(allowed)
        sink_t, sink_h, sink_c, sink_w = self._sink_arcs(cap, first, S, 1)
        tails = np.concatenate([np.zeros(self.n, np.int64), P + pd_p, D + self.apd[arcs], sink_t])
        heads = np.concatenate(
            [
                P + np.arange(self.n),
                D + np.arange(n_pd),
                S + self.as_[arcs],
                np.ones(len(sink_t), np.int64),
            ]
        )
        caps = np.concatenate([need, np.ones(n_pd, np.int64), np.ones(len(arcs), np.int64), sink_c])
        costs = np.concatenate(
            [np.zeros(self.n + n_pd, np.int64), np.full(len(arcs), -self.w1, np.int64), sink_w]
        )
        flows, _ = _solve_flow(S + self.m, int(need.sum()), tails, heads, caps, costs)
        x = np.zeros(self.n_arcs, bool)
        x[arcs] = flows[self.n + n_pd : self.n + n_pd + len(arcs)] > 0
        return x

    def group_flow(
        self,
        mu: np.ndarray,
        scale: int,
        need=None,
        nd=None,
        new_pq=None,
        cap=None,
        first=None,
        allowed=None,
    ) -> tuple[np.ndarray, int]:
        """Exact for everything but "one a day" (relaxed with day penalties ``mu``, in
        units of 1/scale). Returns the selected arcs and the Lagrangian upper bound (the
        bound only for the full problem, with the optional arguments left out)."""
        need = self.need if need is None else need
        nd = self.nd if nd is None else nd
        new_pq = self.pq_new if new_pq is None else new_pq
        cap = self.cap if cap is None else cap
        first = np.zeros(self.m, np.int64) if first is None else first
        arcs = np.arange(self.n_arcs) if allowed is None else np.flatnonzero(allowed)
        n_pq = len(self.pq_key)
        P, B, Q = 2, 2 + self.n, 2 + 2 * self.n
        S = Q + n_pq
        pq_p = self.pq_key // self.ng
        new = np.flatnonzero(new_pq)
        sink_t, sink_h, sink_c, sink_w = self._sink_arcs(cap, first, S, scale)
        arc_cost = -self.w1 * scale + mu[self.apd[arcs]]
        tails = np.concatenate(
            [
                np.zeros(self.n, np.int64),
                P + np.arange(self.n),
                B + pq_p[new],
                P + pq_p,
                Q + self.apq[arcs],
                sink_t,
            ]
        )
        heads = np.concatenate(
            [
                P + np.arange(self.n),
                B + np.arange(self.n),
                Q + new,
                Q + np.arange(n_pq),
                S + self.as_[arcs],
                np.ones(len(sink_t), np.int64),
            ]
        )
        caps = np.concatenate(
            [
                need,
                nd,
                np.ones(len(new), np.int64),
                need[pq_p],
                np.ones(len(arcs), np.int64),
                sink_c,
            ]
        )
        costs = np.concatenate(
            [
                np.zeros(self.n, np.int64),
                np.full(self.n, -self.w2 * scale, np.int64),
                np.zeros(len(new) + n_pq, np.int64),
                arc_cost,
                sink_w,
            ]
        )
        flows, cost = _solve_flow(S + self.m, int(need.sum()), tails, heads, caps, costs)
        off = 2 * self.n + len(new) + n_pq
        x = np.zeros(self.n_arcs, bool)
        x[arcs] = flows[off : off + len(arcs)] > 0
        # max_x [scale * f(x) - mu.x] + sum(mu) >= scale * optimum
        return x, (-cost + int(mu.sum())) // scale

    def _drop_conflicts(self, x: np.ndarray) -> np.ndarray:
        """One shift per (person, day): keep one whose group the person has no other of."""
        x = x.copy()
        for pd in self.day_conflicts(x):
            on = np.flatnonzero(x & (self.apd == pd))
            p = self.ap[on[0]]
            others = set(self.apq[x & (self.ap == p) & (self.apd != pd)].tolist())
            fresh = [
                a for a in on.tolist() if self.apq[a] not in others and self.pq_new[self.apq[a]]
            ]
            keep = fresh[0] if fresh else int(on[0])
            x[on] = False
            x[keep] = True
        return x

    def repair(self, x: np.ndarray) -> np.ndarray:
        """Keep one shift per (person, day), then refill what is missing: first with the
        group flow over the people short (exact when each is short of one shift), then
        with the day flow."""
        for kind in ("group", "group", "day"):
            x = self._drop_conflicts(x)
            got = np.bincount(self.ap[x], minlength=self.n)
            fill = np.bincount(self.as_[x], minlength=self.m)
            used_pd = np.zeros(len(self.pd_key), bool)
            used_pd[self.apd[x]] = True
            need = self.need - got
            allowed = ~used_pd[self.apd] & (need[self.ap] > 0)
            cap = np.maximum(0, self.cap - fill)
            allowed &= cap[self.as_] > 0
            if not allowed.any():
                return x
            if kind == "day":
                return x | self.day_flow(need=need, cap=cap, first=fill, allowed=allowed)
            pq_used = np.zeros(len(self.pq_key), bool)
            pq_used[self.apq[x]] = True
            gained = np.bincount((self.pq_key // self.ng)[pq_used & self.pq_new], minlength=self.n)
            extra, _ = self.group_flow(
                np.zeros(len(self.pd_key), np.int64),
                1,
                need=need,
                nd=np.maximum(0, self.nd - gained),
                new_pq=self.pq_new & ~pq_used,
                cap=cap,
                first=fill,
                allowed=allowed,
            )
            x = x | extra
            if not len(self.day_conflicts(x)):
                return x
        return x

    def cpsat(
        self,
        hint: np.ndarray,
        seconds: float,
        arcs: np.ndarray | None = None,
        cap: np.ndarray | None = None,
        first: np.ndarray | None = None,
    ) -> tuple[np.ndarray | None, int | None, bool]:
        """The integer program over ``arcs`` (default: all, the full model), with shift
        capacities ``cap`` and ``first`` seats already filled (their load is a constant
        left out). People with an arc here must have all their other arcs unselected.
        Returns (selection over all arcs, CP-SAT's bound, proven optimal)."""
        arcs = np.arange(self.n_arcs) if arcs is None else arcs
        cap = self.cap if cap is None else cap
        first = np.zeros(self.m, np.int64) if first is None else first
        mdl = cp_model.CpModel()
        x = [mdl.new_bool_var(f"x{a}") for a in arcs.tolist()]
        obj = []
        for i, a in enumerate(arcs.tolist()):
            mdl.add_hint(x[i], bool(hint[a]))
            obj.append(self.w1 * x[i])
        for p, idx in _groups(self.ap[arcs]):
            if len(idx) > self.need[p]:
                mdl.add(sum(x[i] for i in idx) <= int(self.need[p]))
        for _, idx in _groups(self.apd[arcs]):
            if len(idx) > 1:
                mdl.add_at_most_one(x[i] for i in idx)
        for s, idx in _groups(self.as_[arcs]):
            c, f = min(int(cap[s]), len(idx)), int(first[s])
            u = [mdl.new_bool_var(f"u{s}_{k}") for k in range(c)]
            for k in range(1, c):
                mdl.add_implication(u[k], u[k - 1])
            mdl.add(sum(x[i] for i in idx) == sum(u))
            obj.extend(-(f + k + 1) * u[k] for k in range(c))
        g_of_p: dict[int, list] = {}
        for pq, idx in _groups(self.apq[arcs]):
            if not self.pq_new[pq]:
                continue
            p = int(self.pq_key[pq] // self.ng)
            if self.nd[p] == 0:
                continue
            g = mdl.new_bool_var(f"g{pq}")
            mdl.add(g <= sum(x[i] for i in idx))
            g_of_p.setdefault(p, []).append(g)
        for p, gs in g_of_p.items():
            if len(gs) > self.nd[p]:
                mdl.add(sum(gs) <= int(self.nd[p]))
            obj.extend(self.w2 * g for g in gs)
        mdl.maximize(sum(obj))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.5, seconds)
        solver.parameters.num_workers = 2
        status = solver.solve(mdl)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, None, False
        sel = np.zeros(self.n_arcs, bool)
        sel[arcs] = [solver.boolean_value(v) for v in x]
        bound = int(np.floor(solver.best_objective_bound + 1e-6))
        return sel, bound, status == cp_model.OPTIMAL


def _groups(keys: np.ndarray):
    """(key, indices) for each distinct key."""
    if not len(keys):
        return
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    cuts = np.flatnonzero(np.diff(k)) + 1
    for chunk in np.split(order, cuts):
        yield int(keys[chunk[0]]), chunk.tolist()


# --- the solver -------------------------------------------------------------------------


def plan(
    people: Sequence[Person],
    shifts: Sequence[Shift],
    rules: Rules,
    *,
    time_limit_seconds: float = 25.0,
) -> Plan:
    t0 = _time.perf_counter()
    people, shifts = list(people), list(shifts)
    group_of(Shift(0, 0, "", _EPOCH, _EPOCH, 0), rules)  # validates distinct_by
    w1, w2 = weights(people, shifts)
    el = _Eligibility(people, shifts, rules)
    md = _Model(el, people, w1, w2)
    stats: dict = {"arcs": md.n_arcs, "person_days": len(md.pd_key), "flows": 0}
    deadline = t0 + time_limit_seconds

    best_x = np.zeros(md.n_arcs, bool)
    best = md.score(best_x)
    bound = None
    optimal = False

    def consider(x: np.ndarray) -> None:
        nonlocal best_x, best
        if not len(md.day_conflicts(x)):
            v = md.score(x)
            if v > best:
                best_x, best = x, v

    if md.n_arcs == 0:
        upper, optimal = 0, True  # nothing to place: nothing better is possible
    else:
        # group flow + Lagrangian rounds on the day rule
        n_pd = len(md.pd_key)
        penalised = np.zeros(n_pd, bool)
        mult = np.zeros(n_pd, np.int64)  # multipliers in objective units
        x = None
        for rnd in range(LAGRANGE_ROUNDS):
            # penalty of a penalised day: mult objective units + 1/scale (breaks ties)
            scale = int(penalised.sum()) + 1
            mu = penalised * (mult * scale + 1)
            x, ub = md.group_flow(mu, scale)
            stats["flows"] += 1
            stats["lagrange_rounds"] = rnd + 1
            bound = ub if bound is None else min(bound, ub)
            conflicts = md.day_conflicts(x)
            stats.setdefault("conflicts_per_round", []).append(len(conflicts))
            if len(conflicts):
                consider(md.repair(x))
                again = conflicts[penalised[conflicts]]
                mult[again] = np.maximum(1, 2 * mult[again])
                penalised[conflicts] = True
            else:
                consider(x)
                # subgradient step down on penalised days the flow left empty
                used = np.zeros(n_pd, bool)
                used[md.apd[x]] = True
                idle = penalised & ~used & (mult > 0)
                if not idle.any():
                    break
                mult[idle] //= 2
            if best >= bound or _time.perf_counter() > t0 + 0.6 * time_limit_seconds:
                break
        if bound is None or best < bound:
            if x is not None:
                consider(md.repair(x))
            xd = md.day_flow()
            stats["flows"] += 2
            consider(xd)
            placed_d, _, load_d = md.parts(xd)
            simple = w1 * placed_d - load_d + w2 * int(md.dmax.sum())
            bound = simple if bound is None else min(bound, simple)
        assert bound is not None  # the first round, or the day flow, set it
        upper = bound
        if best < upper and md.n_arcs <= CPSAT_FULL_ARCS and _time.perf_counter() < deadline:
            sel, cb, proven = md.cpsat(best_x, deadline - _time.perf_counter())
            stats["cpsat"] = True
            if sel is not None and cb is not None:  # a solution comes with its bound
                consider(sel)
                upper = min(upper, cb)
                optimal = proven
        optimal = optimal or best >= upper
        if optimal:
            upper = best

    x = best_x
    placements = [
        Placement(people[p].id, shifts[s].id)
        for p, s in zip(md.ap[x].tolist(), md.as_[x].tolist(), strict=True)
    ]
    got = np.bincount(md.ap[x], minlength=len(people)) if len(people) else np.zeros(0, np.int64)
    unplaced = []
    for i, p in enumerate(people):
        missing = max(0, p.need) - int(got[i])
        if missing > 0:
            unplaced.append(Unplaced(p.id, missing, el.reasons(p, missing)))
    placed, distinct, load = md.parts(x)
    stats.update(
        distinct=distinct,
        load=load,
        w1=w1,
        w2=w2,
        distinct_gap=(upper - best) // w2,
        demand=int(md.need.sum()),
    )
    return Plan(
        placements=placements,
        unplaced=unplaced,
        placed=placed,
        objective=best,
        bound=upper,
        gap_to_bound=(upper - best) / max(1, abs(upper)),
        optimal=bool(optimal),
        seconds=_time.perf_counter() - t0,
        stats=stats,
    )
