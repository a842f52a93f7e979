"""Who may see and change what in the offers app, as queryset filters (one SQL statement each).

Built on ``participants.policy`` (memberships) in the manner of the case policy:
- the public directory: active public offers, for anyone, signed in or not;
- network-only offers: active professionals of an organisation of the same network;
- an offer is managed (details, availability, referrals, enrolments, contact requests) by the
  active members of the organisation that offers it;
- a support request is a conversation between its sender and its case manager, nobody else,
  and each of them only while she still works there: the sender while she is an active member
  of the (active) organisation she sent it for, the case manager while she holds an active
  central case manager role in the request's network (``case_manager_roles``). Whoever leaves
  reads and writes nothing of it any more; nothing is handed on to a colleague. A request goes
  only to a case manager whose role is in force (``case_manager_roles_in_force``), and only she
  refers from it, attaches it to a case or opens one from it (``case_manager_role_of``);
- a referral is seen in full by the receiving organisation and by whoever made it (while she is
  still an active member of the referring organisation and a central case manager of the
  referral's network); the professional whose support request led to it (while she still works
  for the organisation she sent it for) sees its status, and its content only when the client's
  consent covers that.
Staff and superusers get nothing from being staff, nor from a membership slipped past the admin.
"""
from __future__ import annotations

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from participants import policy as participants_policy
from participants.models import Membership
from permissions import policy as base_policy

from .models import CentralCaseManager, ContactRequest, Enrolment, Offer, Referral, Session, SupportRequest


def _real(user) -> bool:
    """Signed in, active and no technical admin: a staff account holds no role, so even a
    membership slipped past the admin opens nothing here either (rule 6, as in the case policy)."""
    return base_policy._is_real_user(user)


def works_for(user, organisation_id: int) -> bool:
    """An active professional of the (active) organisation, and no technical admin (``_real``)."""
    return _real(user) and participants_policy.organisation_ids(user).filter(organisation_id=organisation_id).exists()


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
    return works_for(user, offer.organisation_id)


def case_manager_roles_in_force() -> QuerySet[CentralCaseManager]:
    """Central case manager roles in force: active, held by an active account that still works for
    the organisation the role is at (an active membership of an active organisation). Whoever left
    it is no case manager any more: nobody writes to her as one, and she reads and writes nothing
    as one (``case_manager_roles``)."""
    works_there = Membership.objects.filter(user_id=OuterRef("user_id"), organisation_id=OuterRef("organisation_id"),
                                            is_active=True, organisation__is_active=True)
    return CentralCaseManager.objects.filter(Exists(works_there), is_active=True, user__is_active=True)


def case_manager_roles(user) -> QuerySet[CentralCaseManager]:
    """The user's central case manager roles in force (only while she still works there)."""
    if not _real(user):
        return CentralCaseManager.objects.none()
    return case_manager_roles_in_force().filter(user=user)


def case_manager_role_of(user, request: SupportRequest) -> CentralCaseManager | None:
    """Her role as the case manager of ``request``, by the rule that lets her read it as such
    (``case_manager_q``): she is its case manager and holds a role in force in its network. None
    for anyone else, its sender included. The one check before she refers from it, attaches it
    to a case or opens a case from it, on the page and in the service."""
    if not _real(user):
        return None
    as_case_manager = SupportRequest.objects.filter(case_manager_q(user), pk=request.pk).values("network_id")
    return case_manager_roles(user).filter(network_id__in=as_case_manager).select_related("organisation").order_by("pk").first()


def case_manager_left(request: SupportRequest) -> bool:
    """The request's case manager holds no role in force in its network any more (she left her
    organisation, or her role or account ended): nobody answers the request there now. Its
    sender then sends it on to another case manager (``referral_services.support_request_send_on``)."""
    return not case_manager_roles_in_force().filter(user_id=request.case_manager_id, network_id=request.network_id).exists()


def is_case_manager(user, network_id: int | None = None) -> bool:
    roles = case_manager_roles(user)
    return (roles.filter(network_id=network_id) if network_id else roles).exists()


def _sender_q(user, prefix: str = "") -> Q:
    """The sender of a request, while she still works for the organisation she sent it for."""
    return Q(**{f"{prefix}sender": user, f"{prefix}sender_organisation_id__in": participants_policy.organisation_ids(user)})


def case_manager_q(user) -> Q:
    """The request's case manager, while she still holds the role in the request's network."""
    return Q(case_manager=user, network_id__in=case_manager_roles(user).values("network_id"))


def _referrer_q(user) -> Q:
    """Who made the referral, while she still works for the referring organisation and is a
    central case manager of the referral's network."""
    return Q(referred_by=user, referred_by_organisation_id__in=participants_policy.organisation_ids(user),
             offer__organisation__network_id__in=case_manager_roles(user).values("network_id"))


def support_requests_for(user) -> QuerySet[SupportRequest]:
    """Requests the user takes part in, as sender or case manager, only while she still works there."""
    if not _real(user):
        return SupportRequest.objects.none()
    return SupportRequest.objects.filter(_sender_q(user) | case_manager_q(user))


def may_take_part(user, request: SupportRequest) -> bool:
    """Whether the user may still read and write in the conversation (see ``support_requests_for``)."""
    return _real(user) and support_requests_for(user).filter(pk=request.pk).exists()


def referrals_for(user) -> QuerySet[Referral]:
    """Referrals the user may see (at least their status)."""
    if not _real(user):
        return Referral.objects.none()
    return Referral.objects.filter(
        Q(offer__organisation_id__in=participants_policy.organisation_ids(user)) | _referrer_q(user)
        | _sender_q(user, "support_request__")
    )


def _content_q(user) -> Q:
    return (Q(offer__organisation_id__in=participants_policy.organisation_ids(user)) | _referrer_q(user)
            | (_sender_q(user, "support_request__") & Q(support_request__consent_sender_sees_content=True)))


def with_content_visible(user, referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """``referrals`` annotated with ``content_visible`` (``referral_content_visible`` in SQL)."""
    if not _real(user):
        return referrals.none()
    return referrals.annotate(content_visible=Case(When(_content_q(user), then=Value(True)), default=Value(False),
                                                   output_field=BooleanField()))


def referral_content_visible(user, referral: Referral) -> bool:
    """Content (what is asked for, the offer's answer, the client) beyond the status."""
    return _real(user) and Referral.objects.filter(_content_q(user), pk=referral.pk).exists()


def is_active_referrer(user, referral: Referral) -> bool:
    """She made the referral and still works there (may cancel it)."""
    return _real(user) and Referral.objects.filter(_referrer_q(user), pk=referral.pk).exists()


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
