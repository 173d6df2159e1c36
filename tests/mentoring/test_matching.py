"""The reverse-mentoring matcher against brute force, SciPy and its own hard rules.

Pure optimisation (rotations.mentoring.matching): no database. The reference code
here is written independently of the module: its own scoring formula, its own walk up
the manager chain, its own enumeration of every feasible assignment.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from rotations.mentoring.matching import (
    MatchResult,
    Mentee,
    Mentor,
    Rules,
    Weights,
    hard_rule_violations,
    match,
    meets_cross_location_share,
    pair_score,
    score_breakdown,
)

# The conftest's autouse fixtures are function-scoped; they don't matter to pure code.
FAST = dict(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

TOPICS = [f"topic-{i}" for i in range(6)]
LANGUAGES = ["en", "fr", "es"]


# --- independent reference ---------------------------------------------------------------


def ref_micro(mentee: Mentee, mentor: Mentor, w: Weights) -> int:
    """The documented score in integer micro-points."""
    s = w.topic_overlap * (len(mentee.topics & mentor.topics) / max(1, len(mentee.topics)))
    s = s + w.language * (1.0 if mentee.languages & mentor.languages else 0.0)
    s = s + w.different_department * (1.0 if mentee.department != mentor.department else 0.0)
    s = s + w.different_location * (1.0 if mentee.location != mentor.location else 0.0)
    return int(round(s * 1_000_000))


def managers_above(person, manager_of) -> list:
    out, node = [], manager_of.get(person)
    while node is not None:
        assert len(out) <= len(manager_of), "cycle in a generated org chart"
        out.append(node)
        node = manager_of.get(node)
    return out


def ref_allowed(mentee: Mentee, mentor: Mentor, rules: Rules, manager_of) -> bool:
    if mentee.id == mentor.id:
        return False
    if mentor.id in managers_above(mentee.id, manager_of):
        return False
    if mentee.id in managers_above(mentor.id, manager_of):
        return False
    if abs(mentee.utc_offset_minutes - mentor.utc_offset_minutes) > rules.max_tz_difference_minutes:
        return False
    if rules.forbid_same_department and mentee.department == mentor.department:
        return False
    return (mentee.id, mentor.id) not in rules.previous_pairs


def share_ok(cross: int, pairs: int, share: float | None) -> bool:
    """cross / pairs >= share read to 0.1 %; an empty matching meets any target."""
    if share is None or pairs == 0:
        return True
    return cross * 1000 >= round(share * 1000) * pairs


def brute_force(mentees, mentors, manager_of, rules, fixed=()):
    """Best (total micro-score, number of pairs) over every feasible assignment, or None."""
    fixed = dict(fixed)
    load = {r.id: 0 for r in mentors}
    for mentor_id in fixed.values():
        load[mentor_id] += 1
    by_id = {p.id: p for p in [*mentees, *mentors]}
    mentor_by_id = {r.id: r for r in mentors}
    fixed_score = sum(
        ref_micro(by_id_ee, mentor_by_id[fixed[by_id_ee.id]], rules.weights)
        for by_id_ee in mentees
        if by_id_ee.id in fixed
    )
    fixed_cross = sum(
        ee.location != mentor_by_id[fixed[ee.id]].location for ee in mentees if ee.id in fixed
    )
    free = [ee for ee in mentees if ee.id not in fixed]
    options = [
        [None] + [r for r in mentors if ref_allowed(ee, r, rules, manager_of)] for ee in free
    ]
    best = None
    for choice in itertools.product(*options):
        used = dict(load)
        ok = True
        for r in choice:
            if r is not None:
                used[r.id] += 1
                if used[r.id] > r.capacity:
                    ok = False
                    break
        if not ok:
            continue
        pairs = [(ee, r) for ee, r in zip(free, choice, strict=True) if r is not None]
        cross = fixed_cross + sum(ee.location != r.location for ee, r in pairs)
        if not share_ok(cross, len(pairs) + len(fixed), rules.min_cross_location_share):
            continue
        key = (
            fixed_score + sum(ref_micro(ee, r, rules.weights) for ee, r in pairs),
            len(pairs) + len(fixed),
        )
        if best is None or key > best:
            best = key
    del by_id
    return best


def result_key(res: MatchResult, mentees, mentors, weights):
    ee = {p.id: p for p in mentees}
    er = {p.id: p for p in mentors}
    return (
        sum(ref_micro(ee[p.mentee_id], er[p.mentor_id], weights) for p in res.pairs),
        len(res.pairs),
    )


def assert_valid(res: MatchResult, mentees, mentors, manager_of, rules, fixed=()):
    """Every hard rule, checked independently of the solver."""
    fixed = dict(fixed)
    ee = {p.id: p for p in mentees}
    er = {p.id: p for p in mentors}
    matched = [p.mentee_id for p in res.pairs]
    assert len(matched) == len(set(matched)), "a mentee has two mentors"
    load: dict = {}
    for p in res.pairs:
        load[p.mentor_id] = load.get(p.mentor_id, 0) + 1
        if p.mentee_id in fixed:
            assert p.fixed and fixed[p.mentee_id] == p.mentor_id
            continue
        assert not p.fixed
        mentee, mentor = ee[p.mentee_id], er[p.mentor_id]
        assert ref_allowed(mentee, mentor, rules, manager_of), (p.mentee_id, p.mentor_id)
        assert hard_rule_violations(mentee, mentor, rules, manager_of) == []
        assert p.score == ref_micro(mentee, mentor, rules.weights) / 1_000_000
        assert p.cross_location == (mentee.location != mentor.location)
    for mentor_id, n in load.items():
        assert n <= er[mentor_id].capacity, f"mentor {mentor_id} over capacity"
    assert set(fixed) <= set(matched), "a fixed pair was dropped"
    unmatched = [u.mentee_id for u in res.unmatched]
    assert sorted(map(str, matched + unmatched)) == sorted(str(p.id) for p in mentees)
    for u in res.unmatched:
        assert u.reasons and all(isinstance(r, str) and r for r in u.reasons)
    total = sum(ref_micro(ee[p.mentee_id], er[p.mentor_id], rules.weights) for p in res.pairs)
    assert round(res.total_score * 1_000_000) == total
    if rules.min_cross_location_share is not None and res.status != "infeasible":
        cross = sum(p.cross_location for p in res.pairs)
        assert share_ok(cross, len(res.pairs), rules.min_cross_location_share)
        assert meets_cross_location_share(cross, len(res.pairs), rules.min_cross_location_share)


# --- random instances ---------------------------------------------------------------------


def random_org(rng: random.Random, people: list, extra: int) -> dict:
    """A random forest: each person's manager comes earlier in a random order."""
    everyone = list(dict.fromkeys(people)) + [f"boss-{i}" for i in range(extra)]
    rng.shuffle(everyone)
    manager_of = {}
    for k, person in enumerate(everyone):
        if k and rng.random() < 0.8:
            manager_of[person] = everyone[rng.randrange(k)]
        elif rng.random() < 0.5:
            manager_of[person] = None
    return manager_of


