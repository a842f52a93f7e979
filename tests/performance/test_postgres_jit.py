"""The connections the service opens on PostgreSQL run without the JIT compiler
(``config/settings.py``): with it, the actions list at 10,000 items spent 10.2 of 10.3 s
compiling its access filter (``bench/api_lists.py``, 2026-12-07)."""
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_a_request_s_statements_are_not_jit_compiled():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the CI's second pass)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
