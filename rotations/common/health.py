"""Readiness: whether this instance can do its work now, part by part.

Each check answers within about a second (its own short timeouts) and never raises: a
part that cannot be reached is reported as such. ``/readyz`` serves the lot.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from rotations.models import EmailStatus, OutgoingEmail

# Beat asks a worker for this every minute (rotations.common.tasks.heartbeat); seen within
# this long, both are running.
HEARTBEAT_KEY = "health:heartbeat"
HEARTBEAT_STALE_SECONDS = 300
TIMEOUT_SECONDS = 1.0


@dataclass
class Check:
    ok: bool
    detail: str = ""


def record_heartbeat(*, now: datetime | None = None) -> None:
    cache.set(HEARTBEAT_KEY, (now or timezone.now()).isoformat(), timeout=24 * 3600)


def readiness() -> tuple[bool, dict]:
    """Whether every part is ready, and what each said (for ``/readyz``)."""
    database = _database()
    checks = {
        "database": database,
        "cache": _cache(),
        "broker": _broker(),
        "worker_and_beat": _heartbeat(),
    }
    report: dict = {name: asdict(check) for name, check in checks.items()}
    if database.ok:
        report["outbox"] = _outbox()
    ready = all(check.ok for check in checks.values())
    report["status"] = "ready" if ready else "not ready"
    return ready, report


def _database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Check(False, f"{type(exc).__name__}: {exc}".strip()[:300])
    return Check(True)


def _cache() -> Check:
    # The cache forgives an outage (frontline.cache): a value written and read back is
    # the only proof that it is really there.
    probe = f"health:probe:{time.monotonic_ns()}"
    cache.set(probe, "1", timeout=10)
    found = cache.get(probe) == "1"
    cache.delete(probe)
    return Check(found, "" if found else "a value written to the cache could not be read back")


def _broker() -> Check:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem"):
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        ok = folder.is_dir() and _writable(folder)
        return Check(ok, "" if ok else f"the broker folder {folder} is not writable")
    import redis  # noqa: PLC0415 -- only where the broker is Redis

    try:
        redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        ).ping()
    except (redis.RedisError, OSError) as exc:
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(True)


def _writable(folder: Path) -> bool:
    try:
        probe = folder / f".health-{time.monotonic_ns()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return False
    return True


def _heartbeat() -> Check:
    seen = cache.get(HEARTBEAT_KEY)
    if seen is None:
        return Check(False, "no heartbeat seen: is a worker running, and beat?")
    age = (timezone.now() - datetime.fromisoformat(seen)).total_seconds()
    if age > HEARTBEAT_STALE_SECONDS:
        return Check(False, f"the last heartbeat was {int(age)} s ago: a worker or beat is down")
    return Check(True, f"seen {int(age)} s ago")


def _outbox() -> dict:
    pending = OutgoingEmail.objects.filter(status=EmailStatus.PENDING)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "pending": pending.count(),
        "oldest_pending_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
        "failed": OutgoingEmail.objects.filter(status=EmailStatus.FAILED).count(),
    }