def random_instance(
    seed: int,
    n: int,
    m: int,
    *,
    max_capacity: int = 2,
    shared_ids: bool = True,
    integer_weights: bool = False,
):
    rng = random.Random(seed)
    depts = ["ops", "sales", "eng"][: rng.randint(1, 3)]
    locs = ["paris", "lima", "pune"][: rng.randint(1, 3)]
    zones = [0, 60, 180, 240, 600]

    def person(kind, i):
        return dict(
            id=f"{kind}{i}",
            department=rng.choice(depts),
            location=rng.choice(locs),
            utc_offset_minutes=rng.choice(zones),
            topics=frozenset(rng.sample(TOPICS, rng.randint(0, 3))),
            languages=frozenset(rng.sample(LANGUAGES, rng.randint(0, 2))),
        )

    mentees = [Mentee(**person("e", i)) for i in range(n)]
    mentors = []
    for j in range(m):
        attrs = person("r", j)
        if shared_ids and mentees and rng.random() < 0.15:
            attrs["id"] = rng.choice(mentees).id  # someone both mentee and mentor
        if attrs["id"] in {r.id for r in mentors}:
            attrs["id"] = f"r{j}"
        capacity = 0 if rng.random() < 0.1 else rng.randint(1, max_capacity)
        mentors.append(Mentor(**attrs, capacity=capacity))
    manager_of = random_org(rng, [p.id for p in [*mentees, *mentors]], extra=rng.randint(0, 3))
    previous = frozenset((ee.id, r.id) for ee in mentees for r in mentors if rng.random() < 0.1)
    if integer_weights:
        weights = Weights(*(rng.choice([0.0, 0.5, 1.0, 2.0]) for _ in range(4)))
    else:
        weights = Weights(*(rng.choice([0.0, 0.25, 1 / 3, 0.5, 1.0, 1.7]) for _ in range(4)))
    rules = Rules(
        max_tz_difference_minutes=rng.choice([0, 60, 180, 300, 720, 720]),
        forbid_same_department=rng.random() < 0.3,
        previous_pairs=previous,
        weights=weights,
    )
    return mentees, mentors, manager_of, rules, rng


