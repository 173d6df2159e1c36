"""Invites through the whole pipe: booking changes → outbox → Redis → Celery → SMTP.

    .venv/bin/python bench/invites.py [--changes 5000] [--concurrency 3]

Makes ``--changes`` booking changes (books, then moves and cancels some) through the
booking services on PostgreSQL with the worker stopped, so their invites wait in Redis;
then starts a real Celery worker against an aiosmtpd server in this process and times
until every invite has arrived. The last line is JSON: sent (outbox rows the changes
owed), delivered (messages the server received), duplicates (messages received more
than once for one recipient, event and sequence; must be 0), invites_per_s.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller

from bench.support import ROOT, bench_environment, free_port, log, manage

QUEUES = 10
CALENDAR_PART = re.compile(
    rb"Content-Type: text/calendar;[^\r\n]*\r\nContent-Transfer-Encoding: base64\r\n\r\n(.+?)\r\n\r\n",
    re.S,
)
SHIFT_DAYS = 40


class Counting:
    """An SMTP server that keeps (recipient, UID, SEQUENCE) of every message."""

    def __init__(self) -> None:
        self.seen: Counter = Counter()
        self.lock = threading.Lock()
        self.first = self.last = 0.0

    async def handle_DATA(self, server, session, envelope):
        # The base64 body of the text/calendar part, found without a full MIME parse:
        # this server shares the machine's two cores with the worker it measures.
        match = CALENDAR_PART.search(envelope.content)
        calendar = base64.b64decode(b"".join(match.group(1).split())).decode()
        uid = re.search(r"^UID:(.+?)\r?$", calendar, re.M).group(1)
        sequence = re.search(r"^SEQUENCE:(\d+)", calendar, re.M).group(1)
        with self.lock:
            now = time.monotonic()
            self.first = self.first or now
            self.last = now
            for rcpt in envelope.rcpt_tos:
                self.seen[(rcpt, uid, sequence)] += 1
        return "250 OK"

    @property
    def delivered(self) -> int:
        return sum(self.seen.values())


def make_changes(env: dict, changes: int) -> int:
    """Book, move and cancel through the services; returns the outbox rows written."""
    os.environ.update(env)
    import django

    django.setup()
    from django.utils import timezone

    from rotations.directory.roles import Role, role_groups
    from rotations.models import OutgoingEmail, Person, Queue, Shift
    from rotations.shifts.permissions import actor
    from rotations.shifts.services.booking import booking_cancel, booking_create, booking_reschedule

    # Each executive books once; every second one then moves, every fourth also cancels:
    # seven changes for every four executives.
    executives = changes * 4 // 7 + 4
    group = role_groups()[Role.EXECUTIVE]
    buddies = Person.objects.bulk_create(
        Person(email=f"buddy{i}@bench.example", full_name=f"Buddy {i}", password="!")
        for i in range(QUEUES)
    )
    queues = Queue.objects.bulk_create(
        Queue(
            name=f"Queue {q}",
            channel="chat",
            team="Bench",
            time_zone="Europe/London",
            visitor_capacity=1000,
            booking_window_days=365,
            min_notice_hours=1,
            brief="Sit with a senior agent and answer customers together.",
        )
        for q in range(QUEUES)
    )
    start = (timezone.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    shifts = Shift.objects.bulk_create(
        Shift(
            queue=q,
            buddy=buddies[i],
            starts_at=start + timedelta(days=d),
            ends_at=start + timedelta(days=d, hours=4),
            capacity=1000,
        )
        for i, q in enumerate(queues)
        for d in range(SHIFT_DAYS)
    )
    people = Person.objects.bulk_create(
        Person(
            email=f"exec{i:05d}@bench.example",
            full_name=f"Executive {i:05d}",
            password="!",
            time_zone="Europe/London",
        )
        for i in range(executives)
    )
    Person.groups.through.objects.bulk_create(
        Person.groups.through(person_id=p.pk, group_id=group.pk) for p in people
    )
    people = list(Person.objects.filter(email__startswith="exec").order_by("pk"))
    made = 0
    for i, person in enumerate(people):
        if made >= changes:
            break
        by = actor(person)
        shift = shifts[i % len(shifts)]
        booking = booking_create(shift=shift, person=person, by=by)
        made += 1
        if made < changes and i % 2 == 0:
            # Same queue, next day: same buddy, a moved event.
            booking = booking_reschedule(
                booking=booking, to_shift=shifts[(i + 1) % len(shifts)], by=by
            )
            made += 1
        if made < changes and i % 4 == 0:
            booking_cancel(booking=booking, by=by, reason="Bench")
            made += 1
        if made and made % 1000 < 3:
            log(f"  {made} changes")
    return OutgoingEmail.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()

    handler = Counting()
    port = free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with bench_environment("invites", redis_db=10) as env:
            env = {
                **env,
                "EMAIL_URL": f"smtp://127.0.0.1:{port}",
                "DEFAULT_FROM_EMAIL": "Frontline <frontline@bench.example>",
            }
            log("migrating")
            manage(env, "migrate", "--noinput")
            log(f"making {args.changes} booking changes (the worker is stopped)")
            t0 = time.monotonic()
            owed = make_changes(env, args.changes)
            log(f"  {owed} invites owed, written in {time.monotonic() - t0:.1f}s")

            from rotations.models import EmailStatus, OutgoingEmail

            log(f"starting a worker (concurrency {args.concurrency})")
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "--app",
                    "frontline",
                    "worker",
                    "--loglevel",
                    "WARNING",
                    "--concurrency",
                    str(args.concurrency),
                    "--without-mingle",
                    "--without-gossip",
                    "--hostname",
                    f"bench-{os.getpid()}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                started = time.monotonic()
                deadline = started + args.timeout
                while handler.delivered < owed and time.monotonic() < deadline:
                    time.sleep(0.2)
                finished = handler.last or time.monotonic()
                time.sleep(2)  # anything sent twice would arrive now
            finally:
                worker.terminate()
                worker.wait(30)
            sent = OutgoingEmail.objects.filter(status=EmailStatus.SENT).count()
            failed = OutgoingEmail.objects.filter(status=EmailStatus.FAILED).count()
    finally:
        smtp.stop()

    delivered = handler.delivered
    duplicates = sum(n - 1 for n in handler.seen.values() if n > 1)
    # From the worker's start (its boot included) to the last message received.
    seconds = finished - started
    result = {
        "changes": args.changes,
        "sent": sent,
        "delivered": delivered,
        "duplicates": duplicates,
        "owed": owed,
        "failed": failed,
        "seconds": round(seconds, 2),
        "invites_per_s": round(delivered / seconds, 1) if seconds > 0 else 0.0,
        "worker_concurrency": args.concurrency,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
