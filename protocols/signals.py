"""Tell the live protocol channel when what someone may see has changed.

Consent, legal bases, the case team, memberships, invitations and parents' accounts decide
what a socket may show (``permissions.policy``). Whatever writes them — the participants' and
cases' services, the admin, an expiry run — the sockets of the affected cases get an
``access.changed`` event after the commit and re-read their user's items. Receivers live here
so that no writer can forget the live channel;
they run no query themselves (the cases are looked up after commit).
"""
from __future__ import annotations

from typing import Iterable

from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from protocols.live import access_changed_on_commit


def grants_cases(*, user_ids: Iterable[int] = (), org_ids: Iterable[int] = ()) -> set[int]:
    """Cases whose visible content may change when these users or organisations change."""
    from conferences.models import CaseTeamMember
    from participants.models import FamilyMember, Membership

    user_ids, org_ids = list(user_ids), list(org_ids)
    ids = set(
        CaseTeamMember.objects.filter(removed_at__isnull=True)
        .filter(Q(user_id__in=user_ids) | Q(organisation_id__in=org_ids))
        .values_list("case_id", flat=True)
    )
    ids |= set(FamilyMember.objects.filter(user_id__in=user_ids).values_list("case_id", flat=True))
    if user_ids:
        member_orgs = Membership.objects.filter(user_id__in=user_ids).values("organisation_id")
        ids |= set(
            CaseTeamMember.objects.filter(removed_at__isnull=True, user__isnull=True, organisation_id__in=member_orgs)
            .values_list("case_id", flat=True)
        )
    return ids


def connect() -> None:
    """Called from ``ProtocolsConfig.ready``."""
    from conferences.models import CaseTeamMember, Invitation
    from participants.models import Consent, DisclosureBasis, FamilyMember, Membership, Organisation, User

    def by_case_id(sender, instance, **kwargs):
        access_changed_on_commit(instance.case_id)

    def by_orgs(sender, instance, action, **kwargs):
        if action in {"post_add", "post_remove", "post_clear"} and not kwargs.get("reverse"):
            access_changed_on_commit(instance.case_id)

    def invitation_changed(sender, instance, **kwargs):
        from conferences.models import Conference

        conference_id = instance.conference_id
        access_changed_on_commit(resolve=lambda: Conference.objects.filter(pk=conference_id).values_list("case_id", flat=True))

    def membership_changed(sender, instance, **kwargs):
        user_id, org_id = instance.user_id, instance.organisation_id
        access_changed_on_commit(resolve=lambda: grants_cases(user_ids=[user_id], org_ids=[org_id]))

    def organisation_changed(sender, instance, created, **kwargs):
        if not created:  # deactivating an organisation takes its items from its people's screens
            org_id = instance.pk
            access_changed_on_commit(resolve=lambda: grants_cases(org_ids=[org_id]))

    def user_changed(sender, instance, created, **kwargs):
        if not created and not instance.is_active:  # a disabled account keeps no open protocol
            user_id = instance.pk
            access_changed_on_commit(resolve=lambda: grants_cases(user_ids=[user_id]))

    uid = "protocols.live"
    for signal in (post_save, post_delete):
        for model in (Consent, DisclosureBasis, CaseTeamMember, FamilyMember):
            signal.connect(by_case_id, sender=model, dispatch_uid=f"{uid}.{model.__name__}.{id(signal)}", weak=False)
        signal.connect(membership_changed, sender=Membership, dispatch_uid=f"{uid}.membership.{id(signal)}", weak=False)
    post_save.connect(invitation_changed, sender=Invitation, dispatch_uid=f"{uid}.invitation", weak=False)
    post_save.connect(organisation_changed, sender=Organisation, dispatch_uid=f"{uid}.organisation", weak=False)
    post_save.connect(user_changed, sender=User, dispatch_uid=f"{uid}.user", weak=False)
    for model in (Consent, DisclosureBasis):
        m2m_changed.connect(by_orgs, sender=model.to_organisations.through, dispatch_uid=f"{uid}.{model.__name__}.orgs", weak=False)
