"""The shift list's cost against the number of distinct queue settings, on PostgreSQL.

    .venv/bin/python bench/shift_list.py [--queues 2000] [--shifts-per-queue 3] [--requests 200] [--workers 2]

Builds ``--queues`` queues whose booking windows (30..730 days) and minimum notices
(0..168 hours) take hundreds of distinct values, each with a few open shifts inside
every window and beyond every notice, and an executive. Times ``GET /api/shifts/`` (not
cached) and the ``/shifts/`` page with its cache emptied before each load, one request
after another through gunicorn; then gives every queue one window and one notice and
times them again. Both phases list the same shifts, so only the settings differ. The
open-shift statement once carried an exclusion per distinct value, and PostgreSQL's
planning grew with their square: ``ratio`` (list_p95_ms / list_p95_ms_one_setting)
stays near 1 only if the cost does not grow with them. The last line is JSON: queues,
list_p95_ms, list_p95_ms_one_setting, ratio, page_p95_ms(_one_setting), and the CPU
seconds gunicorn and PostgreSQL spent in each timed phase beside its wall seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_environment, gunicorn, log, manage

ZONES = ["America/New_York", "Europe/London", "Asia/Manila", "America/Los_Angeles", "UTC"]
# Hundreds of distinct values each; every shift is beyond the longest notice (7 days)
# and inside the shortest window (30 days), so the same shifts are listed either way.
WINDOWS = range(30, 731)
NOTICES = range(0, 169)
FIRST_DAY, DAY_STEP = 9, 6  # shifts on days 9.. ahead, local 10:00-13:00
ONE_WINDOW, ONE_NOTICE = 90, 24
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def build_data(env: dict, n_queues: int, per_queue: int) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from rotations.directory.roles import Role, role_groups
    from rotations.models import Person, Queue, Shift

    if FIRST_DAY + DAY_STEP * (per_queue - 1) + DAY_STEP >= min(WINDOWS):
        raise SystemExit(f"--shifts-per-queue {per_queue}: the last would fall outside a window")
    queues = Queue.objects.bulk_create(
        (
            Queue(
                name=f"Queue {q:05d}",
                channel=["phone", "chat", "email", "social"][q % 4],
                team=f"Team {q % 13}",
                time_zone=ZONES[q % len(ZONES)],
                visitor_capacity=2,
                # Two coprime strides: windows and notices each spread over their range.
                booking_window_days=WINDOWS[(q * 7) % len(WINDOWS)],
                min_notice_hours=NOTICES[(q * 11) % len(NOTICES)],
                brief="Sit with a senior agent and answer customers together.",
            )
            for q in range(n_queues)
        ),
        batch_size=1000,
    )
    today = timezone.now().date()
    shifts = []
    for q, queue in enumerate(queues):
        for k in range(per_queue):
            day = today + timedelta(days=FIRST_DAY + k * DAY_STEP + q % DAY_STEP)
            starts_at = datetime.combine(day, clock(10), tzinfo=queue.zone)
            ends_at = datetime.combine(day, clock(13), tzinfo=queue.zone)
            assert queue.is_open_for(starts_at, ends_at)
            shifts.append(Shift(queue=queue, starts_at=starts_at, ends_at=ends_at, capacity=2))
    Shift.objects.bulk_create(shifts, batch_size=5000)
    viewer = Person.objects.create(
        email="exec@bench.example",
        full_name="Executive Viewer",
        level="vp",
        time_zone="America/Toronto",
        password="!",
    )
    viewer.groups.add(role_groups()[Role.EXECUTIVE])
    token = Token.objects.create(user=viewer)
    session = SessionStore()
    session[SESSION_KEY] = str(viewer.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = viewer.get_session_auth_hash()
    session.create()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "token": token.key,
        "session": session.session_key,
        "shifts": len(shifts),
        **distinct_settings(),
    }


def distinct_settings() -> dict:
    from django.db.models import Count

    from rotations.models import Queue

    return Queue.objects.aggregate(
        distinct_windows=Count("booking_window_days", distinct=True),
        distinct_notices=Count("min_notice_hours", distinct=True),
    )


def one_setting() -> None:
    """Every queue the same window and notice; the lists' caches told, statistics redone."""
    from django.db import connection

    from rotations.models import Queue
    from rotations.shifts.caching import shifts_changed

    Queue.objects.update(booking_window_days=ONE_WINDOW, min_notice_hours=ONE_NOTICE)
    shifts_changed()  # a bulk update sends no signals: as a lead's edit would
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _cpu_of(pid: int) -> float:
    """User plus system CPU seconds of a live process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent:
                found.append(int(entry.name))
    return found


def server_pids() -> list[int]:
    """gunicorn's master (this process's child) and its workers."""
    masters = [
        pid
        for pid in _children(os.getpid())
        if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return masters + [pid for master in masters for pid in _children(master)]


def database_pids() -> list[int]:
    """The PostgreSQL backends serving this database, other than this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds that gunicorn and the PostgreSQL backends behind it spend in a phase.

    Workers keep their connections for the phase (CONN_MAX_AGE is raised for the run),
    so one backend per worker is read at both ends; a process that ends in between is
    counted as 0 at its end and reported in ``lost``.
    """

    def __enter__(self) -> CpuMeter:
        self.server = {pid: _cpu_of(pid) for pid in server_pids()}
        self.database = {pid: _cpu_of(pid) for pid in database_pids()}
        self.wall = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        server = {pid: _cpu_of(pid) for pid in server_pids()}
        database = {pid: _cpu_of(pid) for pid in database_pids()}
        self.lost = sorted(set(self.server) - set(server)) + sorted(
            set(self.database) - set(database)
        )
        self.server_cpu = sum(server.values()) - sum(
            v for pid, v in self.server.items() if pid in server
        )
        self.database_cpu = sum(database.values()) - sum(
            v for pid, v in self.database.items() if pid in database
        )


def timed_get(url: str, headers: dict) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
            if response.geturl() != url:  # sent to sign in, say: not the page being timed
                raise SystemExit(f"{url}: redirected to {response.geturl()}")
    except OSError as exc:  # an error status, or a worker killed for its timeout
        raise SystemExit(f"{url}: {exc}") from None
    return (time.perf_counter() - start) * 1000, body


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def measure(base: str, data: dict, *, requests: int, workers: int, with_page: bool) -> dict:
    """Warm every worker, then time the API and (uncached) the page, interleaved."""
    from rotations.shifts.caching import shifts_changed

    api = (base + "/api/shifts/", {"Authorization": f"Token {data['token']}"})
    page = (base + "/shifts/", {"Cookie": f"sessionid={data['session']}"})
    _, body = timed_get(*api)
    listed = json.loads(body)["count"]
    if listed != data["shifts"]:
        raise SystemExit(f"/api/shifts/ lists {listed} shifts of {data['shifts']}")
    for _ in range(workers * 3):
        timed_get(*api)
        if with_page:
            shifts_changed()
            timed_get(*page)
    timings: dict[str, list[float]] = {"api": [], "page": []}
    with CpuMeter() as cpu:
        for _ in range(requests):
            timings["api"].append(timed_get(*api)[0])
            if with_page:
                # The page keeps its rows for LIST_TTL: a new version makes them rebuilt.
                shifts_changed()
                timings["page"].append(timed_get(*page)[0])
    if cpu.lost:
        log(f"  processes gone during the phase (their CPU is not counted): {cpu.lost}")
    result = {
        "list_p95_ms": round(p95(timings["api"]), 1),
        "list_median_ms": round(statistics.median(timings["api"]), 1),
        "server_cpu_s": round(cpu.server_cpu, 2),
        "db_cpu_s": round(cpu.database_cpu, 2),
        "wall_s": round(cpu.wall, 2),
        "listed": listed,
    }
    if with_page:
        result["page_p95_ms"] = round(p95(timings["page"]), 1)
        result["page_median_ms"] = round(statistics.median(timings["page"]), 1)
    log("  " + ", ".join(f"{k} {v}" for k, v in result.items()))
    return result


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("--queues", type=int, default=2000)
    parser.add_argument("--shifts-per-queue", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="per URL and phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-page", action="store_true", help="time the API only")
    args = parser.parse_args()
    with bench_environment("shift_list", redis_db=11) as env:
        # Workers keep one connection, and so one backend to read the CPU of, per phase.
        env["CONN_MAX_AGE"] = "3600"
        log("migrating and building data")
        manage(env, "migrate", "--noinput")
        data = build_data(env, args.queues, args.shifts_per_queue)
        log(
            f"{args.queues} queues, {data['shifts']} shifts, {data['distinct_windows']} "
            f"windows, {data['distinct_notices']} notices"
        )
        measured = {"workers": args.workers, "with_page": not args.no_page}
        with gunicorn(env, workers=args.workers) as base:
            log("distinct settings")
            many = measure(base, data, requests=args.requests, **measured)
            one_setting()
            settings_after = distinct_settings()
            if settings_after != {"distinct_windows": 1, "distinct_notices": 1}:
                raise SystemExit(f"queues not on one setting: {settings_after}")
            log(f"one setting ({ONE_WINDOW} days, {ONE_NOTICE} hours)")
            one = measure(base, data, requests=args.requests, **measured)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "queues": args.queues,
        "shifts": data["shifts"],
        "distinct_windows": data["distinct_windows"],
        "distinct_notices": data["distinct_notices"],
        "list_p95_ms": many["list_p95_ms"],
        "list_p95_ms_one_setting": one["list_p95_ms"],
        "ratio": round(many["list_p95_ms"] / one["list_p95_ms"], 3),
        "list_median_ms": many["list_median_ms"],
        "list_median_ms_one_setting": one["list_median_ms"],
    }
    if not args.no_page:
        result |= {
            "page_p95_ms": many["page_p95_ms"],
            "page_p95_ms_one_setting": one["page_p95_ms"],
            "page_ratio": round(many["page_p95_ms"] / one["page_p95_ms"], 3),
        }
    result |= {
        # Each timed phase: CPU seconds of gunicorn (master and workers) and of the
        # PostgreSQL backends behind it, beside the phase's wall seconds.
        "server_cpu_s": many["server_cpu_s"],
        "db_cpu_s": many["db_cpu_s"],
        "phase_wall_s": many["wall_s"],
        "server_cpu_s_one_setting": one["server_cpu_s"],
        "db_cpu_s_one_setting": one["db_cpu_s"],
        "phase_wall_s_one_setting": one["wall_s"],
        # The whole script: building, migrating, both phases, cleanup.
        "script_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "script_wall_s": round(time.perf_counter() - started, 1),
        "requests": args.requests,
        "gunicorn_workers": args.workers,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
