"""Fixtures of the operations tests that need a real Redis."""
from __future__ import annotations

import os

import pytest
import redis

# The run's Redis (CI's PostgreSQL + Redis pass), else the local default; each test uses keys of
# its own random prefix, so runs sharing one Redis do not meet.
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_server():
    """A client of the Redis at REDIS_URL; the test is skipped where none answers."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("No Redis on 127.0.0.1:6379")
    yield client
    client.close()
