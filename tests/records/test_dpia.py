"""The impact assessment: pre-filled from the record's facts in the document's language, each
section edited by the officer and kept in revisions; a stale edit is refused, never written over."""
from __future__ import annotations

import pytest
from django.urls import reverse

from participants.models import Organisation, OrganisationKind
from permissions.models import AuditEvent
from records import dpia_templates, services
from records.models import DpiaRevision

pytestmark = pytest.mark.django_db


def url(world, name: str, template: str = "dsk", *rest) -> str:
    return reverse(f"records:{name}", args=[world.network.slug, template, *rest])


def test_the_german_assessment_follows_the_dsk_phases_and_is_prefilled_in_german(world, client):
    client.force_login(world.dpo)
    html = client.get(url(world, "dpia"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for spec in dpia_templates.TEMPLATES["dsk"]:
        assert spec.title in html
    for phase in ("Vorbereitung", "Durchführung", "Umsetzung", "Überprüfung"):
        assert phase in html
    assert world.counselling.name in html                       # the recipients, from the record's facts
    assert "10 Jahre nach Abschluss des Falls" in html          # retention, in the document's language
    assert "Pre-filled, not yet saved." in html                 # the interface stays in the reader's language


def test_the_danish_assessment_follows_datatilsynets_minimum_content_in_danish(world, client):
    client.force_login(world.dpo)
    html = client.get(url(world, "dpia", "datatilsynet")).content.decode()
    for spec in dpia_templates.TEMPLATES["datatilsynet"]:
        assert spec.title in html
    assert "Art. 35, stk. 7, litra a" in html and "Art. 36" in html
    assert "10 år efter sagens afslutning" in html
    assert world.youth_welfare.name in html


def test_every_save_is_a_revision_and_the_history_keeps_them_all(world, client):
    client.force_login(world.dpo)
    first = client.post(url(world, "dpia_edit", "dsk", "legal"), {"text": "Art. 6 Abs. 1 lit. e DS-GVO", "base_number": 0})
    assert first.status_code == 302
    second = client.post(url(world, "dpia_edit", "dsk", "legal"), {"text": "Art. 6 Abs. 1 lit. e und Art. 9 Abs. 2 lit. h DS-GVO",
                                                                   "base_number": 1})
    assert second.status_code == 302
    numbers = list(DpiaRevision.objects.filter(section="legal").order_by("number").values_list("number", "text"))
    assert numbers == [(1, "Art. 6 Abs. 1 lit. e DS-GVO"), (2, "Art. 6 Abs. 1 lit. e und Art. 9 Abs. 2 lit. h DS-GVO")]
    page = client.get(url(world, "dpia")).content.decode()
    assert "Art. 9 Abs. 2 lit. h" in page and "Revision 2, saved by" in page
    history = client.get(url(world, "dpia_history", "dsk", "legal")).content.decode()
    assert history.index("Revision 2") < history.index("Revision 1")
    assert "Art. 6 Abs. 1 lit. e DS-GVO" in history
    assert AuditEvent.objects.filter(action="dpia.edit").count() == 2
    assert all("Art. 6" not in str(e.detail) for e in AuditEvent.objects.filter(action="dpia.edit"))


def test_a_stale_edit_is_refused_and_overwrites_nothing(world, client):
    client.force_login(world.dpo)
    edit = url(world, "dpia_edit", "dsk", "review")
    opened = client.get(edit).content.decode()
    assert 'name="base_number" value="0"' in opened
    assert client.post(edit, {"text": "Restrisiko vertretbar.", "base_number": 0}).status_code == 302
    stale = client.post(edit, {"text": "Restrisiko hoch: Konsultation.", "base_number": 0})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Your text was not saved" in body and "Nothing was overwritten." in body
    assert "Restrisiko vertretbar." in body                     # what now stands
    assert "Restrisiko hoch: Konsultation." in body             # her text, kept in the form to merge
    assert 'name="base_number" value="1"' in body               # the next save starts from what stands
    assert list(DpiaRevision.objects.filter(section="review").values_list("text", flat=True)) == ["Restrisiko vertretbar."]


def test_two_saves_from_the_same_revision_at_the_service_level(world):
    services.dpia_section_save(world.dpo, network=world.network, template="dsk", section="team", text="A", base_number=0)
    with pytest.raises(services.StaleEdit) as refused:
        services.dpia_section_save(world.dpo, network=world.network, template="dsk", section="team", text="B", base_number=0)
    assert refused.value.current.text == "A"


def test_bad_input_changes_nothing(world, client):
    client.force_login(world.dpo)
    empty = client.post(url(world, "dpia_edit", "dsk", "legal"), {"text": "   ", "base_number": 0})
    assert empty.status_code == 400
    garbage = client.post(url(world, "dpia_edit", "dsk", "legal"), {"text": "x", "base_number": "abc"})
    assert garbage.status_code == 400
    assert client.get(url(world, "dpia_edit", "dsk", "no-such-section")).status_code == 404
    assert client.get(reverse("records:dpia", args=[world.network.slug, "ico"])).status_code == 404
    assert not DpiaRevision.objects.exists()


def test_an_unchanged_text_saves_no_revision(world, client):
    services.dpia_section_save(world.dpo, network=world.network, template="dsk", section="team", text="Team: DSB, IT", base_number=0)
    client.force_login(world.dpo)
    response = client.post(url(world, "dpia_edit", "dsk", "team"), {"text": "Team: DSB, IT", "base_number": 1}, follow=True)
    assert "The text is unchanged; nothing was saved." in response.content.decode()
    assert DpiaRevision.objects.filter(section="team").count() == 1


def test_unsaved_sections_follow_the_configuration_saved_ones_stay(world, client):
    services.dpia_section_save(world.dpo, network=world.network, template="dsk", section="team", text="Festgelegt.", base_number=0)
    Organisation.objects.create(network=world.network, name="Kinderklinik Neu", kind=OrganisationKind.PAEDIATRICS)
    client.force_login(world.dpo)
    html = client.get(url(world, "dpia")).content.decode()
    assert "Kinderklinik Neu" in html          # the pre-filled scope section shows the new controller
    assert "Festgelegt." in html               # the saved team section stays as saved


def test_the_printable_assessment_is_a_download_in_the_documents_language(world, client):
    client.force_login(world.dpo)
    response = client.get(url(world, "dpia_print", "datatilsynet"))
    assert response["Content-Disposition"].startswith('attachment; filename="dpia-kreis-test-datatilsynet-')
    html = response.content.decode()
    assert '<html lang="da">' in html and "Konsekvensanalyse vedrørende databeskyttelse" in html


def test_a_save_that_loses_the_race_at_the_database_is_refused_too(world, monkeypatch):
    """Two saves that both passed the revision check: the unique revision number lets one in and
    turns the other into the same refusal, with the winner's text."""
    from django.utils import timezone

    from records.models import ProcessingRecord

    original = ProcessingRecord.objects.filter

    def competitor_saves_meanwhile(*args, **kwargs):
        # Runs after the service's revision check and before its insert: the other save commits now.
        if not DpiaRevision.objects.filter(section="team").exists():
            DpiaRevision.objects.create(network=world.network, template="dsk", section="team", number=1,
                                        text="Zuerst gespeichert", edited_by=world.dpo, edited_at=timezone.now())
        return original(*args, **kwargs)

    monkeypatch.setattr(ProcessingRecord.objects, "filter", competitor_saves_meanwhile)
    with pytest.raises(services.StaleEdit) as refused:
        services.dpia_section_save(world.dpo, network=world.network, template="dsk", section="team", text="Später", base_number=0)
    assert refused.value.current.text == "Zuerst gespeichert"
    assert list(DpiaRevision.objects.filter(section="team").values_list("text", flat=True)) == ["Zuerst gespeichert"]
    assert not AuditEvent.objects.filter(action="dpia.edit").exists()


def test_the_officer_finds_the_file_from_her_dashboard_and_navigation(world, client):
    client.force_login(world.dpo)
    html = client.get(reverse("dashboard")).content.decode()
    assert html.count(f'href="{reverse("records:index")}"') == 2      # the main navigation and the data-protection section
    client.force_login(world.convenor)
    assert reverse("records:index") not in client.get(reverse("dashboard")).content.decode()


def test_an_edit_claiming_a_revision_that_does_not_exist_is_refused(world, client):
    client.force_login(world.dpo)
    response = client.post(url(world, "dpia_edit", "dsk", "legal"), {"text": "Neu", "base_number": 3})
    assert response.status_code == 409
    assert "the section was changed after you opened it" in response.content.decode()
    assert not DpiaRevision.objects.exists()
