"""The account menu: password, second factor with its reason, language, calendar subscriptions."""
from __future__ import annotations

import pytest
from django.urls import reverse

from calendars.forms import FeedTokenForm
from protocols.forms import MyActionsFilter

pytestmark = pytest.mark.django_db


def test_the_header_links_to_her_account(world, login):
    page = login(world.counsellor).get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("account")}"' in page


def test_a_professional_is_told_why_a_second_factor_is_required(world, login, settings):
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=world.counsellor, type=Authenticator.Type.TOTP, data={"secret": "x"})
    page = login(world.counsellor).get(reverse("account")).content.decode()
    assert "a stolen password alone does not open it" in page


def test_the_first_screen_of_the_enforced_set_up_says_what_comes_and_why(world, login, settings):
    settings.MFA_REQUIRED_FOR_PROFESSIONALS = True
    response = login(world.counsellor).get(reverse("dashboard"), follow=True)
    page = response.content.decode()
    assert "Next: set up your second factor." in page and "authenticator app" in page


def test_choosing_a_language_keeps_it_for_pages_and_emails(world, login):
    client = login(world.counsellor)
    response = client.post(reverse("account"), {"language": "da"}, follow=True)
    world.counsellor.refresh_from_db()
    assert world.counsellor.preferred_language == "da"
    assert 'lang="da"' in response.content.decode()


def test_a_counsellor_is_not_offered_board_meeting_calendars(world):
    form = FeedTokenForm(cases=[world.case], networks=[])
    assert "board" not in dict(form.fields["kind"].choices)
    assert "network" not in form.fields


def test_my_actions_offers_cases_i_lead_only_to_someone_who_leads_one(world):
    assert "scope" not in MyActionsFilter(cases=[world.case], leads_cases=False).fields
    assert "scope" in MyActionsFilter(cases=[world.case], leads_cases=True).fields


def test_my_actions_page_for_a_counsellor_has_no_cases_i_lead_choice(world, login):
    page = login(world.counsellor).get(reverse("protocols:my_actions")).content.decode()
    assert "All actions of the cases I lead" not in page
    page = login(world.convenor).get(reverse("protocols:my_actions")).content.decode()
    assert "All actions of the cases I lead" in page


@pytest.mark.parametrize("ui", ["de", "da", "en"])
def test_the_header_and_the_account_page_name_each_language_alike_in_itself(world, login, ui):
    """"Deutsch", "Dansk", "English" in both lists, whatever language the page is in (the header
    said "dansk", the account page "Dansk" in Danish and "Dänisch" in German)."""
    import re

    from participants.models import User

    User.objects.filter(pk=world.counsellor.pk).update(preferred_language=ui)
    page = login(world.counsellor).get(reverse("account")).content.decode()
    header = re.search(r'<select name="language" id="language-select">(.*?)</select>', page, re.S).group(1)
    account = re.search(r'<select name="language"[^>]*id="id_language"[^>]*>(.*?)</select>', page, re.S).group(1)

    def names(options: str) -> list[tuple[str, str]]:
        return re.findall(r'<option value="(\w+)"[^>]*lang="\1"[^>]*>([^<]+)</option>', options)

    want = [("de", "Deutsch"), ("da", "Dansk"), ("en", "English")]
    assert names(header) == want
    assert names(account) == want
