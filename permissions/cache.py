"""A Redis cache that degrades to "nothing cached" while Redis is unreachable.

The cache holds only what can be recomputed (rate-limit counters, health-check throttles), so a
Redis outage must not turn every page into an error: reads miss, writes are dropped, and one
warning per call names the outage in the log. Rate limits do not count while Redis is down.
"""
from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrade(fallback):
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except OUTAGE as exc:
                logger.warning("cache unavailable, %s degraded: %s", method.__name__, exc.__class__.__name__)
                return fallback(*args, **kwargs) if callable(fallback) else fallback
        return inner
    return wrap


def _default(key, default=None, version=None):
    return default


def _delta(key, delta=1, version=None):
    return delta


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _clear_own_keys(self) -> bool:
    """Delete this cache's keys only. Django's ``clear()`` flushes the whole Redis database, which
    would also wipe the channel layer's groups and any other installation sharing the server."""
    client = self._cache.get_client(None, write=True)
    batch: list = []
    for key in client.scan_iter(match=f"{_glob_escape(self.key_prefix)}:*", count=500):
        batch.append(key)
        if len(batch) >= 500:
            client.delete(*batch)
            batch.clear()
    if batch:
        client.delete(*batch)
    return True


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, but one ``redis.Redis`` per connection pool instead of a new one per cache
    call: building one fills a table of ~170 response callbacks, which cost about as much as the
    round trip of a small GET (issue 13, the feed poll). A ``redis.Redis`` takes a connection from
    its pool per command, so sharing it is safe (Django's cache objects are per thread anyway)."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_fk_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    add = _degrade(False)(RedisCache.add)
    get = _degrade(_default)(RedisCache.get)
    set = _degrade(None)(RedisCache.set)
    touch = _degrade(False)(RedisCache.touch)
    delete = _degrade(False)(RedisCache.delete)
    get_many = _degrade({})(RedisCache.get_many)
    has_key = _degrade(False)(RedisCache.has_key)
    incr = _degrade(_delta)(RedisCache.incr)
    set_many = _degrade([])(RedisCache.set_many)
    delete_many = _degrade(None)(RedisCache.delete_many)
    clear = _degrade(False)(_clear_own_keys)
