"""Cached renderings of shift lists, invalidated by a version number.

Every write that changes what a shift list shows (a booking taking or freeing a seat, a
shift or queue edited, paused or resumed) calls ``shifts_changed``; the version moves
once the transaction commits, and every cached list built on the old one is ignored.
Entries also expire on their own, since time alone moves shifts out of the list.
"""

from __future__ import annotations

from collections.abc import Callable

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


# The version this process last read: most reads find it unchanged, so the version and
# the entries built under it can be fetched together, in one round trip.
_seen_version: int | None = None


def read_current(keys_for: Callable[[int], list[str]]) -> tuple[int, dict]:
    """The current version and the cached entries built under it, by ``keys_for(version)``.

    Entries are only ever returned for the version the cache holds now; a guess that
    turns out stale costs a second round trip, never a stale answer.
    """
    global _seen_version
    guess = _seen_version
    if guess is not None:
        found = cache.get_many([VERSION_KEY, *keys_for(guess)])
        if found.pop(VERSION_KEY, None) == guess:
            return guess, found
    current = _seen_version = shifts_version()
    return current, cache.get_many(keys_for(current))


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, None)


def shifts_changed(**kwargs) -> None:
    # robust: the change has committed; a cache that is down must not turn it into an
    # error (the cache forgives an outage itself; this holds for any other fault too).
    transaction.on_commit(_bump, robust=True)
