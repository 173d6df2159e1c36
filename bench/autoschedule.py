"""The deadline auto-scheduler at full size: 2,000 executives, about 10,000 shifts.

    .venv/bin/python bench/autoschedule.py [--seed 2027] [--executives 2000]

No database: builds, with a fixed seed, a quarter (13 weeks from Monday 1 February 2027,
so across both the US and the EU daylight-saving changes) of a 40-queue rotation
program directly as solver values:

  * 40 queues, each in its own time zone (one of 10 zones in the Americas, Europe and
    Asia; only 4 queues in Asia, where a fifth of the executives work), 4 channels;
    every local weekday each queue has 4-hour shifts at local 08:00, 10:00, 12:00 and
    14:00 (10,400 shifts). Near the deadline most are already full: about four in five
    have 0 free seats, the rest 1-3, so the free seats are about 1.2x the seats still
    needed; with time zones and working hours (Asia is short of queues) some people
    cannot all be placed and many compete for the same shifts;
  * 2,000 executives over 8 zones, working hours mostly 09:00-17:00 (some 08:00-16:00 or
    10:00-18:00); most need 2 shifts in 2 distinct queues, some 1; a fifth have already
    done one queue (``used``) and have a booking in it (``busy``);
  * Good Friday and Easter Monday are blackout dates; earliest/latest bound the quarter.

Only the ``plan`` call is timed. The result is checked with ``violations``. The last line
is JSON: executives, shifts, demand, supply, placed, distinct_met (people whose
need_distinct is met), seconds, objective, bound, gap_to_bound, optimal, violations.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import log
from rotations.programs.autoschedule import Person, Rules, Shift, plan, violations

QUEUE_ZONES = {  # zone: queues there (few in Asia, where a fifth of the executives are)
    "America/Los_Angeles": 5,
    "America/Chicago": 4,
    "America/New_York": 6,
    "America/Toronto": 3,
    "America/Sao_Paulo": 2,
    "Europe/London": 6,
    "Europe/Berlin": 5,
    "Europe/Madrid": 5,
    "Asia/Kolkata": 2,
    "Asia/Singapore": 2,
}
PEOPLE_ZONES = {  # zone: share of executives
    "America/Los_Angeles": 0.12,
    "America/Chicago": 0.08,
    "America/New_York": 0.22,
    "America/Sao_Paulo": 0.06,
    "Europe/London": 0.18,
    "Europe/Berlin": 0.14,
    "Asia/Kolkata": 0.10,
    "Asia/Singapore": 0.10,
}
CHANNELS = ["phone", "chat", "email", "social"]
FIRST = date(2027, 2, 1)  # a Monday
WEEKS = 13
HOLIDAYS = frozenset({date(2027, 3, 26), date(2027, 3, 29)})
SLOTS = (8, 10, 12, 14)
FULL_SHARE = 0.805  # shifts with no free seat left


def build(seed: int, executives: int):
    rng = random.Random(seed)
    zones = [z for z, k in QUEUE_ZONES.items() for _ in range(k)]
    queues = [(f"queue-{q:02d}", zones[q], CHANNELS[q % 4]) for q in range(40)]
    shifts = []
    for name, zone, channel in queues:
        tz = ZoneInfo(zone)
        for d in range(WEEKS * 7):
            day = FIRST + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            for hour in SLOTS:
                start = datetime.combine(day, time(hour), tz).astimezone(UTC)
                seats = 0 if rng.random() < FULL_SHARE else rng.randint(1, 3)
                shifts.append(
                    Shift(
                        f"{name}/{day}/{hour}",
                        name,
                        channel,
                        start,
                        start + timedelta(hours=4),
                        seats,
                    )
                )
    zones, shares = zip(*PEOPLE_ZONES.items(), strict=True)
    people = []
    for i in range(executives):
        zone = rng.choices(zones, shares)[0]
        r = rng.random()
        hours = (
            (time(9), time(17))
            if r < 0.7
            else (time(8), time(16))
            if r < 0.85
            else (time(10), time(18))
        )
        used, busy = frozenset(), ()
        if rng.random() < 0.2:
            name, qzone, _ = rng.choice(queues)
            day = FIRST + timedelta(days=rng.randrange(WEEKS * 7))
            start = datetime.combine(day, time(10), ZoneInfo(qzone)).astimezone(UTC)
            used, busy = frozenset({name}), ((start, start + timedelta(hours=4)),)
            need, need_distinct = 1, 1
        elif rng.random() < 0.15:
            need, need_distinct = 1, 1
        else:
            need, need_distinct = 2, 2
        people.append(Person(f"exec-{i:04d}", zone, *hours, need, need_distinct, used, busy))
    start = datetime.combine(FIRST, time(0), UTC)
    rules = Rules(HOLIDAYS, earliest=start, latest=start + timedelta(weeks=WEEKS))
    return people, shifts, rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--executives", type=int, default=2000)
    args = parser.parse_args()

    people, shifts, rules = build(args.seed, args.executives)
    demand = sum(p.need for p in people)
    supply = sum(s.seats for s in shifts)
    log(f"{len(people)} executives, {len(shifts)} shifts, demand {demand} seats, supply {supply}")

    t0 = _time.perf_counter()
    result = plan(people, shifts, rules)
    seconds = _time.perf_counter() - t0
    log(
        f"plan: {seconds:.2f}s, placed {result.placed}, optimal {result.optimal}, "
        f"gap {result.gap_to_bound:.2e}, stats {result.stats}"
    )

    bad = violations(result, people, shifts, rules)
    for line in bad[:10]:
        log("VIOLATION", line)
    got: dict = {}
    queues_of: dict = {}
    queue = {s.id: s.queue for s in shifts}
    for pl in result.placements:
        got[pl.person_id] = got.get(pl.person_id, 0) + 1
        queues_of.setdefault(pl.person_id, set()).add(queue[pl.shift_id])
    distinct_met = sum(len(queues_of.get(p.id, set()) - p.used) >= p.need_distinct for p in people)
    reasons: dict = {}
    for u in result.unplaced:
        key = re.sub(r"\d+", "N", u.reasons[0])
        reasons[key] = reasons.get(key, 0) + 1
    log("unplaced, by deciding reason:", reasons)
    print(
        json.dumps(
            {
                "executives": len(people),
                "shifts": len(shifts),
                "demand": demand,
                "supply": supply,
                "placed": result.placed,
                "fully_placed": sum(got.get(p.id, 0) == p.need for p in people),
                "distinct_met": distinct_met,
                "seconds": round(seconds, 3),
                "objective": result.objective,
                "bound": result.bound,
                "gap_to_bound": result.gap_to_bound,
                "distinct_gap": result.stats.get("distinct_gap"),
                "optimal": result.optimal,
                "arcs": result.stats.get("arcs"),
                "violations": len(bad),
            }
        )
    )


if __name__ == "__main__":
    main()
