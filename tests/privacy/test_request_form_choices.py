"""The request form preselects nothing the officer must decide herself (newcomer walk 11: "from her
own signed-in account" stood preselected for a person without an account)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from privacy.models import DataSubjectRequest

pytestmark = pytest.mark.django_db


def test_person_kind_and_identity_check_start_empty(world, client):
    client.force_login(world.dpo)
    page = client.get(reverse("privacy:request_list") + f"?reference={world.case.reference}").content.decode()
    for name in ("family_member", "kind", "identity_check"):
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
        assert "selected" not in select.split("</option>", 1)[1], name  # only the empty choice may be selected
        assert '<option value="" selected>' in select, name


def test_a_request_without_an_identity_check_is_refused_at_the_field(world, client):
    client.force_login(world.dpo)
    answer = client.post(reverse("privacy:request_create"), {
        "reference": world.case.reference, "family_member": world.mother.pk, "kind": "access",
        "received_on": "2026-12-01", "identity_check": "", "description": ""})
    assert answer.status_code == 400
    assert not DataSubjectRequest.objects.filter(family_member=world.mother).exists()
    assert "identity_check" in answer.context["form"].errors
