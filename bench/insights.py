"""The insight inbox and the impact dashboard at 100,000 insights, on PostgreSQL.

    .venv/bin/python bench/insights.py [--insights 100000] [--requests 60] [--workers 2]

Builds a year of data (2,000 executives in 8 departments, 40 queues, a shift a day per
queue, ~60,000 visits, ``--insights`` insights with tags, a third of them triaged and
some shipped), starts gunicorn, and times page loads one after another as an HR admin,
a support lead and an executive would make them: inbox pages with and without filters
and full-text search, and the dashboard for the default half year, a whole year and one
level. The last line is JSON: insights, inbox_p95_ms, dashboard_p95_ms (and medians, and
the slowest first, uncached dashboard load).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_environment, gunicorn, log, manage

QUEUES = 40
EXECUTIVES = 2000
DAYS = 365
WORDS = (
    "refund invoice password reset login portal billing export payroll tax report mobile app crash slow "
    "timeout chat wait phone hold transfer escalation policy discount renewal cancel plan upgrade "
    "integration bank sync duplicate charge receipt currency language accessibility"
).split()
TAGS = [
    "billing",
    "refunds",
    "login",
    "mobile",
    "payroll",
    "onboarding",
    "tax",
    "integrations",
    "performance",
    "accessibility",
    "pricing",
    "self-serve",
    "escalations",
    "bank-sync",
    "reports",
]


def build_data(env: dict, n_insights: int) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.db import connection
    from django.utils import timezone

    from rotations.directory.roles import Role, role_groups
    from rotations.models import Booking, Department, Insight, Person, Queue, Shift, Tag

    rng = random.Random(7)
    groups = role_groups()
    departments = Department.objects.bulk_create(
        Department(name=n)
        for n in [
            "Sales",
            "Finance",
            "Engineering",
            "Product",
            "Marketing",
            "People",
            "Legal",
            "Operations",
        ]
    )
    queues = Queue.objects.bulk_create(
        Queue(
            name=f"Queue {q:02d}",
            channel=["phone", "chat", "email", "social"][q % 4],
            team=f"Team {q % 7}",
            time_zone=["America/New_York", "Europe/London", "Asia/Manila", "America/Los_Angeles"][
                q % 4
            ],
        )
        for q in range(QUEUES)
    )
    people = Person.objects.bulk_create(
        Person(
            email=f"exec{i:05d}@bench.example",
            full_name=f"Executive {i:05d}",
            password="!",
            level=["director", "vp", "c_level"][i % 3],
            department=departments[i % len(departments)],
            time_zone="America/Toronto",
        )
        for i in range(EXECUTIVES)
    )
    hr, lead = Person.objects.bulk_create(
        [
            Person(
                email="hr@bench.example",
                full_name="Harriet HR",
                password="!",
                time_zone="America/Toronto",
            ),
            Person(
                email="lead@bench.example",
                full_name="Leo Lead",
                password="!",
                time_zone="America/Toronto",
            ),
        ]
    )
    through = Person.groups.through
    through.objects.bulk_create(
        [through(person_id=p.pk, group_id=groups[Role.EXECUTIVE].pk) for p in people]
        + [
            through(person_id=hr.pk, group_id=groups[Role.HR_ADMIN].pk),
            through(person_id=lead.pk, group_id=groups[Role.SUPPORT_LEAD].pk),
        ]
    )
    for q in queues[:4]:
        q.leads.add(lead)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(days=DAYS)
    shifts = Shift.objects.bulk_create(
        Shift(
            queue=q,
            starts_at=first + timedelta(days=d, hours=14),
            ends_at=first + timedelta(days=d, hours=18),
            capacity=8,
        )
        for q in queues
        for d in range(DAYS)
    )
    log(f"{len(shifts)} shifts")
    bookings = Booking.objects.bulk_create(
        Booking(
            shift=s,
            person=person,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            status=rng.choice(["attended", "attended", "attended", "no_show", "cancelled"]),
        )
        for s in shifts
        for person in rng.sample(people, 4)
    )
    attended = [b for b in bookings if b.status == "attended"]
    log(f"{len(bookings)} bookings, {len(attended)} attended")
    tags = Tag.objects.bulk_create(Tag(name=t) for t in TAGS)
    insights = []
    for i in range(n_insights):
        b = attended[i % len(attended)]
        words = " ".join(rng.choices(WORDS, k=30))
        created = b.ends_at + timedelta(hours=rng.randint(1, 72))
        status = rng.choices(
            ["new", "acknowledged", "routed", "actioned", "shipped", "declined"], [5, 2, 2, 1, 2, 1]
        )[0]
        triaged = created + timedelta(hours=rng.randint(2, 400)) if status != "new" else None
        insights.append(
            Insight(
                author_id=b.person_id,
                booking=b,
                queue_id=b.shift.queue_id,
                buddy=None,
                title=" ".join(rng.choices(WORDS, k=6)).capitalize(),
                what_happened=words,
                category=rng.choice(["product", "process", "policy", "tooling", "people"]),
                severity=rng.choice(["low", "medium", "high", "critical"]),
                status=status,
                owner_team="Payments" if status in ("routed", "actioned", "shipped") else "",
                decline_reason="Not this year" if status == "declined" else "",
                is_shared=rng.random() < 0.1,
                search_text=words,
                triaged_at=triaged,
                actioned_at=triaged + timedelta(days=3)
                if status in ("actioned", "shipped")
                else None,
                shipped_at=triaged + timedelta(days=rng.randint(5, 60))
                if status == "shipped"
                else None,
            )
        )
    insights = Insight.objects.bulk_create(insights, batch_size=5000)
    # auto_now_add stamped them all "now": give each its real logging time.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rotations_insight i SET created_at = b.ends_at + (i.id % 72) * interval '1 hour' "
            "FROM rotations_booking b WHERE b.id = i.booking_id"
        )
        cursor.execute(
            "UPDATE rotations_insight SET triaged_at = GREATEST(triaged_at, created_at), "
            "actioned_at = GREATEST(actioned_at, created_at), shipped_at = GREATEST(shipped_at, created_at)"
        )
    tag_through = Insight.tags.through
    tag_through.objects.bulk_create(
        (
            tag_through(insight_id=i.pk, tag_id=t.pk)
            for i in insights
            for t in rng.sample(tags, rng.randint(0, 3))
        ),
        batch_size=10000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"{len(insights)} insights")

    def session(person) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(person.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = person.get_session_auth_hash()
        store.create()
        return store.session_key

    return {
        "hr": session(hr),
        "lead": session(lead),
        "executive": session(people[0]),
        "queue": queues[1].pk,
        "author": people[5].pk,
        "insights": len(insights),
        "department": departments[2].pk,
    }


def timed_get(url: str, session: str) -> float:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            if response.geturl() != url:  # sent to sign in, say: not the page being timed
                raise SystemExit(f"{url}: redirected to {response.geturl()}")
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{url}: {exc}") from None
    return (time.perf_counter() - start) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--insights", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60, help="per URL")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with bench_environment("insights") as env:
        log("migrating and building data")
        manage(env, "migrate", "--noinput")
        data = build_data(env, args.insights)
        inbox = [
            ("hr", "/insights/"),
            ("hr", "/insights/?status=open&category=product"),
            ("hr", "/insights/?q=refund+portal"),
            ("hr", "/insights/?tag=billing&severity=high"),
            ("hr", "/insights/?executive=Executive+0001"),
            ("hr", "/insights/?page=40"),
            ("lead", "/insights/"),
            ("lead", f"/insights/?queue={data['queue']}&status=new"),
            ("executive", "/insights/"),
            ("hr", "/api/insights/?status=shipped"),
        ]
        dashboard = [
            ("hr", "/insights/impact/"),
            ("executive", "/insights/impact/?level=vp"),
            ("lead", f"/insights/impact/?department={data['department']}"),
            ("hr", "/insights/impact/funnel.csv"),
        ]
        timings: dict[str, list[float]] = {"inbox": [], "dashboard": []}
        with gunicorn(env, workers=args.workers) as base:
            # The dashboard's first load counts everything; later ones reuse the numbers
            # for IMPACT_CACHE_SECONDS. Both are reported.
            cold = [timed_get(base + path, data[who]) for who, path in dashboard]
            for who, path in inbox + dashboard:  # warm every worker and cache
                for _ in range(args.workers * 2):
                    timed_get(base + path, data[who])
            for _ in range(args.requests):
                for kind, urls in (("inbox", inbox), ("dashboard", dashboard)):
                    for who, path in urls:
                        timings[kind].append(timed_get(base + path, data[who]))
        result = {
            "insights": data["insights"],
            "inbox_p95_ms": round(p95(timings["inbox"]), 1),
            "dashboard_p95_ms": round(p95(timings["dashboard"]), 1),
            "inbox_median_ms": round(statistics.median(timings["inbox"]), 1),
            "dashboard_median_ms": round(statistics.median(timings["dashboard"]), 1),
            "dashboard_uncached_max_ms": round(max(cold), 1),
            "inbox_requests": len(timings["inbox"]),
            "dashboard_requests": len(timings["dashboard"]),
            "gunicorn_workers": args.workers,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
