"""A parent finds her own pages: what was agreed, her consents, who read her data — in plain words."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from permissions import audit
from protocols.models import Protocol

pytestmark = pytest.mark.django_db


def test_her_navigation_offers_her_agreements_and_consents(world, login):
    page = login(world.parent).get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("protocols:my_agreements")}"' in page
    assert f'href="{reverse("cases:my_consents")}"' in page
    assert f'href="{reverse("access:my_data")}"' in page


def test_her_case_page_is_her_own_not_the_professionals(world, login):
    page = login(world.parent).get(reverse("cases:case_detail", args=[world.case.pk])).content.decode()
    assert "Your family&#x27;s case" in page or "Your family's case" in page
    assert "Lead organisation" not in page and world.network.name not in page and "Europe/Berlin" not in page
    assert reverse("protocols:my_agreements") in page


def test_her_agreements_come_first_with_dates_in_her_language_and_the_draft_is_marked(world, login):
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.RELEASED)
    client = login(world.parent)
    client.post(reverse("set_language"), {"language": "de"})
    page = client.get(reverse("protocols:my_agreements")).content.decode()
    assert page.index(world.action_parent.title) < page.index("Ihre Konferenzen")
    with translation.override("de"):
        assert formats.date_format(world.action_parent.due_on, "DATE_FORMAT") in page
    assert world.action_parent.due_on.isoformat() not in page
    assert "Entwurf" in page
    protocol_page = client.get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert 'id="draft-note"' in protocol_page
    assert reverse("protocols:protocol_acknowledge", args=[world.protocol.pk]) not in protocol_page  # not before it is final


def test_a_final_protocol_asks_her_to_confirm_she_read_it(world, login):
    Protocol.objects.filter(pk=world.protocol.pk).update(status=Protocol.Status.FINAL, finalised_at=timezone.now())
    page = login(world.parent).get(reverse("protocols:protocol_detail", args=[world.protocol.pk])).content.decode()
    assert 'id="draft-note"' not in page
    assert reverse("protocols:protocol_acknowledge", args=[world.protocol.pk]) in page
    assert page.index(world.action_parent.title) < page.index("Show the full points")


def test_who_read_her_data_names_people_and_reasons_not_user_names_or_codes(world, login):
    audit.record(world.counsellor, action="case.read", obj=world.case, case_id=world.case.pk, legal_basis="team")
    audit.record("seed_demo", action="case.create", obj=world.case, case_id=world.case.pk)
    client = login(world.parent)
    page = client.get(reverse("access:my_data")).content.decode()
    assert "Counsellor (Suchtberatung Test)" in page
    assert "seed_demo" not in page and ">counsellor<" not in page and ">team<" not in page
    assert "Member of your case team" in page
    client.post(reverse("set_language"), {"language": "de"})
    export = client.get(reverse("access:my_data"), {"format": "csv"}).content.decode()
    assert export.lstrip("\ufeff").startswith("Zeitpunkt;Wer;Was;Wie;Warum es erlaubt war")
    assert "seed_demo" not in export and "case.read" not in export


def test_her_conference_page_says_when_there_will_be_a_protocol_instead_of_an_empty_heading(world, login):
    import datetime as dt

    from conferences.models import Conference, Invitation

    start = timezone.now() + dt.timedelta(days=30)
    later = Conference.objects.create(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                                      starts_at=start, ends_at=start + dt.timedelta(hours=1), location="Rathaus")
    Invitation.objects.create(conference=later, family_member=world.mother)
    page = login(world.parent).get(reverse("conferences:conference_detail", args=[later.pk])).content.decode()
    assert "There is no protocol yet. It is written at the conference" in page
