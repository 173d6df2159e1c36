"""Cached renderings of shift lists, invalidated by a version number.

Every write that changes what a shift list shows (a booking taking or freeing a seat, a
shift or queue edited, paused or resumed) calls ``shifts_changed``; the version moves
once the transaction commits, and every cached list built on the old one is ignored.
Entries also expire on their own, since time alone moves shifts out of the list.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "shifts:version"
LIST_TTL = 30


def shifts_version() -> int:
    value = cache.get(VERSION_KEY)
    if value is None:
        cache.add(VERSION_KEY, 1, None)
        value = cache.get(VERSION_KEY) or 1
    return value


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def shifts_changed(**kwargs) -> None:
    transaction.on_commit(_bump)