def random_fixed(rng: random.Random, mentees, mentors) -> list:
    room = {r.id: r.capacity for r in mentors}
    fixed = []
    for ee in mentees:
        if rng.random() < 0.2:
            options = [r for r, c in room.items() if c > 0]
            if options:
                r = rng.choice(options)
                room[r] -= 1
                fixed.append((ee.id, r))
    return fixed


# --- optimal against brute force --------------------------------------------------------


@settings(max_examples=800, **FAST)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 6),
    m=st.integers(0, 4),
    with_fixed=st.booleans(),
)
def test_optimal_against_brute_force(seed, n, m, with_fixed):
    mentees, mentors, manager_of, rules, rng = random_instance(seed, n, m)
    fixed = random_fixed(rng, mentees, mentors) if with_fixed else []
    res = match(mentees, mentors, manager_of, rules, fixed_pairs=fixed)
    assert_valid(res, mentees, mentors, manager_of, rules, fixed)
    assert res.status == "optimal" and res.optimal
    assert result_key(res, mentees, mentors, rules.weights) == brute_force(
        mentees, mentors, manager_of, rules, fixed
    )


@settings(max_examples=1000, **FAST)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 6),
    m=st.integers(0, 4),
    share=st.sampled_from([0.0, 0.2, 1 / 3, 0.4, 0.5, 0.6, 2 / 3, 0.75, 0.999, 1.0]),
    with_fixed=st.booleans(),
)
def test_optimal_with_cross_location_target_against_brute_force(seed, n, m, share, with_fixed):
    mentees, mentors, manager_of, rules, rng = random_instance(seed, n, m)
    rules = replace(rules, min_cross_location_share=share)
    fixed = random_fixed(rng, mentees, mentors) if with_fixed else []
    res = match(mentees, mentors, manager_of, rules, fixed_pairs=fixed)
    expected = brute_force(mentees, mentors, manager_of, rules, fixed)
    if expected is None:
        assert res.status == "infeasible"
        assert [(p.mentee_id, p.mentor_id) for p in res.pairs] == sorted(
            fixed, key=lambda f: [e.id for e in mentees].index(f[0])
        )
        assert all(u.reasons for u in res.unmatched)
        return
    assert res.status == "optimal" and res.optimal, res.stats
    assert_valid(res, mentees, mentors, manager_of, rules, fixed)
    assert result_key(res, mentees, mentors, rules.weights) == expected


@settings(max_examples=150, **FAST)
@given(seed=st.integers(0, 2**32 - 1), share=st.sampled_from([0.3, 0.5, 0.7, 0.9]))
def test_binding_target_on_larger_instances_is_optimal(seed, share):
    """A target that binds, solved with fixing and CP-SAT, against an exact MIP."""
    mentees, mentors, manager_of, rules, _ = random_instance(seed, 14, 10, max_capacity=2)
    rules = replace(rules, min_cross_location_share=share)
    res = match(mentees, mentors, manager_of, rules)
    expected = cp_sat_reference(mentees, mentors, manager_of, rules)
    if expected is None:
        assert res.status == "infeasible"
        return
    assert_valid(res, mentees, mentors, manager_of, rules)
    assert res.status == "optimal"
    assert result_key(res, mentees, mentors, rules.weights) == expected


