"""Health endpoints: every role, the outsider and anonymous alike get the same status and the
same single word — nothing about the installation, the user or any case."""
from __future__ import annotations

import pytest

from tests.matrix.roles import ROLES, client_for

URL_NAMES = {"health_live", "health_ready"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
def test_health_answers_every_role_alike_with_one_word(world, client, role):
    from django.core.cache import cache

    cache.clear()
    c = client_for(client, world, role)
    for path in ("/health/live", "/health/ready"):
        response = c.get(path)
        assert (response.status_code, response.content) == (200, b"ok\n"), (role, path)
