"""A Redis cache that degrades to "nothing cached" while Redis is unreachable.

The cache holds only what can be recomputed (rate-limit counters, health-check throttles), so a
Redis outage must not turn every page into an error: reads miss, writes are dropped, and one
warning per call names the outage in the log. Rate limits do not count while Redis is down.
"""
from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache
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


class ResilientRedisCache(RedisCache):
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
    clear = _degrade(False)(RedisCache.clear)
