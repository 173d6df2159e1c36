"""Booking under load: gunicorn on PostgreSQL, wrk as concurrent clients.

    .venv/bin/python bench/booking.py [--seconds 25] [--rounds 5] [--workers 4] [--connections 16]

Measures a bare view (/livez), the shift list page of a signed-in executive, and the
booking endpoint (POST /api/bookings/, token auth) with every request a different
executive and day; then checks the database for overbooking. The last line is JSON:
bare_rps, list_rps, book_rps, list_ratio, book_ratio, overbooked.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_environment, gunicorn, log, manage, wrk

QUEUES = 40
DAYS = 60
EXECUTIVES = 2000
SEATS = EXECUTIVES // QUEUES  # every executive-day fills its shift exactly


def build_data(env: dict) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from rotations.directory.roles import Role, role_groups
    from rotations.models import Person, Queue, Shift

    group = role_groups()[Role.EXECUTIVE]
    queues = Queue.objects.bulk_create(
        Queue(
            name=f"Queue {q:02d}",
            channel=["phone", "chat", "email", "social"][q % 4],
            team=f"Team {q % 7}",
            time_zone=["America/New_York", "Europe/London", "Asia/Manila", "America/Los_Angeles"][
                q % 4
            ],
            visitor_capacity=SEATS,
            booking_window_days=DAYS + 30,
            min_notice_hours=1,
            brief="Sit with a senior agent and answer customers together.",
        )
        for q in range(QUEUES)
    )
    first_day = (timezone.now() + timedelta(days=1)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    shifts = Shift.objects.bulk_create(
        Shift(
            queue=queue,
            starts_at=first_day + timedelta(days=d),
            ends_at=first_day + timedelta(days=d, hours=4),
            capacity=SEATS,
        )
        for queue in queues
        for d in range(DAYS)
    )
    people = Person.objects.bulk_create(
        Person(
            email=f"exec{i:05d}@bench.example",
            full_name=f"Executive {i:05d}",
            level="vp",
            time_zone="America/Toronto",
            password="!",
        )
        for i in range(EXECUTIVES)
    )
    if people[0].pk is None:
        people = list(Person.objects.filter(email__endswith="@bench.example").order_by("email"))
    Person.groups.through.objects.bulk_create(
        Person.groups.through(person_id=p.pk, group_id=group.pk) for p in people
    )
    tokens = Token.objects.bulk_create(Token(user=p, key=Token.generate_key()) for p in people)

    viewer = people[0]
    session = SessionStore()
    session[SESSION_KEY] = str(viewer.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = viewer.get_session_auth_hash()
    session.create()
    shift_ids = {(s.queue_id, i % DAYS): s.pk for i, s in enumerate(shifts)}
    return {
        "session": session.session_key,
        "tokens": [t.key for t in tokens],
        "shift_grid": [shift_ids[(queue.pk, d)] for queue in queues for d in range(DAYS)],
        "shifts": len(shifts),
    }


BOOK_SCRIPT = """
local tokens = {%(tokens)s}
local grid = {%(grid)s}
local E, Q, D = %(E)d, %(Q)d, %(D)d
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  -- Each round starts further along (args[1]), so no round repeats another's bookings.
  counter = tonumber(args[1]) or 0
  nthreads = %(threads)d
end
function request()
  local k = counter * nthreads + tid
  counter = counter + 1
  local e = k %% E
  local day = math.floor(k / E) %% D
  local q = e %% Q
  local body = '{"shift": ' .. grid[q * D + day + 1] .. '}'
  return wrk.format("POST", "/api/bookings/", {
    ["Authorization"] = "Token " .. tokens[e + 1],
    ["Content-Type"] = "application/json",
  }, body)
