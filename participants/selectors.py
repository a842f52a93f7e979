"""Reads of the participants app (the landing dashboard, which gathers from every app, lives in
``config/dashboard.py``)."""
from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet

from participants.models import Membership, User


def organisation_members_for_lead(user) -> QuerySet:
    """Memberships of the organisations the user leads (the page the leads' notification opens)."""
    led = Membership.objects.filter(user=user, is_lead=True, is_active=True, user__is_active=True).values("organisation_id")
    return (Membership.objects.filter(organisation_id__in=led).select_related("user", "organisation")
            .order_by("organisation__name", "user__last_name", "user__username"))


def email_address_in_use(email: str, *, except_user_id: int | None = None) -> bool:
    """Whether any account already receives mail at ``email`` (case-insensitive): as its contact
    address or as one of its allauth addresses, where sign-in and password-reset links go.
    ``except_user_id``: the account whose own address this is (a change that keeps it)."""
    email = (email or "").strip()
    if not email:
        return False
    users, addresses = User.objects.filter(email__iexact=email), EmailAddress.objects.filter(email__iexact=email)
    if except_user_id is not None:
        users, addresses = users.exclude(pk=except_user_id), addresses.exclude(user_id=except_user_id)
    return users.exists() or addresses.exists()


def accounts_at_address(email: str) -> QuerySet:
    """The accounts that receive mail at ``email`` (case-insensitive): as their contact address or
    as one of their allauth addresses. For services only: whether there is one is never shown to
    the person who asks (``cases.access_services``)."""
    email = (email or "").strip()
    if not email:
        return User.objects.none()
    return User.objects.filter(Q(email__iexact=email)
                               | Q(pk__in=EmailAddress.objects.filter(email__iexact=email).values("user_id")))
