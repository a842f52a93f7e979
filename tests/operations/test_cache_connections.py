"""The Redis cache keeps one connection pool per process (issue 13). Django builds a cache object
per thread and, under ASGI, per request; with the pool on that object every request that touched
the cache opened a new TCP connection to Redis (one per feed GET over gunicorn + uvicorn)."""
from __future__ import annotations

import uuid

from permissions.cache import ResilientRedisCache
from tests.operations.conftest import REDIS_URL


def test_cache_objects_of_successive_requests_share_one_connection(redis_server):
    prefix = f"fk-test-{uuid.uuid4().hex}"
    params = {"KEY_PREFIX": f"{prefix}:cache", "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    first, second = ResilientRedisCache(REDIS_URL, params), ResilientRedisCache(REDIS_URL, params)  # two requests
    try:
        first.set("feed", b"body")
        assert second.get("feed") == b"body"
        pool = first._cache._get_connection_pool(True)
        assert second._cache._get_connection_pool(False) is pool
        assert second._cache.get_client() is first._cache.get_client(write=True)
        assert len(pool._available_connections) + len(pool._in_use_connections) == 1
    finally:
        first.clear()


def test_another_server_gets_its_own_pool(redis_server):
    params = {"KEY_PREFIX": "fk-test:cache"}
    here = ResilientRedisCache(REDIS_URL, params)
    elsewhere = ResilientRedisCache("redis://127.0.0.1:1/0", params)
    assert here._cache._get_connection_pool(True) is not elsewhere._cache._get_connection_pool(True)
    assert elsewhere.get("anything", "missing") == "missing"  # unreachable: degraded, not an error