def cp_sat_reference(mentees, mentors, manager_of, rules):
    """The lexicographic objective as two CP-SAT solves over every allowed pair."""
    from ortools.sat.python import cp_model

    allowed = [
        (i, j)
        for i, ee in enumerate(mentees)
        for j, r in enumerate(mentors)
        if r.capacity > 0 and ref_allowed(ee, r, rules, manager_of)
    ]
    a = round(rules.min_cross_location_share * 1000)

    def solve(min_score=None):
        model = cp_model.CpModel()
        x = {ij: model.new_bool_var("") for ij in allowed}
        by_row: dict = {}
        by_col: dict = {}
        for (i, j), v in x.items():
            by_row.setdefault(i, []).append(v)
            by_col.setdefault(j, []).append(v)
        for vs in by_row.values():
            model.add(sum(vs) <= 1)
        for j, vs in by_col.items():
            model.add(sum(vs) <= mentors[j].capacity)
        cross = sum(v for (i, j), v in x.items() if mentees[i].location != mentors[j].location)
        model.add(1000 * cross >= a * sum(x.values()))
        score = sum(ref_micro(mentees[i], mentors[j], rules.weights) * v for (i, j), v in x.items())
        if min_score is None:
            model.maximize(score)
        else:
            model.add(score >= min_score)
            model.maximize(sum(x.values()))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        status = solver.solve(model)
        assert status == cp_model.OPTIMAL
        return round(solver.objective_value)

    best = solve()
    return best, solve(best)


# --- hard rules on larger instances, deep reporting chains --------------------------------


