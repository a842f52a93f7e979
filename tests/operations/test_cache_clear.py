"""Clearing the Redis cache removes the cache's own keys only, never the channel layer's groups
or another installation's data on the same Redis."""
from __future__ import annotations

import uuid

import pytest
import redis

from permissions.cache import ResilientRedisCache

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def server():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("No Redis on 127.0.0.1:6379")
    yield client
    client.close()


def test_clearing_the_cache_keeps_other_keys_on_the_same_redis(server):
    prefix = f"fk-test-{uuid.uuid4().hex}"
    cache = ResilientRedisCache(REDIS_URL, {"KEY_PREFIX": f"{prefix}:cache"})
    foreign = f"{prefix}:channels:group"
    server.set(foreign, "member")
    try:
        cache.set("login-failures", 5)
        assert cache.get("login-failures") == 5
        assert cache.clear() is True
        assert cache.get("login-failures") is None
        assert server.get(foreign) == b"member"
    finally:
        server.delete(foreign)
