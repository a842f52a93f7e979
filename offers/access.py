"""Who may see and change what in the offers app, as queryset filters (one SQL statement each).

Built on ``participants.policy`` (memberships) in the manner of the case policy:
- the public directory: active public offers, for anyone, signed in or not;
- network-only offers: active professionals of an organisation of the same network;
- an offer is managed (details, availability, referrals, enrolments, contact requests) by the
  active members of the organisation that offers it;
- a support request is a conversation between its sender and its case manager, nobody else;
- a referral is seen in full by the receiving organisation and by whoever made it; the
  professional whose support request led to it sees its status, and its content only when the
  client's consent covers that.
Staff and superusers get nothing from being staff.
"""
from __future__ import annotations

from django.db.models import Q, QuerySet

from participants import policy as participants_policy
from participants.models import Membership

from .models import CentralCaseManager, ContactRequest, Enrolment, Offer, Referral, Session, SupportRequest


def _real(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def network_ids(user) -> QuerySet:
    """Networks the user works in as an active professional (a subquery)."""
    return Membership.objects.filter(user=user, is_active=True, organisation__is_active=True).values("organisation__network_id")


def offers_visible_to(user) -> QuerySet[Offer]:
    public = Q(visibility=Offer.Visibility.PUBLIC)
    if not _real(user):
        return Offer.objects.filter(public, is_active=True, organisation__is_active=True)
    return Offer.objects.filter(
        public | Q(organisation__network_id__in=network_ids(user)), is_active=True, organisation__is_active=True,
    )


def public_offers() -> QuerySet[Offer]:
    return offers_visible_to(None)


def offers_managed_by(user) -> QuerySet[Offer]:
    if not _real(user):
        return Offer.objects.none()
    return Offer.objects.filter(organisation_id__in=participants_policy.organisation_ids(user))


def may_manage_offer(user, offer: Offer) -> bool:
    return _real(user) and participants_policy.organisation_ids(user).filter(organisation_id=offer.organisation_id).exists()


def case_manager_roles(user) -> QuerySet[CentralCaseManager]:
    """The user's active central case manager roles (only while she still works there)."""
    if not _real(user):
        return CentralCaseManager.objects.none()
    return CentralCaseManager.objects.filter(
        user=user, is_active=True, organisation_id__in=participants_policy.organisation_ids(user),
    )


def is_case_manager(user, network_id: int | None = None) -> bool:
    roles = case_manager_roles(user)
    return (roles.filter(network_id=network_id) if network_id else roles).exists()


def support_requests_for(user) -> QuerySet[SupportRequest]:
    if not _real(user):
        return SupportRequest.objects.none()
    return SupportRequest.objects.filter(Q(sender=user) | Q(case_manager=user))


def referrals_for(user) -> QuerySet[Referral]:
    """Referrals the user may see (at least their status)."""
    if not _real(user):
        return Referral.objects.none()
    return Referral.objects.filter(
        Q(offer__organisation_id__in=participants_policy.organisation_ids(user)) | Q(referred_by=user) | Q(support_request__sender=user)
    )


def referral_content_visible(user, referral: Referral) -> bool:
    """Content (what is asked for, the offer's answer, the client) beyond the status."""
    if referral.referred_by_id == user.pk or may_manage_offer(user, referral.offer):
        return True
    request = referral.support_request
    return bool(request and request.sender_id == user.pk and request.consent_sender_sees_content)


def enrolments_for(user) -> QuerySet[Enrolment]:
    if not _real(user):
        return Enrolment.objects.none()
    return Enrolment.objects.filter(offer__organisation_id__in=participants_policy.organisation_ids(user))


def sessions_for_staff(user) -> QuerySet[Session]:
    """Sessions in the user's own calendar: hers, while she still works for the offer."""
    if not _real(user):
        return Session.objects.none()
    return Session.objects.filter(staff=user, enrolment__offer__organisation_id__in=participants_policy.organisation_ids(user))


def sessions_for(user) -> QuerySet[Session]:
    """Sessions of the enrolments the user may see (staff of the track's organisation)."""
    if not _real(user):
        return Session.objects.none()
    return Session.objects.filter(enrolment__offer__organisation_id__in=participants_policy.organisation_ids(user))


def contact_requests_for(user) -> QuerySet[ContactRequest]:
    if not _real(user):
        return ContactRequest.objects.none()
    return ContactRequest.objects.filter(offer__organisation_id__in=participants_policy.organisation_ids(user))
