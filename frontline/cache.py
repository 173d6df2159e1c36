"""Django's Redis cache, keeping one client per connection pool, ``incr`` in one round
trip, and carrying on when Redis is down.

A cache that is down is a slower page, never an error page: every call that cannot reach
Redis is answered as a miss (``get`` gives the default, ``delete`` says it did nothing,
``incr`` that the key is missing) and ``add`` as done, so a lock taken with it goes
ahead, once a warning is logged. For a few
seconds after a failure the cache is not even tried, so requests do not each wait for a
connection that will not come. What depends on the cache while it is down: sessions are
read from the database (``cached_db``), permissions are computed per request, shift
lists are rendered per request, and sign-in rate limits are not counted (they fail open:
a sign-in still needs the password and, where set, the second factor).

Django builds a new ``redis.Redis`` for every cache call; each one copies redis-py's
table of ~170 response callbacks, which costs more than the round trip it makes. A
client is thread-safe and stateless over its pool, so one per pool does the same work.

Django's ``incr`` asks whether the key exists, then increments it: two round trips, on
every booking (the shift lists' version). A script does both in one, atomically.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
# Not tried again for this long after it failed (seconds).
RETRY_AFTER_FAILURE = 2.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class _ReusedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._incr_existing = None

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # for reads from replicas, a random one
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        if self._incr_existing is None:
            self._incr_existing = client.register_script(_INCR_EXISTING)
        value = self._incr_existing(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


# Missing keys stay missing, as Django's incr promises: a version counter that expired
# must not restart at a number an old reader may still hold.
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


def _forgiving(fallback):
    """``fallback(*args, **kwargs)`` answers the call when Redis cannot be reached."""

    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return fallback(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                self._failed(exc)
                return fallback(*args, **kwargs)

        return call

    return wrap


def _missing_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found.")  # as Django's incr says of a missing key


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClients
        self._down_until = 0.0

    def _failed(self, exc: BaseException) -> None:
        if self._down_until == 0.0 or time.monotonic() > self._down_until + 60:
            log.warning("the cache (Redis) is unreachable, carrying on without it: %s", exc)
        self._down_until = time.monotonic() + RETRY_AFTER_FAILURE

    def _reached(self) -> None:
        if self._down_until:
            log.warning("the cache (Redis) answers again")
            self._down_until = 0.0

    @_forgiving(lambda key, default=None, *args, **kwargs: default)
    def get(self, key, default=None, version=None):
        value = super().get(key, default, version)
        self._reached()
        return value

    @_forgiving(lambda keys, *args, **kwargs: {})
    def get_many(self, keys, version=None):
        found = super().get_many(keys, version)
        self._reached()
        return found

    # As if added: whoever takes a lock or a once-only key with add() goes ahead (the
    # outbox publishes its task; allauth's rate limit lets the sign-in through).
    @_forgiving(lambda *args, **kwargs: True)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version=version)

    @_forgiving(lambda *args, **kwargs: None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version=version)

    @_forgiving(lambda keys, *args, **kwargs: list(keys))
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version=version)

    @_forgiving(lambda *args, **kwargs: False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version=version)

    @_forgiving(lambda *args, **kwargs: False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_forgiving(lambda *args, **kwargs: None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_forgiving(lambda *args, **kwargs: False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_forgiving(_missing_key)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)
