"""A Redis cache that degrades to "nothing cached" while Redis is unreachable.

The cache holds only what can be recomputed (rate-limit counters, health-check throttles), so a
Redis outage must not turn every page into an error: reads miss, writes are dropped, and one
warning per call names the outage in the log. Rate limits do not count while Redis is down.
"""
from __future__ import annotations

import functools
import logging
import threading

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


# One connection pool and one ``redis.Redis`` per server and options, for the whole process.
# Django keeps a cache object per thread and, under ASGI, per request (every request runs in a
# context of its own): with the pools on the cache object, every request that touched the cache
# opened a new TCP connection to Redis (measured with ``INFO stats`` over gunicorn + uvicorn: one
# connection per feed GET; issue 13). redis-py's pools and clients are thread-safe, hand out a
# connection per command and reconnect a connection that Redis closed (a restart).
_SHARED: dict[tuple, tuple] = {}
_SHARED_LOCK = threading.Lock()


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client with a process-wide connection pool and ``redis.Redis`` (see ``_SHARED``):
    building a ``redis.Redis`` fills a table of ~170 response callbacks, about the cost of the
    round trip of a small GET, and a new pool means a new connection."""

    def _shared(self, write: bool) -> tuple:
        index = self._get_connection_pool_index(write)
        key = (self._servers[index], self._pool_class, self._client,
               repr(sorted(self._pool_options.items(), key=lambda item: item[0])))
        shared = _SHARED.get(key)
        if shared is None:
            with _SHARED_LOCK:
                shared = _SHARED.get(key)
                if shared is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    shared = _SHARED[key] = (pool, self._client(connection_pool=pool))
        return shared

    def _get_connection_pool(self, write):
        return self._shared(write)[0]

    def get_client(self, key=None, *, write=False):
        return self._shared(write)[1]


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
