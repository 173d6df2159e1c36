"""The reverse-mentoring matcher at full size: 2,000 executives, 3,000 front-line mentors.

    .venv/bin/python bench/matching.py [--seed 2024] [--mentees 2000] [--mentors 3000]

No database: builds, with a fixed seed, an organisation of 8 departments over 10
locations in three time-zone regions (each region with a hub that holds most of its
people), 20 topics (2-5 per person), 1-3 languages, mentors of capacity 1 or 2, reporting
lines 6-8 levels deep with executives in the upper levels and mentors below them, some
previous pairs, and a 3-hour time-zone limit. Then:

  * times ``match`` (the plain objective) and checks its total against SciPy's
    ``linear_sum_assignment`` on the same score matrix, built here independently (mentors
    repeated by capacity, one "unmatched" column per mentee, forbidden pairs excluded);
  * runs ``match`` again with ``min_cross_location_share=0.4``, a target the plain optimum
    misses (the instance's weights barely reward a different location and most mentors
    share a hub with their mentee), and checks the result meets it.

The last line is JSON: mentees, mentors, seconds, score, reference_score,
reference_seconds, seconds_diversity, score_diversity, diversity_optimal,
cross_location_share_diversity, plain_cross_location_share (and a few details).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import log
from rotations.mentoring.matching import (
    Mentee,
    Mentor,
    Rules,
    Weights,
    match,
    meets_cross_location_share,
)

TARGET = 0.4
# (location, UTC offset in minutes, region); the first of each region is its hub.
LOCATIONS = [
    ("New York", -300, "americas"),
    ("Toronto", -300, "americas"),
    ("Chicago", -360, "americas"),
    ("Mexico City", -360, "americas"),
    ("London", 0, "emea"),
    ("Paris", 60, "emea"),
    ("Berlin", 60, "emea"),
    ("Johannesburg", 120, "emea"),
    ("Manila", 480, "apac"),
    ("Bangalore", 330, "apac"),
]
REGION_SHARE = {"americas": 0.4, "emea": 0.35, "apac": 0.25}
HUB_SHARE = 0.85  # of a region's people at its hub
DEPARTMENTS = [
    "Support",
    "Sales",
    "Engineering",
    "Finance",
    "People",
    "Marketing",
    "Operations",
    "Legal",
]
TOPICS = [
    "customer empathy",
    "escalations",
    "billing",
    "refunds",
    "onboarding",
    "churn",
    "product feedback",
    "tooling",
    "knowledge base",
    "chat etiquette",
    "phone calls",
    "social media",
    "accessibility",
    "fraud",
    "shipping",
    "returns",
    "enterprise accounts",
    "self-service",
    "quality reviews",
    "workforce planning",
]
LOCAL_LANGUAGE = {
    "Mexico City": "es",
    "Paris": "fr",
    "Berlin": "de",
    "Johannesburg": "af",
    "Manila": "tl",
    "Bangalore": "hi",
    "Toronto": "fr",
}
WEIGHTS = Weights(
    topic_overlap=1.0, language=0.3, different_department=0.3, different_location=0.02
)
RULES = Rules(max_tz_difference_minutes=180, weights=WEIGHTS)


def place(rng: random.Random) -> tuple[str, int]:
    region = rng.choices(list(REGION_SHARE), weights=list(REGION_SHARE.values()))[0]
    here = [loc for loc in LOCATIONS if loc[2] == region]
    if rng.random() < HUB_SHARE:
        loc = here[0]
    else:
        loc = rng.choice(here[1:])
    return loc[0], loc[1]


def languages(rng: random.Random, location: str) -> frozenset[str]:
    out = {"en"} if rng.random() < 0.85 else set()
    if location in LOCAL_LANGUAGE:
        out.add(LOCAL_LANGUAGE[location])
    if rng.random() < 0.3 or not out:
        out.add(rng.choice(["es", "fr", "de", "pt", "zh"]))
    return frozenset(sorted(out)[:3])


def build(seed: int, n_mentees: int, n_mentors: int):
    """People, reporting lines (department head > VPs > directors > senior managers >
    managers > team leads > agents) and previous pairs."""
    rng = random.Random(seed)
    manager_of: dict[str, str | None] = {"ceo": None}
    levels: dict[str, list[list[str]]] = {}
    # Executives: levels 1-4 under each department head; the chain continues below them
    # through managers and team leads to the mentors.
    per_dept = n_mentees // len(DEPARTMENTS) + 1
    mentees, mentors = [], []
    for d, dept in enumerate(DEPARTMENTS):
        head = f"head-{d}"
        manager_of[head] = "ceo"
        lv = [[head]]
        widths = [6, 4, 4, 3, 3, 4]  # reports per person at each level below the head
        for depth, width in enumerate(widths, start=1):
            row = []
            for boss in lv[-1]:
                for _ in range(width):
                    pid = f"p{d}-{depth}-{len(row)}"
                    manager_of[pid] = boss
                    row.append(pid)
            lv.append(row)
        levels[dept] = lv
        # Mentees: the head, then VPs, directors, senior managers, some managers.
        execs = [head, *lv[1], *lv[2], *lv[3], *lv[4]][:per_dept]
        for pid in execs:
            if len(mentees) >= n_mentees:
                break
            location, tz = place(rng)
            mentees.append(
                Mentee(
                    id=pid,
                    department=dept,
                    location=location,
                    utc_offset_minutes=tz,
                    topics=frozenset(rng.sample(TOPICS, rng.randint(2, 5))),
                    languages=languages(rng, location),
                )
            )
    # Mentors: managers, team leads and agents (levels 4-6) of any department; a few
    # sit directly under a senior manager who is also a mentee, so chains interleave.
    pool = [pid for dept in DEPARTMENTS for depth in (4, 5, 6) for pid in levels[dept][depth]]
    mentee_ids = {m.id for m in mentees}
    pool = [pid for pid in pool if pid not in mentee_ids]
    chosen = rng.sample(pool, n_mentors)
    dept_of = {pid: dept for dept in DEPARTMENTS for row in levels[dept] for pid in row}
    for pid in chosen:
        location, tz = place(rng)
        mentors.append(
            Mentor(
                id=pid,
                department=dept_of[pid],
                location=location,
                utc_offset_minutes=tz,
                topics=frozenset(rng.sample(TOPICS, rng.randint(2, 5))),
                languages=languages(rng, location),
                capacity=rng.choice([1, 1, 2]),
            )
        )
    previous = set()
    for ee in mentees:
        for _ in range(rng.choice([0, 0, 1, 2])):
            previous.add((ee.id, rng.choice(mentors).id))
    rules = Rules(
        max_tz_difference_minutes=RULES.max_tz_difference_minutes,
        previous_pairs=frozenset(previous),
        weights=WEIGHTS,
    )
    return mentees, mentors, manager_of, rules


def reference_matrix(mentees, mentors, manager_of, rules):
    """Micro-scores and allowed pairs, computed here from the documented rules."""
    topic_at = {t: k for k, t in enumerate(TOPICS)}

    def mask(people, attr, index):
        out = np.zeros(len(people), dtype=np.int64)
        for i, p in enumerate(people):
            for x in getattr(p, attr):
                out[i] |= 1 << index.setdefault(x, len(index))
        return out

    lang_at: dict[str, int] = {}
    et, rt = mask(mentees, "topics", topic_at), mask(mentors, "topics", topic_at)
    el, rl = mask(mentees, "languages", lang_at), mask(mentors, "languages", lang_at)
    shared = np.bitwise_count(et[:, None] & rt[None, :]).astype(np.int64)
    ntopics = np.array([len(p.topics) for p in mentees])
    w = rules.weights
    s = w.topic_overlap * (shared / np.maximum(1, ntopics)[:, None].astype(np.float64))
    s = s + w.language * ((el[:, None] & rl[None, :]) != 0).astype(np.float64)
    dept = (
        np.array([p.department for p in mentees])[:, None]
        != np.array([p.department for p in mentors])[None, :]
    )
    loc = (
        np.array([p.location for p in mentees])[:, None]
        != np.array([p.location for p in mentors])[None, :]
    )
    s = s + w.different_department * dept.astype(np.float64)
    s = s + w.different_location * loc.astype(np.float64)
    micro = np.rint(s * 1_000_000).astype(np.int64)

    tz_e = np.array([p.utc_offset_minutes for p in mentees])
    tz_r = np.array([p.utc_offset_minutes for p in mentors])
    allowed = np.abs(tz_e[:, None] - tz_r[None, :]) <= rules.max_tz_difference_minutes
    mentee_at = {p.id: i for i, p in enumerate(mentees)}
    mentor_at = {p.id: j for j, p in enumerate(mentors)}

    def walk_up(person):
        node = manager_of.get(person)
        while node is not None:
            yield node
            node = manager_of.get(node)

    for i, ee in enumerate(mentees):
        for boss in walk_up(ee.id):
            if boss in mentor_at:
                allowed[i, mentor_at[boss]] = False
    for j, r in enumerate(mentors):
        for boss in walk_up(r.id):
            if boss in mentee_at:
                allowed[mentee_at[boss], j] = False
        if r.id in mentee_at:
            allowed[mentee_at[r.id], j] = False
    for a, b in rules.previous_pairs:
        allowed[mentee_at[a], mentor_at[b]] = False
    capacity = np.array([r.capacity for r in mentors])
    allowed &= capacity[None, :] > 0
    return micro, allowed, loc


def reference_solve(micro, allowed, capacity) -> tuple[int, float]:
    """SciPy's assignment: a column per mentor seat, one private zero column per mentee."""
    started = time.perf_counter()
    n = micro.shape[0]
    seats = np.repeat(np.arange(len(capacity)), capacity)
    gain = np.where(allowed[:, seats], micro[:, seats].astype(np.float64), -np.inf)
    unmatched = np.where(np.eye(n, dtype=bool), 0.0, -np.inf)
    full = np.hstack([gain, unmatched])
    del gain, unmatched
    rows, cols = linear_sum_assignment(full, maximize=True)
    total = full[rows, cols].sum()
    return int(round(total)), time.perf_counter() - started