end
"""


def overbooking_report() -> int:
    """Shifts seating more than their capacity, seat counts that disagree with the
    bookings, and people booked twice at one time: all must be zero."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT count(*) FROM rotations_shift s WHERE s.seats_taken > s.capacity
                 OR s.seats_taken <> (SELECT count(*) FROM rotations_booking b
                                      WHERE b.shift_id = s.id AND b.status <> 'cancelled'))
            + (SELECT count(*) FROM rotations_booking a JOIN rotations_booking b
                 ON a.person_id = b.person_id AND a.id < b.id
                 AND a.status <> 'cancelled' AND b.status <> 'cancelled'
                 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at)
            """
        )
        return cursor.fetchone()[0]


def _range(kind: list[dict], bare: list[dict]) -> list[float]:
    ratios = [k["rps"] / b["rps"] for k, b in zip(kind, bare, strict=True)]
    return [round(min(ratios), 3), round(max(ratios), 3)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=25, help="per kind, split over the rounds")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with bench_environment("booking") as env:
        log("migrating and building data")
        manage(env, "migrate", "--noinput")
        data = build_data(env)
        from rotations.models import Booking

        with gunicorn(env, workers=args.workers) as base:
            cookie = {"Cookie": f"sessionid={data['session']}"}
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(
                    BOOK_SCRIPT
                    % {
                        "tokens": ",".join(f'"{t}"' for t in data["tokens"]),
                        "grid": ",".join(str(i) for i in data["shift_grid"]),
                        "E": EXECUTIVES,
                        "Q": QUEUES,
                        "D": DAYS,
                        "threads": args.threads,
                    }
                )
            # Each round books its own days (every executive each day), and so does the
            # warm-up, so no run refuses what another booked.
            round_stride = (DAYS // (args.rounds + 1)) * EXECUTIVES // args.threads
            # Warm up every worker on every kind (imports, connections, caches).
            wrk(base + "/livez", seconds=2, connections=4)
            wrk(base + "/shifts/", seconds=2, connections=4, headers=cookie)
            wrk(
                base + "/api/bookings/",
                seconds=2,
                connections=4,
                script=script.name,
                script_args=[str(args.rounds * round_stride)],
            )
            # Interleaved rounds, medians: a burst of other work on the machine then
            # touches one round of each kind rather than one kind wholesale.
            runs = {"bare": [], "list": [], "book": []}
            slice_seconds = max(2, args.seconds // args.rounds)
            common = {
                "seconds": slice_seconds,
                "connections": args.connections,
                "threads": args.threads,
            }
            for round_ in range(args.rounds):
                log(f"round {round_ + 1}/{args.rounds}")
                runs["bare"].append(wrk(base + "/livez", **common))
                runs["list"].append(wrk(base + "/shifts/", headers=cookie, **common))
                runs["book"].append(
                    wrk(
                        base + "/api/bookings/",
                        script=script.name,
                        script_args=[str(round_ * round_stride)],
                        **common,
                    )
                )
                log("  rps: " + ", ".join(f"{kind} {r[-1]['rps']:.1f}" for kind, r in runs.items()))
            os.unlink(script.name)
        bare, listing, booking = (
            {
                "rps": statistics.median(r["rps"] for r in runs[k]),
                "non_2xx": sum(r["non_2xx"] for r in runs[k]),
            }
            for k in ("bare", "list", "book")
        )

        booked = Booking.objects.count()
        overbooked = overbooking_report()

    result = {
        "bare_rps": round(bare["rps"], 1),
        "list_rps": round(listing["rps"], 1),
        "book_rps": round(booking["rps"], 1),
        "list_ratio": round(listing["rps"] / bare["rps"], 3),
        "book_ratio": round(booking["rps"] / bare["rps"], 3),
        "overbooked": overbooked,
        # Each round's own ratio: how much the machine's other load moved the figures.
        "list_ratio_range": _range(runs["list"], runs["bare"]),
        "book_ratio_range": _range(runs["book"], runs["bare"]),
        "bookings_made": booked,
        "book_refused_or_failed": booking["non_2xx"],
        "list_non_2xx": listing["non_2xx"],
        "shifts": data["shifts"],
        "executives": EXECUTIVES,
        "gunicorn_workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
