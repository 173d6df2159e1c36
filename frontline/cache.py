"""Django's Redis cache, keeping one client per connection pool, and ``incr`` in one
round trip.

Django builds a new ``redis.Redis`` for every cache call; each one copies redis-py's
table of ~170 response callbacks, which costs more than the round trip it makes. A
client is thread-safe and stateless over its pool, so one per pool does the same work.

Django's ``incr`` asks whether the key exists, then increments it: two round trips, on
every booking (the shift lists' version). A script does both in one, atomically.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


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


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClients
