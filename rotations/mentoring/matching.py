"""Reverse-mentoring matching: front-line mentors for executive mentees.

Pure optimisation over plain frozen dataclasses (no Django), so it can be proven against
brute force and benchmarked alone. The service layer turns people into ``Mentee`` and
``Mentor`` values and a ``manager_of`` map, and the result back into pairings.

Hard rules (a pair breaking one is never proposed):
  * the mentor is not in the mentee's reporting line at any depth (neither one of the
    managers above them nor one of the reports below them), and not the mentee themself;
  * |mentee UTC offset - mentor UTC offset| <= ``Rules.max_tz_difference_minutes``;
  * not the same department, when ``Rules.forbid_same_department``;
  * the (mentee, mentor) pair is not in ``Rules.previous_pairs``;
  * every mentee gets at most one mentor, every mentor at most ``capacity`` mentees;
  * with ``Rules.min_cross_location_share``: cross-location pairs / all pairs >= target
    (fixed pairs included, an empty matching meets any target).

Score of an allowed pair (see ``pair_score``), all criteria in [0, 1], weights >= 0:
    topic_overlap * |shared topics| / max(1, |mentee topics|)
  + language * [they share a language]
  + different_department * [departments differ]
  + different_location * [locations differ]
rounded to 6 decimals (integer micro-points). Rounding first makes the optimisation exact
integer arithmetic: the solver is optimal for exactly the scores it reports.

Objective (lexicographic): maximise the total score; among matchings with the maximum
total, maximise the number of pairs. Scores are >= 0, so the second key only adds
zero-score pairs the first would leave out; an unmatched mentee is worse than a pair
that costs nothing. Implemented exactly by giving each pair the integer weight
``micro_score * K + 1`` with K larger than any possible number of pairs.

Algorithm:
  * No diversity target: max-weight bipartite b-matching as min-cost flow (OR-tools
    SimpleMinCostFlow, integer costs) on a sparse candidate set (each mentee's best
    few mentors), grown by column generation: LP duals of the sparse optimum are
    rebuilt from its residual graph (Bellman-Ford on difference constraints) and checked
    against every allowed pair of the full dense matrix; a pair whose reduced cost is
    positive joins the candidates and the flow is re-solved. When no pair violates, the
    duals certify optimality for the full problem (the b-matching LP is integral).
  * With a cross-location target the matching polytope plus one side constraint is not
    integral, so: the plain optimum is tried first (if it meets the target, done); an
    exact flow over cross-location pairs only decides whether the target is reachable at
    all (else status "infeasible"); Lagrangian relaxation of the share constraint
    (integer multipliers, each evaluation the exact flow above, Kelley's cutting planes
    with bisection as a fallback) gives an upper bound; a matching meeting the target
    close to that bound comes from giving the first k mentees the multiplier just above
    the best one and the rest the one just below, k bisected; the certified duals at
    both multipliers fix every pair whose reduced cost exceeds the bound gap to 0
    (classic reduced-cost fixing, exact); CP-SAT solves the remaining integer program
    (started from the best matching found, never returning a worse one) and reports
    whether it proved optimality. Often the bound is met exactly and CP-SAT is not needed.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

PersonId = Hashable

SCALE = 1_000_000  # scores are optimised in integer micro-points
SHARE_DENOMINATOR = 1000  # the cross-location target is read to 0.1 %
# Candidates per mentee for the first sparse solve; column generation adds what's missing.
FIRST_CANDIDATES = 24
ADD_PER_ROUND = 16
_INF = np.int64(1 << 60)


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    topic_overlap: float = 1.0
    language: float = 0.5
    different_department: float = 0.5
    different_location: float = 0.5


@dataclass(frozen=True)
class Mentee:
    id: PersonId
    department: str
    location: str
    utc_offset_minutes: int
    topics: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Mentor:
    id: PersonId
    department: str
    location: str
    utc_offset_minutes: int
    topics: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    capacity: int = 1


@dataclass(frozen=True)
class Rules:
    max_tz_difference_minutes: int = 180
    forbid_same_department: bool = False
    previous_pairs: frozenset[tuple[PersonId, PersonId]] = frozenset()  # (mentee, mentor)
    weights: Weights = Weights()
    min_cross_location_share: float | None = None


# --- outputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One criterion's part of a pair's score, for a "why this score" view."""

    criterion: str  # "topic_overlap" | "language" | "different_department" | "different_location"
    value: float  # the criterion in [0, 1]
    weight: float
    contribution: float  # weight * value to 6 decimals; a pair's four add up to its score
    detail: str


@dataclass(frozen=True)
class Pair:
    mentee_id: PersonId
    mentor_id: PersonId
    score: float
    reasons: tuple[Reason, ...]
    shared_topics: frozenset[str]
    shared_languages: frozenset[str]
    cross_location: bool
    fixed: bool = False  # kept as given in ``fixed_pairs``


@dataclass(frozen=True)
class Unmatched:
    mentee_id: PersonId
    reasons: tuple[str, ...]  # the deciding reason first, then how the rules narrowed the field