@settings(max_examples=200, **FAST)
@given(
    seed=st.integers(0, 2**32 - 1),
    depth=st.integers(50, 300),
    share=st.sampled_from([None, None, 0.5, 0.8]),
)
def test_never_breaks_a_hard_rule_with_deep_reporting_chains(seed, depth, share):
    rng = random.Random(seed)
    mentees, mentors, _, rules, _ = random_instance(seed, 30, 20, max_capacity=3)
    # Two long chains; mentees and mentors sit at random depths in them, above and below
    # each other, plus a few on branches hanging off the chains.
    chain_a = [f"a{k}" for k in range(depth)]
    chain_b = [f"b{k}" for k in range(depth // 2)]
    people = [p.id for p in [*mentees, *mentors]]
    rng.shuffle(people)
    for person in people:
        chain = chain_a if rng.random() < 0.7 else chain_b
        if person not in chain and rng.random() < 0.85:
            chain.insert(rng.randrange(len(chain) + 1), person)
    manager_of = {}
    for chain in (chain_a, chain_b):
        manager_of[chain[0]] = None
        for boss, report in itertools.pairwise(chain):
            manager_of[report] = boss
    placed = set(manager_of)
    for person in people:
        if person not in placed:
            manager_of[person] = rng.choice(chain_a)
            placed.add(person)
    rules = replace(
        rules, max_tz_difference_minutes=rng.choice([60, 180, 600]), min_cross_location_share=share
    )
    res = match(mentees, mentors, manager_of, rules, time_limit_seconds=10)
    assert res.status in ("optimal", "feasible", "infeasible")
    assert_valid(res, mentees, mentors, manager_of, rules)
    # Some pairs really are forbidden by the chain, and none of those was proposed.
    for p in res.pairs:
        assert p.mentor_id not in managers_above(p.mentee_id, manager_of)
        assert p.mentee_id not in managers_above(p.mentor_id, manager_of)


def test_a_deep_chain_forbids_every_mentor_in_it_above_or_below():
    chain = [f"p{k}" for k in range(300)]
    manager_of = {boss: None for boss in chain[:1]}
    manager_of.update({report: boss for boss, report in itertools.pairwise(chain)})
    manager_of["side"] = "p0"  # a branch off the top: outside both mentees' lines
    topics = frozenset({"x", "y"})
    mentees = [Mentee("p40", "ops", "paris", 0, topics), Mentee("p200", "ops", "paris", 0, topics)]
    # Every chain mentor is a perfect topic match; the outsider shares nothing.
    mentors = [
        Mentor(pid, "eng", "lima", 0, topics, capacity=2)
        for pid in ("p0", "p39", "p41", "p120", "p199", "p201", "p299")
    ]
    mentors.append(Mentor("side", "ops", "paris", 0, capacity=2))
    rules = Rules()
    res = match(mentees, mentors, manager_of, rules)
    assert [(p.mentee_id, p.mentor_id) for p in res.pairs] == [("p40", "side"), ("p200", "side")]
    assert_valid(res, mentees, mentors, manager_of, rules)
    assert hard_rule_violations(mentees[0], mentors[0], rules, manager_of) == [
        "mentor is one of the mentee's managers"
    ]
    assert hard_rule_violations(mentees[0], mentors[-2], rules, manager_of) == [
        "mentor reports to the mentee"
    ]
    # Without the outsider's seats, each is unmatched because of the reporting line.
    res = match(mentees, mentors[:-1], manager_of, rules)
    assert res.pairs == []
    assert all("reporting line" in u.reasons[0] for u in res.unmatched)


# --- SciPy cross-check ------------------------------------------------------------------


def scipy_best_total(mentees, mentors, manager_of, rules) -> int:
    """Max total micro-score: mentors repeated by capacity, one 'unmatched' column per
    mentee, forbidden pairs a big negative."""
    cols = [j for j, r in enumerate(mentors) for _ in range(r.capacity)]
    n = len(mentees)
    big = -1e15
    score = np.full((n, len(cols) + n), big)
    score[:, len(cols) :] = np.where(np.eye(n, dtype=bool), 0.0, big)
    for i, ee in enumerate(mentees):
        for c, j in enumerate(cols):
            if ref_allowed(ee, mentors[j], rules, manager_of):
                score[i, c] = ref_micro(ee, mentors[j], rules.weights)
    rows, picked = linear_sum_assignment(score, maximize=True)
    total = score[rows, picked]
    assert (total > big / 2).all()
    return int(round(total.sum()))


@settings(max_examples=60, **FAST)
@given(seed=st.integers(0, 2**32 - 1))
def test_total_equals_scipy_on_medium_instances(seed):
    mentees, mentors, manager_of, rules, _ = random_instance(seed, 60, 50, max_capacity=2)
    res = match(mentees, mentors, manager_of, rules)
    assert_valid(res, mentees, mentors, manager_of, rules)
    assert result_key(res, mentees, mentors, rules.weights)[0] == scipy_best_total(
        mentees, mentors, manager_of, rules
    )


def test_column_generation_on_a_wide_instance_equals_scipy():
    """Many more mentors than the first candidate set: pairs must be added by pricing."""
    mentees, mentors, manager_of, rules, _ = random_instance(
        7, 80, 200, max_capacity=1, integer_weights=True
    )
    rules = replace(rules, max_tz_difference_minutes=720, forbid_same_department=False)
    res = match(mentees, mentors, manager_of, rules)
    assert_valid(res, mentees, mentors, manager_of, rules)
    assert result_key(res, mentees, mentors, rules.weights)[0] == scipy_best_total(
        mentees, mentors, manager_of, rules
    )


def test_column_generation_when_everyone_wants_the_same_mentors():
    """Forty star mentors top every mentee's list; the first candidate sets hold little
    else, so most of the optimum has to come from pairs added by pricing."""
    rng = random.Random(3)
    topics = frozenset(TOPICS[:4])
    mentees = [
        Mentee(f"e{i}", "ops", rng.choice(["paris", "lima"]), 0, topics, frozenset({"en"}))
        for i in range(120)
    ]
    mentors = [Mentor(f"star{j}", "eng", "pune", 0, topics, frozenset({"en"})) for j in range(40)]
    mentors += [
        Mentor(
            f"r{j}",
            rng.choice(["ops", "eng"]),
            rng.choice(["paris", "lima"]),
            0,
            frozenset(rng.sample(TOPICS, rng.randint(0, 4))),
            frozenset(rng.sample(LANGUAGES, 1)),
            capacity=rng.randint(1, 2),
        )
        for j in range(300)
    ]
    rules = Rules()
    res = match(mentees, mentors, {}, rules)
    assert_valid(res, mentees, mentors, {}, rules)
    assert res.stats["rounds"] > 1
    assert len(res.pairs) == 120
    assert result_key(res, mentees, mentors, rules.weights)[0] == scipy_best_total(
        mentees, mentors, {}, rules
    )


# --- the smaller promises -----------------------------------------------------------------


def people(n, m, capacity=1):
    mentees = [
        Mentee(f"e{i}", "ops", "paris", 0, frozenset({"x"}), frozenset({"en"})) for i in range(n)
    ]
    mentors = [
        Mentor(f"r{j}", "eng", "lima", 0, frozenset({"x"}), frozenset({"en"}), capacity)
        for j in range(m)
    ]
    return mentees, mentors


@pytest.mark.parametrize("share", [None, 0.5])
def test_degenerate_inputs(share):
    rules = Rules(min_cross_location_share=share)
    res = match([], [], {}, rules)
    assert (res.pairs, res.unmatched, res.total_score, res.status) == ([], [], 0.0, "optimal")
    mentees, mentors = people(3, 2)
    res = match([], mentors, {}, rules)
    assert res.pairs == [] and res.unmatched == [] and res.status == "optimal"
    res = match(mentees, [], {}, rules)
    assert res.pairs == [] and [u.mentee_id for u in res.unmatched] == ["e0", "e1", "e2"]
    assert all(u.reasons for u in res.unmatched)
    mentees, mentors = people(3, 2, capacity=0)
    res = match(mentees, mentors, {}, rules)
    assert res.pairs == [] and len(res.unmatched) == 3 and res.status == "optimal"
    assert all(u.reasons for u in res.unmatched)
    mentees, mentors = people(3, 2)
    forbid_all = Rules(
        previous_pairs=frozenset((e.id, r.id) for e in mentees for r in mentors),
        min_cross_location_share=share,
    )
    res = match(mentees, mentors, {}, forbid_all)
    assert res.pairs == [] and len(res.unmatched) == 3 and res.status == "optimal"
    assert all("earlier cycle" in u.reasons[0] for u in res.unmatched)


def test_unmatched_reasons_name_the_deciding_rule():
    mentees = [
        Mentee("far", "ops", "paris", 600),
        Mentee("boss", "ops", "paris", 0),
        Mentee("crowd", "ops", "paris", 0),
    ]
    mentors = [Mentor("r1", "eng", "lima", 0, capacity=1)]
    manager_of = {"r1": "boss"}
    res = match(mentees, mentors, manager_of, Rules())
    reasons = {u.mentee_id: u.reasons for u in res.unmatched}
    assert [p.mentee_id for p in res.pairs] == ["crowd"]
    assert "no mentor within" in reasons["far"][0]
    assert "reporting line" in reasons["boss"][0]


def test_fixed_pairs_are_kept_and_use_capacity():
    mentees, mentors = people(3, 2)
    # The fixed pair breaks today's rules (same time zone limit is now 0 and far apart):
    # it is kept anyway, and its mentor's single seat is taken.
    mentees[0] = Mentee("e0", "ops", "paris", 600)
    res = match(
        mentees, mentors, {}, Rules(max_tz_difference_minutes=0), fixed_pairs=[("e0", "r0")]
    )
    by = {p.mentee_id: p for p in res.pairs}
    assert by["e0"].mentor_id == "r0" and by["e0"].fixed
    assert [p.mentee_id for p in res.pairs if p.mentor_id == "r0"] == ["e0"]
    assert sum(not p.fixed for p in res.pairs) == 1
    assert len(res.unmatched) == 1
    with pytest.raises(ValueError, match="fixed pairs exceed a mentor's capacity"):
        match(mentees, mentors, {}, Rules(), fixed_pairs=[("e0", "r0"), ("e1", "r0")])
    with pytest.raises(ValueError, match="mentee 'e0' is in two fixed pairs"):
        match(mentees, mentors, {}, Rules(), fixed_pairs=[("e0", "r0"), ("e0", "r1")])
    unknown = re.escape("fixed pair ('nobody', 'r0') names an unknown person")
    with pytest.raises(ValueError, match=unknown):
        match(mentees, mentors, {}, Rules(), fixed_pairs=[("nobody", "r0")])


@settings(max_examples=200, **FAST)
@given(seed=st.integers(0, 2**32 - 1))
def test_score_breakdown_sums_to_pair_score(seed):
    mentees, mentors, _, rules, rng = random_instance(seed, 2, 2, shared_ids=False)
    weights = Weights(*(rng.choice([0.0, 0.1, 1 / 3, 0.7, 1.0, 3.0, 999.9]) for _ in range(4)))
    for ee in mentees:
        for r in mentors:
            reasons = score_breakdown(ee, r, weights)
            assert [x.criterion for x in reasons] == [
                "topic_overlap",
                "language",
                "different_department",
                "different_location",
            ]
            assert abs(sum(x.contribution for x in reasons) - pair_score(ee, r, weights)) <= 1e-6
            assert pair_score(ee, r, weights) == ref_micro(ee, r, weights) / 1_000_000
            assert all(0.0 <= x.value <= 1.0 for x in reasons)


def test_a_cycle_in_the_reporting_lines_raises():
    mentees, mentors = people(2, 2)
    with pytest.raises(ValueError, match="cycle"):
        match(mentees, mentors, {"e0": "x", "x": "y", "y": "x"}, Rules())
    with pytest.raises(ValueError, match="cycle"):
        match(mentees, mentors, {"r1": "r1"}, Rules())
    with pytest.raises(ValueError, match="cycle"):
        hard_rule_violations(mentees[0], mentors[0], Rules(), {"e0": "r5", "r5": "e0"})


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (
            Weights(topic_overlap=-1.0),
            "weight topic_overlap must be a number in [0, 1000], not -1.0",
        ),
        (Weights(language=float("nan")), "weight language must be a number in [0, 1000], not nan"),
        (
            Weights(different_location=float("inf")),
            "weight different_location must be a number in [0, 1000], not inf",
        ),
        (
            Weights(different_department=-0.0001),
            "weight different_department must be a number in [0, 1000], not -0.0001",
        ),
    ],
)
def test_bad_weights_raise(weights, message):
    mentees, mentors = people(2, 2)
    with pytest.raises(ValueError, match=re.escape(message)):
        match(mentees, mentors, {}, Rules(weights=weights))


