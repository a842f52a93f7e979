"""Helpers for tests that need a parent with an account made through an offer of access
(``cases.access_services``): the caseworker offers access, the parent uses the set-up link."""
from __future__ import annotations

from cases import access_services
from cases.models import AccessOffer, FamilyMember
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