def check(result, mentee_at, mentor_at, micro, allowed, capacity, label: str) -> int:
    load = np.zeros(len(capacity), dtype=np.int64)
    total = 0
    for p in result.pairs:
        i, j = mentee_at[p.mentee_id], mentor_at[p.mentor_id]
        assert allowed[i, j], f"{label}: forbidden pair {p.mentee_id} - {p.mentor_id}"
        assert round(p.score * 1_000_000) == micro[i, j], f"{label}: score differs"
        load[j] += 1
        total += int(micro[i, j])
    assert (load <= capacity).all(), f"{label}: a mentor over capacity"
    assert len({p.mentee_id for p in result.pairs}) == len(result.pairs), f"{label}: two mentors"
    assert round(result.total_score * 1_000_000) == total, f"{label}: total differs"
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--mentees", type=int, default=2000)
    parser.add_argument("--mentors", type=int, default=3000)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="for the integer program of the diversity target",
    )
    args = parser.parse_args()

    log(f"building {args.mentees} mentees and {args.mentors} mentors (seed {args.seed})")
    mentees, mentors, manager_of, rules = build(args.seed, args.mentees, args.mentors)
    depth = max(sum(1 for _ in iter_chain(p.id, manager_of)) for p in mentors)
    micro, allowed, cross = reference_matrix(mentees, mentors, manager_of, rules)
    capacity = np.array([r.capacity for r in mentors])
    mentee_at = {p.id: i for i, p in enumerate(mentees)}
    mentor_at = {p.id: j for j, p in enumerate(mentors)}
    log(
        f"{int(allowed.sum())} allowed pairs, {int(capacity.sum())} seats, "
        f"reporting lines up to {depth} levels above a mentor"
    )

    log("match, plain objective")
    started = time.perf_counter()
    plain = match(mentees, mentors, manager_of, rules)
    seconds = time.perf_counter() - started
    score = check(plain, mentee_at, mentor_at, micro, allowed, capacity, "plain")
    log(
        f"  {seconds:.2f} s, {len(plain.pairs)} pairs, score {score / 1e6:.6f}, "
        f"cross-location share {plain.cross_location_share:.3f}, stats {plain.stats}"
    )

    log("reference: scipy.optimize.linear_sum_assignment")
    reference, reference_seconds = reference_solve(micro, allowed, capacity)
    log(f"  {reference_seconds:.2f} s, score {reference / 1e6:.6f}")
    if reference != score:
        log(f"  MISMATCH: match {score} vs reference {reference} micro-points")

    log(f"match, min_cross_location_share={TARGET}")
    diverse_rules = replace(rules, min_cross_location_share=TARGET)
    started = time.perf_counter()
    diverse = match(mentees, mentors, manager_of, diverse_rules, time_limit_seconds=args.time_limit)
    seconds_diversity = time.perf_counter() - started
    score_diversity = check(diverse, mentee_at, mentor_at, micro, allowed, capacity, "diverse")
    cross_pairs = sum(p.cross_location for p in diverse.pairs)
    meets = meets_cross_location_share(cross_pairs, len(diverse.pairs), TARGET)
    log(
        f"  {seconds_diversity:.2f} s, status {diverse.status}, {len(diverse.pairs)} pairs, "
        f"score {score_diversity / 1e6:.6f}, cross-location share "
        f"{diverse.cross_location_share:.3f} (meets target: {meets}), stats {diverse.stats}"
    )
    if plain.cross_location_share >= TARGET:
        log("  WARNING: the plain optimum already meets the target; it does not bind")

    print(
        json.dumps(
            {
                "mentees": len(mentees),
                "mentors": len(mentors),
                "seconds": round(seconds, 3),
                "score": score / 1e6,
                "reference_score": reference / 1e6,
                "reference_seconds": round(reference_seconds, 3),
                "seconds_diversity": round(seconds_diversity, 3),
                "score_diversity": score_diversity / 1e6,
                "diversity_optimal": diverse.optimal,
                "cross_location_share_diversity": round(diverse.cross_location_share, 4),
                "plain_cross_location_share": round(plain.cross_location_share, 4),
                "diversity_status": diverse.status,
                "diversity_meets_target": meets,
                "scores_equal": reference == score,
                "pairs": len(plain.pairs),
                "pairs_diversity": len(diverse.pairs),
                "allowed_pairs": int(allowed.sum()),
                "solver_stats": {k: v for k, v in plain.stats.items()},
                "diversity_stats": {k: v for k, v in diverse.stats.items()},
            }
        )
    )


def iter_chain(person, manager_of):
    node = manager_of.get(person)
    while node is not None:
        yield node
        node = manager_of.get(node)


if __name__ == "__main__":
    main()
