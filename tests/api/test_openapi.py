"""The OpenAPI schema is generated and validated, failing on any warning."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=io.StringIO())
    schema = target.read_text()
    for path in ("/api/protocols/", "/api/protocol-items/{id}/", "/api/amendments/", "/api/acknowledgements/",
                 "/api/actions/{id}/status/"):
        assert f"{path}:" in schema
    assert "'409':" in schema