@dataclass(frozen=True)
class MatchResult:
    pairs: list[Pair]
    unmatched: list[Unmatched]
    total_score: float  # fixed pairs included
    optimal: bool  # proven optimal for the objective above
    status: str  # "optimal" | "feasible" (time limit hit) | "infeasible" (target unreachable)
    seconds: float
    stats: dict = field(default_factory=dict, compare=False)

    @property
    def cross_location_share(self) -> float:
        if not self.pairs:
            return 0.0
        return sum(p.cross_location for p in self.pairs) / len(self.pairs)


# --- scoring and rules, one pair at a time ----------------------------------------------


def pair_score(mentee: Mentee, mentor: Mentor, weights: Weights) -> float:
    """The pair's score exactly as the solver optimises it (6 decimals)."""
    return _micro_score(mentee, mentor, weights) / SCALE


def _micro_score(mentee: Mentee, mentor: Mentor, weights: Weights) -> int:
    # Same operations in the same order as the vectorised _score_block, so the two agree
    # to the last bit (brute-force tests compare them exactly).
    overlap = len(mentee.topics & mentor.topics) / max(1, len(mentee.topics))
    s = weights.topic_overlap * overlap
    s = s + weights.language * float(bool(mentee.languages & mentor.languages))
    s = s + weights.different_department * float(mentee.department != mentor.department)
    s = s + weights.different_location * float(mentee.location != mentor.location)
    return int(round(s * SCALE))


def score_breakdown(mentee: Mentee, mentor: Mentor, weights: Weights) -> tuple[Reason, ...]:
    shared_topics = mentee.topics & mentor.topics
    shared_languages = mentee.languages & mentor.languages
    overlap = len(shared_topics) / max(1, len(mentee.topics))
    parts = [
        (
            "topic_overlap",
            overlap,
            weights.topic_overlap,
            f"shares {len(shared_topics)} of {len(mentee.topics)} topics"
            + (f": {', '.join(sorted(shared_topics))}" if shared_topics else ""),
        ),
        (
            "language",
            float(bool(shared_languages)),
            weights.language,
            f"both speak {', '.join(sorted(shared_languages))}"
            if shared_languages
            else "no language in common",
        ),
        (
            "different_department",
            float(mentee.department != mentor.department),
            weights.different_department,
            f"{mentor.department} mentors {mentee.department}"
            if mentee.department != mentor.department
            else f"both in {mentee.department}",
        ),
        (
            "different_location",
            float(mentee.location != mentor.location),
            weights.different_location,
            f"{mentor.location} mentors {mentee.location}"
            if mentee.location != mentor.location
            else f"both in {mentee.location}",
        ),
    ]
    # Each part rounded to micro-points, the rounding spread (largest remainder first) so the
    # four contributions add up exactly to the pair's score.
    raw = [w * v * SCALE for _, v, w, _ in parts]
    micro = [int(round(r)) for r in raw]
    diff = _micro_score(mentee, mentor, weights) - sum(micro)
    while diff:
        step = 1 if diff > 0 else -1
        k = max(
            (k for k in range(len(parts)) if raw[k] > 0), key=lambda k: step * (raw[k] - micro[k])
        )
        micro[k] += step
        diff -= step
    return tuple(Reason(c, v, w, micro[k] / SCALE, d) for k, (c, v, w, d) in enumerate(parts))


def hard_rule_violations(
    mentee: Mentee, mentor: Mentor, rules: Rules, manager_of: Mapping[PersonId, PersonId | None]
) -> list[str]:
    """Which hard rules forbid this pair (empty: allowed). Capacity is not a pair rule."""
    found = []
    chain = _Ancestry(manager_of)
    if mentee.id == mentor.id:
        found.append("same person")
    elif mentor.id in chain.of(mentee.id):
        found.append("mentor is one of the mentee's managers")
    elif mentee.id in chain.of(mentor.id):
        found.append("mentor reports to the mentee")
    if abs(mentee.utc_offset_minutes - mentor.utc_offset_minutes) > rules.max_tz_difference_minutes:
        found.append("time zones too far apart")
    if rules.forbid_same_department and mentee.department == mentor.department:
        found.append("same department")
    if (mentee.id, mentor.id) in rules.previous_pairs:
        found.append("paired before, in an earlier cycle or earlier in this one")
    return found


def share_target(share: float) -> tuple[int, int]:
    """The target as a fraction a/d (read to 0.1 %): met when d * cross >= a * pairs."""
    if not (0.0 <= share <= 1.0) or math.isnan(share):
        raise ValueError(f"min_cross_location_share must be within [0, 1], not {share}")
    a, d = round(share * SHARE_DENOMINATOR), SHARE_DENOMINATOR
    g = math.gcd(a, d)
    return a // g, d // g


def meets_cross_location_share(cross: int, pairs: int, share: float | None) -> bool:
    if share is None:
        return True
    a, d = share_target(share)
    return d * cross >= a * pairs


# --- the reporting line -----------------------------------------------------------------


