"""Clearing the Redis cache removes the cache's own keys only, never the channel layer's groups
or another installation's data on the same Redis."""
from __future__ import annotations

import uuid

from permissions.cache import ResilientRedisCache
from tests.operations.conftest import REDIS_URL


def test_clearing_the_cache_keeps_other_keys_on_the_same_redis(redis_server):
    prefix = f"fk-test-{uuid.uuid4().hex}"
    cache = ResilientRedisCache(REDIS_URL, {"KEY_PREFIX": f"{prefix}:cache"})
    foreign = f"{prefix}:channels:group"
    redis_server.set(foreign, "member")
    try:
        cache.set("login-failures", 5)
        assert cache.get("login-failures") == 5
        assert cache.clear() is True
        assert cache.get("login-failures") is None
        assert redis_server.get(foreign) == b"member"
    finally:
        redis_server.delete(foreign)
