"""Helpers for tests that need a parent with an account made through an offer of access
(``cases.access_services``): the caseworker offers access, the parent uses the set-up link; and
what the case page's "offer access" button sends."""
from __future__ import annotations

import re

from django.urls import reverse

from cases import access_services
from cases.models import AccessOffer, Case, FamilyMember
from participants.models import User


def offer_of(offered: access_services.AccessOffered) -> AccessOffer:
    return AccessOffer.objects.get(code_hash=access_services.code_hash(offered.code))


def account_by_link(convenor: User, member: FamilyMember) -> User:
    """Offer access to ``member`` (no account at her address) and take it as her set-up link does
    when she chooses her password (allauth's ``password_reset`` signal). Returns her account."""
    offered = access_services.family_member_access_offer(convenor, member=member)
    account = offer_of(offered).account
    assert account is not None, "an account received mail at the address already: only the code links"
    access_services.access_offer_take_by_link(account)
    member.refresh_from_db()
    assert member.user_id == account.pk
    return account


def offer_form_data(client, case: Case, member: FamilyMember) -> dict:
    """What the "offer access" button of ``member`` on the case page sends (the client is signed in
    as a caseworker of ``case``): the open offer the page was shown with."""
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    action = reverse("cases:case_family_account", args=[case.pk, member.pk])
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return {"open_offer": re.search(r'name="open_offer" value="([0-9]*)"', form).group(1)}