class _Ancestry:
    """Everyone above a person, memoised so a whole org costs O(people x depth)."""

    def __init__(self, manager_of: Mapping[PersonId, PersonId | None]):
        self._manager_of = manager_of
        self._above: dict[PersonId, frozenset[PersonId]] = {}

    def of(self, person: PersonId) -> frozenset[PersonId]:
        if person in self._above:
            return self._above[person]
        # Walk up to the first known (or top) person, then fill the path top-down;
        # iterative because real org charts can be deeper than Python's recursion limit.
        path, seen, node = [], set(), person
        while node is not None and node not in self._above:
            if node in seen:
                raise ValueError(f"the reporting lines contain a cycle through {node!r}")
            seen.add(node)
            path.append(node)
            node = self._manager_of.get(node)
        above = self._above[node] | {node} if node is not None else frozenset()
        for p in reversed(path):
            self._above[p] = above
            above = above | {p}
        return self._above[person]


# --- the problem as arrays ---------------------------------------------------------------


@dataclass
class _Problem:
    mentees: Sequence[Mentee]
    mentors: Sequence[Mentor]
    rules: Rules
    free: np.ndarray  # indices of mentees to match (not in fixed pairs)
    spare: np.ndarray  # per mentor: capacity left after fixed pairs
    micro: np.ndarray  # (free, mentors) int64 micro-scores
    allowed: np.ndarray  # (free, mentors) bool: every pair rule holds
    cross: np.ndarray  # (free, mentors) bool: locations differ
    fixed: list[tuple[int, int]]  # (mentee index, mentor index)


