"""The cache layers the hot pages lean on: never a stale answer, and no wasted work."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache

from frontline.cache import RedisCache
from rotations.shifts import caching


def test_the_redis_cache_keeps_one_client_per_pool():
    backend = RedisCache("redis://127.0.0.1:6379/7", {})
    client = backend._cache.get_client()
    assert backend._cache.get_client() is client
    assert backend._cache.get_client(write=True) is client  # one server: one pool


def test_redis_replies_are_parsed_in_c():
    # requirements.txt pins hiredis; redis-py falls back to its Python parser silently.
    from redis._parsers import _HiredisParser

    backend = RedisCache("redis://127.0.0.1:6379/7", {})
    pool = backend._cache.get_client().connection_pool
    assert pool.connection_class(**pool.connection_kwargs)._parser.__class__ is _HiredisParser


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the local Redis (set REDIS_URL)")
def test_the_reused_client_reads_and_writes_real_redis():
    backend = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-caching"})
    backend.delete_many(["k", "k-count"])
    backend.set("k", {"rows": "<tr>"}, 30)
    assert backend.get_many(["k", "missing"]) == {"k": {"rows": "<tr>"}}
    assert backend.add("k-count", 1) is True
    assert backend.incr("k-count") == 2
    assert len(backend._cache._clients) == 1  # every call above went through one client
    backend.delete_many(["k", "k-count"])


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the local Redis (set REDIS_URL)")
def test_incr_is_one_round_trip_and_never_creates_a_missing_key():
    backend = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-caching"})
    backend.delete("counter")
    with pytest.raises(ValueError, match="Key 'test-caching:1:counter' not found."):
        backend.incr("counter")
    assert backend.get("counter") is None, "a missing version must stay missing"
    backend.set("counter", 41, None)
    client = backend._cache.get_client()
    sent = []
    original = client.execute_command
    client.execute_command = lambda *args, **kwargs: (
        sent.append(args[0]) or original(*args, **kwargs)
    )
    try:
        assert backend.incr("counter") == 42
        assert backend.incr("counter", 8) == 50
    finally:
        del client.execute_command
    assert sent == ["EVALSHA", "EVALSHA"]
    assert backend.get("counter") == 50
    backend.delete("counter")


def _keys(version: int) -> list[str]:
    return [f"rows:{version}"]


def test_read_current_returns_only_entries_built_under_the_current_version(monkeypatch):
    monkeypatch.setattr(caching, "_seen_version", None)
    version, found = caching.read_current(_keys)
    assert found == {}
    cache.set(f"rows:{version}", "old rows")
    assert caching.read_current(_keys) == (version, {f"rows:{version}": "old rows"})

    caching._bump()  # a booking committed: this process still guesses the old version
    assert caching._seen_version == version
    newer, found = caching.read_current(_keys)
    assert newer == version + 1
    assert found == {}, "a stale guess must never be served"
    assert caching._seen_version == newer


def test_read_current_recovers_when_the_version_was_evicted(monkeypatch):
    monkeypatch.setattr(caching, "_seen_version", 41)
    cache.set("rows:41", "rows from before the eviction")
    version, found = caching.read_current(_keys)
    assert version == 1 and found == {}


def test_read_current_makes_one_round_trip_when_nothing_changed(monkeypatch):
    monkeypatch.setattr(caching, "_seen_version", None)
    version, _ = caching.read_current(_keys)
    calls = []

    class Counting:
        def get_many(self, keys):
            calls.append(keys)
            return cache.get_many(keys)

    monkeypatch.setattr(caching, "cache", Counting())
    monkeypatch.setattr(caching, "shifts_version", lambda: pytest.fail("no separate version read"))
    assert caching.read_current(_keys)[0] == version
    assert calls == [[caching.VERSION_KEY, f"rows:{version}"]]