@pytest.mark.parametrize("share", [-0.1, 1.5, float("nan")])
def test_bad_target_raises(share):
    mentees, mentors = people(2, 2)
    message = f"min_cross_location_share must be within [0, 1], not {share}"
    with pytest.raises(ValueError, match=re.escape(message)):
        match(mentees, mentors, {}, Rules(min_cross_location_share=share))


def test_a_binding_target_trades_score_for_cross_location_pairs():
    # Two same-location mentors score higher; the target forces one cross pair in.
    mentees = [Mentee(f"e{i}", "ops", "paris", 0, frozenset({"x"})) for i in range(2)]
    mentors = [
        Mentor("near0", "eng", "paris", 0, frozenset({"x"})),
        Mentor("near1", "eng", "paris", 0, frozenset({"x"})),
        Mentor("far", "eng", "lima", 0),
    ]
    plain = match(mentees, mentors, {}, Rules())
    assert plain.cross_location_share == 0.0
    res = match(mentees, mentors, {}, Rules(min_cross_location_share=0.5))
    assert res.status == "optimal" and res.cross_location_share == 0.5
    assert res.total_score == pytest.approx(1.5 + 1.0)
    res = match(mentees, mentors, {}, Rules(min_cross_location_share=1.0))
    assert res.status == "optimal" and [p.mentor_id for p in res.pairs] == ["far"]
    assert len(res.unmatched) == 1