def _bitmasks(sets: list[frozenset[str]], vocabulary: dict[str, int]) -> np.ndarray:
    words = max(1, (len(vocabulary) + 63) // 64)
    out = np.zeros((len(sets), words), dtype=np.uint64)
    for row, s in enumerate(sets):
        for item in s:
            bit = vocabulary[item]
            out[row, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    return out


def _codes(values: list, vocabulary: dict) -> np.ndarray:
    return np.array([vocabulary.setdefault(v, len(vocabulary)) for v in values], dtype=np.int64)


def _score_block(ee: dict, er: dict, weights: Weights) -> np.ndarray:
    shared = np.zeros((len(ee["tz"]), len(er["tz"])), dtype=np.int64)
    for w in range(ee["topics"].shape[1]):
        shared += np.bitwise_count(ee["topics"][:, w, None] & er["topics"][None, :, w])
    overlap = shared / np.maximum(1, ee["ntopics"])[:, None].astype(np.float64)
    language = np.zeros(shared.shape, dtype=bool)
    for w in range(ee["languages"].shape[1]):
        language |= (ee["languages"][:, w, None] & er["languages"][None, :, w]) != 0
    s = weights.topic_overlap * overlap
    s = s + weights.language * language.astype(np.float64)
    s = s + weights.different_department * (ee["dept"][:, None] != er["dept"][None, :])
    s = s + weights.different_location * (ee["loc"][:, None] != er["loc"][None, :])
    return np.rint(s * SCALE).astype(np.int64)


def _encode(people: Sequence, topics: dict, languages: dict, depts: dict, locs: dict) -> dict:
    return {
        "topics": _bitmasks([p.topics for p in people], topics),
        "ntopics": np.array([len(p.topics) for p in people], dtype=np.int64),
        "languages": _bitmasks([p.languages for p in people], languages),
        "dept": _codes([p.department for p in people], depts),
        "loc": _codes([p.location for p in people], locs),
        "tz": np.array([p.utc_offset_minutes for p in people], dtype=np.int64),
    }


def _validate(mentees, mentors, rules: Rules, fixed_pairs) -> None:
    for kind, people in (("mentee", mentees), ("mentor", mentors)):
        ids = [p.id for p in people]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate {kind} ids")
    for m in mentors:
        if m.capacity < 0:
            raise ValueError(f"mentor {m.id!r} has a negative capacity")
    for name in ("topic_overlap", "language", "different_department", "different_location"):
        w = getattr(rules.weights, name)
        if not (math.isfinite(w) and 0 <= w <= 1000):
            raise ValueError(f"weight {name} must be a number in [0, 1000], not {w}")
    if rules.min_cross_location_share is not None:
        share_target(rules.min_cross_location_share)
    mentee_ids = {p.id for p in mentees}
    mentor_ids = {p.id for p in mentors}
    seen = set()
    for mentee_id, mentor_id in fixed_pairs:
        if mentee_id not in mentee_ids or mentor_id not in mentor_ids:
            raise ValueError(f"fixed pair {(mentee_id, mentor_id)!r} names an unknown person")
        if mentee_id in seen:
            raise ValueError(f"mentee {mentee_id!r} is in two fixed pairs")
        seen.add(mentee_id)


def _build(mentees, mentors, manager_of, rules: Rules, fixed_pairs) -> _Problem:
    mentee_at = {p.id: i for i, p in enumerate(mentees)}
    mentor_at = {p.id: j for j, p in enumerate(mentors)}
    fixed = [(mentee_at[a], mentor_at[b]) for a, b in fixed_pairs]
    spare = np.array([m.capacity for m in mentors], dtype=np.int64)
    for _, j in fixed:
        spare[j] -= 1
    if (spare < 0).any():
        raise ValueError("fixed pairs exceed a mentor's capacity")
    taken = {i for i, _ in fixed}
    free = np.array([i for i in range(len(mentees)) if i not in taken], dtype=np.int64)
    free_mentees = [mentees[i] for i in free]

    vocab: tuple[dict, ...] = ({}, {}, {}, {})
    for p in [*mentees, *mentors]:
        for t in p.topics:
            vocab[0].setdefault(t, len(vocab[0]))
        for lang in p.languages:
            vocab[1].setdefault(lang, len(vocab[1]))
    ee = _encode(free_mentees, *vocab)
    er = _encode(mentors, *vocab)

    n, m = len(free), len(mentors)
    micro = np.zeros((n, m), dtype=np.int64)
    allowed = np.zeros((n, m), dtype=bool)
    block = max(1, 2_000_000 // max(1, m))  # bounds the temporaries to a few tens of MB
    for lo in range(0, n, block):
        rows = slice(lo, min(n, lo + block))
        eb = {k: v[rows] for k, v in ee.items()}
        micro[rows] = _score_block(eb, er, rules.weights)
        ok = np.abs(eb["tz"][:, None] - er["tz"][None, :]) <= rules.max_tz_difference_minutes
        if rules.forbid_same_department:
            ok &= eb["dept"][:, None] != er["dept"][None, :]
        allowed[rows] = ok
    cross = ee["loc"][:, None] != er["loc"][None, :]

    # The reporting line and earlier pairs are sparse exceptions: a few per person.
    row_of = {mentees[i].id: r for r, i in enumerate(free)}
    for r, i in _chain_exceptions(free_mentees, mentors, manager_of, row_of, mentor_at):
        allowed[r, i] = False
    for mentee_id, mentor_id in rules.previous_pairs:
        if mentee_id in row_of and mentor_id in mentor_at:
            allowed[row_of[mentee_id], mentor_at[mentor_id]] = False
    allowed &= spare[None, :] > 0
    return _Problem(mentees, mentors, rules, free, spare, micro, allowed, cross, fixed)


def _chain_exceptions(free_mentees, mentors, manager_of, row_of, mentor_at):
    """(row, mentor) pairs in one reporting line: each side's ancestors that are the other."""
    chain = _Ancestry(manager_of)
    for r, p in enumerate(free_mentees):
        if p.id in mentor_at:
            yield r, mentor_at[p.id]
        for a in chain.of(p.id):
            if a in mentor_at:
                yield r, mentor_at[a]
    for j, p in enumerate(mentors):
        for a in chain.of(p.id):
            if a in row_of:
                yield row_of[a], j


# --- exact b-matching by min-cost flow + certified column generation --------------------


@dataclass
class _Assignment:
    mentor_of_row: np.ndarray  # mentor index per free row, -1 unmatched
    u: np.ndarray  # duals per row
    v: np.ndarray  # duals per mentor
    value: int  # total weight
    rounds: int
    candidates: int
    chosen: np.ndarray | None = None  # (rows, mentors) bool: the final candidate pairs


class _TooLarge(Exception):
    """Weights too large for the flow's 64-bit cost arithmetic."""


def _check_range(weight: np.ndarray, usable: np.ndarray, nodes: int) -> None:
    # The flow scales costs by about the number of nodes; totals must fit too.
    biggest = int(np.abs(weight[usable]).max()) if usable.any() else 0
    if biggest * (nodes + 1) * 4 >= 1 << 62:
        raise _TooLarge


def _solve_flow(rows, cols, w, n, spare) -> np.ndarray:
    m = len(spare)
    sink = n + m
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([rows, np.arange(n), n + np.arange(m)])
    heads = np.concatenate([n + cols, np.full(n, sink), np.full(m, sink)])
    caps = np.concatenate([np.ones(len(rows) + n, dtype=np.int64), spare])
    costs = np.concatenate([-w, np.zeros(n + m, dtype=np.int64)])
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_nodes_supplies(
        np.arange(n + m + 1),
        np.concatenate([np.ones(n, dtype=np.int64), np.zeros(m, dtype=np.int64), [-n]]),
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    used = flow.flows(arcs[: len(rows)]) > 0
    mentor_of_row = np.full(n, -1, dtype=np.int64)
    mentor_of_row[rows[used]] = cols[used]
    return mentor_of_row


def _duals(rows, cols, w, mentor_of_row, spare) -> tuple[np.ndarray, np.ndarray]:
    """LP duals (u >= 0 per mentee, v >= 0 per mentor) satisfying complementary slackness
    with the given optimum on the candidate arcs, as shortest paths over difference
    constraints: v[a] <= v[k] + w[i,a] - w[i,k] when row i holds a and could take k,
    v[k] >= w[i,k] when i is unmatched, v = 0 at mentors with room, 0 <= v[a] <= w[i,a]."""
    n, m = len(mentor_of_row), len(spare)
    root = m
    held = mentor_of_row[rows]
    matched = held >= 0
    load = np.bincount(mentor_of_row[mentor_of_row >= 0], minlength=m)
    held_w = np.zeros(n, dtype=np.int64)
    is_held = matched & (held == cols)
    held_w[rows[is_held]] = w[is_held]
    other = matched & ~is_held
    open_ = np.flatnonzero(load < spare)
    full_rows = np.flatnonzero(mentor_of_row >= 0)
    src = np.concatenate(
        [
            cols[other],
            cols[~matched],
            np.full(len(full_rows), root),
            np.full(len(open_), root),
            np.arange(m),
        ]
    )
    dst = np.concatenate(
        [
            held[other],
            np.full(int((~matched).sum()), root),
            mentor_of_row[full_rows],
            open_,
            np.full(m, root),
        ]
    )
    length = np.concatenate(
        [
            held_w[rows[other]] - w[other],
            -w[~matched],
            held_w[full_rows],
            np.zeros(len(open_) + m, dtype=np.int64),
        ]
    )
    d = _bellman_ford(src, dst, length, m + 1, root)
    v = d[:m]
    u = np.zeros(n, dtype=np.int64)
    u[full_rows] = held_w[full_rows] - v[mentor_of_row[full_rows]]
    return u, v


def _bellman_ford(src, dst, length, nodes, source) -> np.ndarray:
    order = np.argsort(dst, kind="stable")
    src, dst, length = src[order], dst[order], length[order]
    heads, starts = np.unique(dst, return_index=True)
    d = np.full(nodes, _INF, dtype=np.int64)
    d[source] = 0
    for _ in range(nodes + 1):
        reach = d[src]
        via = np.where(reach >= _INF, _INF, reach + length)
        best = np.minimum.reduceat(via, starts)
        better = best < d[heads]
        if not better.any():
            return d
        d[heads[better]] = best[better]
    raise RuntimeError("negative cycle in the dual graph: the flow was not optimal")


def _top_candidates(
    weight: np.ndarray, usable: np.ndarray, k: int, jitter: np.ndarray
) -> np.ndarray:
    n, m = weight.shape
    chosen = np.zeros((n, m), dtype=bool)
    if m == 0 or n == 0:
        return chosen
    k = min(k, m)
    # Jitter (< 1 weight unit) spreads ties so mentees don't all crowd the same mentors.
    key = np.where(usable, weight + jitter, -np.inf)
    top = np.argpartition(-key, k - 1, axis=1)[:, :k]
    chosen[np.arange(n)[:, None], top] = True
    return chosen & usable


def _assign(
    weight: np.ndarray,
    usable: np.ndarray,
    spare: np.ndarray,
    jitter: np.ndarray,
    start: np.ndarray | None = None,
) -> _Assignment:
    """Max-weight b-matching over ``usable`` pairs (only positive weights matter: an
    unmatched mentee is worth 0), proven optimal by duals checked against every pair.
    ``start``: candidate pairs to begin with (a warm start from a similar solve)."""
    usable = usable & (weight > 0)
    n = weight.shape[0]
    _check_range(weight, usable, n + len(spare) + 1)
    chosen = _top_candidates(weight, usable, FIRST_CANDIDATES, jitter)
    if start is not None:
        chosen |= start & usable
    rounds = 0
    while True:
        rounds += 1
        rows, cols = np.nonzero(chosen)
        w = weight[rows, cols]
        mentor_of_row = _solve_flow(rows, cols, w, n, spare)
        u, v = _duals(rows, cols, w, mentor_of_row, spare)
        slack = u[:, None] + v[None, :] - weight
        violated = usable & (slack < 0)
        if (violated & chosen).any():  # complementary slackness broken: never expected
            raise RuntimeError("the rebuilt duals are infeasible on a candidate pair")
        if not violated.any():
            value = int(w[mentor_of_row[rows] == cols].sum())
            return _Assignment(mentor_of_row, u, v, value, rounds, len(rows), chosen)
        # Add each mentee's most violated pairs; their number bounds the next flow's size.
        chosen |= _top_candidates(-slack, violated, ADD_PER_ROUND, jitter)


# --- the diversity target ---------------------------------------------------------------

# Above this many pairs left after reduced-cost fixing, the integer program is not tried:
# the best matching found meeting the target is returned, not proven optimal.
MAX_CP_SAT_PAIRS = 400_000


@dataclass
class _Search:
    best_ub: int | None = None
    best_lb: int = -1
    incumbent: np.ndarray | None = None  # best matching found that meets the target
    evaluations: int = 0

    @property
    def proven(self) -> bool:
        """The best matching found meets the best upper bound: nothing better exists."""
        return self.best_ub is not None and self.best_lb >= self.best_ub


def _with_target(
    p: _Problem, weight: np.ndarray, jitter: np.ndarray, time_limit: float, started: float
):
    """Returns (mentor per free row or None if the target can't be met, proven optimal?, stats).

    Maximise w.x over b-matchings x with g.x + F >= 0, where per pair g = d*cross - a (the
    target is a/d) and F is the fixed pairs' part. Every lam >= 0 gives the upper bound
    L(lam) = max_x (w + lam g).x + lam F, an exact flow; its certified duals (u, v) give
    each pair a reduced cost r >= 0 with w.x <= L(lam) - sum of r over x's pairs for any x
    meeting the target. So a pair whose r exceeds L(lam) - (a known feasible value) is in
    no better matching, and CP-SAT only sees the pairs that survive."""
    share = p.rules.min_cross_location_share
    assert share is not None  # only called with a target
    a, d = share_target(share)
    g = np.where(p.cross, d - a, -a).astype(np.int64)
    fixed_cross = sum(p.mentees[i].location != p.mentors[j].location for i, j in p.fixed)
    fixed_slack = d * fixed_cross - a * len(p.fixed)
    usable = p.allowed
    n = weight.shape[0]
    s = _Search()
    warm: list = [None]

    def consider(x: np.ndarray) -> int:
        rows = np.flatnonzero(x >= 0)
        slack = int(g[rows, x[rows]].sum()) + fixed_slack
        if slack >= 0:
            value = int(weight[rows, x[rows]].sum())
            if value > s.best_lb:
                s.best_lb, s.incumbent = value, x.copy()
        return slack

    def evaluate(lam) -> tuple[_Assignment, int]:
        """lam: one multiplier (then L(lam) is a bound) or one per row (a heuristic)."""
        lam = np.asarray(lam, dtype=np.int64)
        res = _assign(
            weight + (lam[:, None] if lam.ndim else lam) * g, usable, p.spare, jitter, warm[0]
        )
        warm[0] = res.chosen
        s.evaluations += 1
        slack = consider(res.mentor_of_row)
        if not lam.ndim:
            bound = res.value + int(lam) * fixed_slack
            if s.best_ub is None or bound < s.best_ub:
                s.best_ub = bound
        return res, slack

    def stats(**more) -> dict:
        gap = None if s.best_ub is None or s.incumbent is None else max(0, s.best_ub - s.best_lb)
        return {"evaluations": s.evaluations, "gap": gap, **more}

    def out_of_time(share: float = 0.5) -> bool:
        return time.perf_counter() - started > time_limit * share

    res0, slack0 = evaluate(0)
    if slack0 >= 0:  # the target doesn't bind: the plain optimum meets it
        return s.incumbent, True, stats(kept_pairs=0)

    # The most slack there is: as many cross-location pairs as possible, nothing else.
    most = _assign(p.cross.astype(np.int64), usable & p.cross, p.spare, jitter)
    s.evaluations += 1
    if (d - a) * most.value + fixed_slack < 0:
        return None, True, stats(kept_pairs=0)
    consider(most.mentor_of_row)

    try:
        lo, lo_res, lo_slack = 0, res0, slack0
        # From here on no same-location pair has a positive weight; grow until the
        # multiplier's matching meets the target (it must: the target is reachable).
        w_max = int(weight[usable].max())
        hi = max(1, (w_max + 1) // max(1, a) + 1)
        while True:
            hi_res, hi_slack = evaluate(hi)
            if hi_slack >= 0:
                break
            lo, lo_res, lo_slack = hi, hi_res, hi_slack
            hi *= 4
        # L is convex and piecewise linear in lam, with slope g.x + F at the matching x
        # found at lam: Kelley's cutting planes, bisection when they stall.
        kelley = True
        while hi - lo > 1 and not s.proven and not out_of_time():
            width = hi - lo
            if kelley:
                lo_l = lo_res.value + lo * fixed_slack
                hi_l = hi_res.value + hi * fixed_slack
                cross_at = (hi_l - lo_l + lo_slack * lo - hi_slack * hi) / (lo_slack - hi_slack)
                lam = min(hi - 1, max(lo + 1, round(cross_at)))
            else:
                lam = (lo + hi) // 2
            res, slack = evaluate(lam)
            if slack < 0:
                lo, lo_res, lo_slack = lam, res, slack
            else:
                hi, hi_res, hi_slack = lam, res, slack
            kelley = hi - lo <= width // 2
        # A feasible matching close to the bound: multiplier hi for the first k rows and
        # lo for the rest, k bisected so the slack just turns non-negative.
        k_lo, k_hi = 0, n
        below = np.arange(n)
        while hi - lo == 1 and k_hi - k_lo > 1 and not s.proven and not out_of_time():
            k = (k_lo + k_hi) // 2
            _, slack = evaluate(np.where(below < k, hi, lo))
            if slack < 0:
                k_lo = k
            else:
                k_hi = k
    except _TooLarge:  # huge weights: no bounds, CP-SAT over every allowed pair
        x, optimal = _cp_sat(
            weight,
            g,
            usable,
            p.spare,
            fixed_slack,
            s.incumbent,
            s.best_lb,
            time_limit - (time.perf_counter() - started),
        )
        return x, optimal, stats(kept_pairs=int(usable.sum()))

    if s.proven:
        return s.incumbent, True, stats(kept_pairs=0, lam=int(hi))

    # Reduced-cost fixing with both multipliers' certified duals.
    keep = usable & (weight > 0)
    for lam, res in ((lo, lo_res), (hi, hi_res)):
        bound = res.value + lam * fixed_slack
        reduced = res.u[:, None] + res.v[None, :] - (weight + lam * g)
        keep &= reduced <= bound - s.best_lb
        del reduced
    kept = int(keep.sum())
    if kept > MAX_CP_SAT_PAIRS:
        return s.incumbent, False, stats(kept_pairs=kept, lam=int(hi))
    x, optimal = _cp_sat(
        weight,
        g,
        keep,
        p.spare,
        fixed_slack,
        s.incumbent,
        s.best_lb,
        time_limit - (time.perf_counter() - started),
    )
    return x, optimal, stats(kept_pairs=kept, lam=int(hi))


def _cp_sat(
    weight, g, keep, spare, fixed_slack, incumbent, lower, seconds
) -> tuple[np.ndarray, bool]:
    """The target problem as an integer program over the ``keep`` pairs, started from the
    incumbent (which meets the target and is worth ``lower``); never returns worse."""
    rows, cols = np.nonzero(keep)
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(rows))]
    by_row: dict[int, list] = {}
    by_col: dict[int, list] = {}
    for var, r, c in zip(x, rows.tolist(), cols.tolist(), strict=True):
        by_row.setdefault(r, []).append(var)
        by_col.setdefault(c, []).append(var)
    for vars_ in by_row.values():
        model.add_at_most_one(vars_)
    for c, vars_ in by_col.items():
        if len(vars_) > spare[c]:
            model.add(sum(vars_) <= int(spare[c]))
    model.add(cp_model.LinearExpr.weighted_sum(x, g[rows, cols].tolist()) >= -fixed_slack)
    objective = cp_model.LinearExpr.weighted_sum(x, weight[rows, cols].tolist())
    model.maximize(objective)
    if incumbent is not None:
        model.add(objective >= lower)  # an optimum is at least as good as the incumbent
        for var, r, c in zip(x, rows.tolist(), cols.tolist(), strict=True):
            model.add_hint(var, bool(incumbent[r] == c))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(1.0, seconds)
    solver.parameters.num_workers = min(8, max(2, os.cpu_count() or 2))
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return incumbent, False
    chosen = np.array([solver.boolean_value(var) for var in x], dtype=bool)
    mentor_of_row = np.full(weight.shape[0], -1, dtype=np.int64)
    mentor_of_row[rows[chosen]] = cols[chosen]
    found = int(weight[rows[chosen], cols[chosen]].sum())
    if incumbent is not None and found < lower:
        return incumbent, False
    return mentor_of_row, status == cp_model.OPTIMAL


# --- explaining the unmatched -----------------------------------------------------------


def _utc(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _span(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    if m == 0:
        return f"{h} h"
    return f"{h} h {m} min" if h else f"{m} min"


def _mentor_columns(p: _Problem) -> dict:
    """What the funnel needs of every mentor, once for all the unmatched."""
    mentor_at = {r.id: j for j, r in enumerate(p.mentors)}
    previous: dict = {}
    for mentee_id, mentor_id in p.rules.previous_pairs:
        if mentor_id in mentor_at:
            previous.setdefault(mentee_id, []).append(mentor_at[mentor_id])
    return {
        "tz": np.array([r.utc_offset_minutes for r in p.mentors], dtype=np.int64),
        "dept": np.array([r.department for r in p.mentors], dtype=object),
        "previous": previous,
    }


def _unmatched_reasons(
    p: _Problem, row: int, load: np.ndarray, target_binds: bool, columns: dict | None = None
) -> tuple[str, ...]:
    """The narrowing funnel for one mentee: each hard rule in turn, then capacity."""
    rules, mentee = p.rules, p.mentees[p.free[row]]
    if not p.mentors:
        return ("there are no mentors in this cycle",)
    columns = columns or _mentor_columns(p)
    tz = columns["tz"]
    left = np.abs(tz - mentee.utc_offset_minutes) <= rules.max_tz_difference_minutes
    within = f"within {_span(rules.max_tz_difference_minutes)} of {_utc(mentee.utc_offset_minutes)}"
    funnel = [f"{int(left.sum())} of {len(p.mentors)} mentors are {within}"]
    if not left.any():
        return (f"no mentor {within}", *funnel)
    if rules.forbid_same_department:
        left &= columns["dept"] != mentee.department
        funnel.append(f"{int(left.sum())} of them are outside {mentee.department}")
        if not left.any():
            return (
                f"every mentor {within} is in their own department ({mentee.department})",
                *funnel,
            )
    pair_ok = p.allowed[row] | (p.spare <= 0)  # capacity is judged last, not here
    previous = np.zeros(len(p.mentors), dtype=bool)
    previous[columns["previous"].get(mentee.id, [])] = True
    in_chain = left & ~pair_ok & ~previous
    left &= ~in_chain
    funnel.append(f"{int(left.sum())} of them are outside their reporting line")
    if not left.any():
        return ("every eligible mentor is in their reporting line", *funnel)
    left &= ~previous
    funnel.append(f"{int(left.sum())} of them were not their mentor before")
    if not left.any():
        return (
            "every eligible mentor has been paired with them before, in an earlier cycle or earlier in this one",
            *funnel,
        )
    eligible = int(left.sum())
    if target_binds and (left & (load < p.spare)).any():
        return (
            "pairing them with an eligible mentor would take the cross-location share "
            "below the target",
            *funnel,
        )
    if not (left & (p.spare > 0)).any():
        plural = (
            "the eligible mentor has" if eligible == 1 else f"all {eligible} eligible mentors have"
        )
        return (f"{plural} no capacity this cycle", *funnel)
    plural = "the eligible mentor is" if eligible == 1 else f"all {eligible} eligible mentors are"
    return (f"{plural} at capacity with higher-scoring pairs", *funnel)


# --- the entry point --------------------------------------------------------------------


def match(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    manager_of: Mapping[PersonId, PersonId | None],
    rules: Rules,
    *,
    fixed_pairs: Iterable[tuple[PersonId, PersonId]] = (),
    time_limit_seconds: float = 60.0,
) -> MatchResult:
    """Pairs mentees with mentors, optimally for the module's objective.

    ``manager_of`` maps each person to their manager (None or absent at the top) and must
    cover everyone between mentees and mentors in the org chart. ``fixed_pairs`` (mentee,
    mentor) are kept as given, even if the rules have changed since, and use capacity:
    to replace a departed mentor, pass the other pairs as fixed and the mentors without
    them. The time limit applies only to the search for a diversity target (half of it
    to the bounds, the rest to the integer program). Raises ValueError for duplicate ids,
    unknown or over-capacity fixed pairs, bad weights or target, a cycle in the reporting
    lines, and weights so large that the integer scores would overflow 64 bits."""
    started = time.perf_counter()
    fixed_pairs = list(fixed_pairs)
    _validate(mentees, mentors, rules, fixed_pairs)
    p = _build(mentees, mentors, manager_of, rules, fixed_pairs)
    n, m = p.micro.shape
    # K > the number of pairs that can be added makes "score, then more pairs" one weight.
    weight = p.micro * (n + 1) + 1
    jitter = np.random.default_rng(0).random((n, m)) * 0.5
    stats: dict = {}
    target = rules.min_cross_location_share
    status = "optimal"
    target_binds = False
    try:
        if target is None or share_target(target)[0] == 0:
            res = _assign(weight, p.allowed, p.spare, jitter)
            mentor_of_row, optimal = res.mentor_of_row, True
            stats = {"rounds": res.rounds, "candidates": res.candidates}
        else:
            mentor_of_row, optimal, stats = _with_target(
                p, weight, jitter, time_limit_seconds, started
            )
            target_binds = stats.get("evaluations", 1) > 1
            if mentor_of_row is None:
                status = "infeasible"
                mentor_of_row = np.full(n, -1, dtype=np.int64)
            elif not optimal:
                status = "feasible"
    except _TooLarge:
        raise ValueError(
            "the weights are too large for this many people: "
            "scale them down (their ratios are what matters)"
        ) from None
    return _result(p, mentor_of_row, optimal, status, target_binds, started, stats)


def _result(
    p: _Problem, mentor_of_row, optimal, status, target_binds, started, stats
) -> MatchResult:
    weights = p.rules.weights
    by_mentee = {i: (j, True) for i, j in p.fixed}
    for row, j in enumerate(mentor_of_row.tolist()):
        if j >= 0:
            by_mentee[int(p.free[row])] = (j, False)
    pairs = []
    for i in sorted(by_mentee):
        j, fixed = by_mentee[i]
        ee, er = p.mentees[i], p.mentors[j]
        pairs.append(
            Pair(
                ee.id,
                er.id,
                pair_score(ee, er, weights),
                score_breakdown(ee, er, weights),
                ee.topics & er.topics,
                ee.languages & er.languages,
                ee.location != er.location,
                fixed,
            )
        )
    load = np.bincount(mentor_of_row[mentor_of_row >= 0], minlength=len(p.mentors))
    unmatched = []
    columns = _mentor_columns(p) if p.mentors and (mentor_of_row < 0).any() else None
    for row in np.flatnonzero(mentor_of_row < 0).tolist():
        mentee = p.mentees[p.free[row]]
        if status == "infeasible":
            reasons: tuple[str, ...] = (
                "the cross-location target cannot be met with the fixed pairs",
            )
        else:
            reasons = _unmatched_reasons(p, row, load, target_binds, columns)
        unmatched.append(Unmatched(mentee.id, reasons))
    total = sum(
        _micro_score(p.mentees[i], p.mentors[j], weights) for i, (j, _) in by_mentee.items()
    )
    return MatchResult(
        pairs, unmatched, total / SCALE, optimal, status, time.perf_counter() - started, stats
    )
