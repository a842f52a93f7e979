"""Reads of requests and referrals, filtered by ``offers.access``; one object is 404 when
missing or invisible, and its read is audited."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from cases import policy as cases_policy
from cases.models import CaseTeamMember
from participants.models import Membership, ProfessionalRole
from permissions import audit

from . import access, capacity, deadlines
from . import referral_case_services as rcs
from .models import CentralCaseManager, Offer, Referral, SupportRequest


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None


def case_managers_for(user, *, including_herself: bool = False) -> QuerySet[CentralCaseManager]:
    """The central case managers the user may write to: those of her networks, herself left out.
    ``including_herself`` keeps her own role, so that the API can hand a request addressed to
    herself to the service, which refuses it with its reason."""
    roles = access.case_manager_roles_in_force().filter(network_id__in=access.network_ids(user))
    if not including_herself:
        roles = roles.exclude(user=user)
    return roles.select_related("user", "organisation", "network").order_by("network__name", "user__last_name")


def offer_to_ask_about(user, pk) -> Offer | None:
    """The offer a professional may ask a central case manager about, or ask her to refer a client
    to, from its directory page: one she sees in the directory, of a network where she works and
    has a case manager to write to (``request_create``'s rule, narrowed to the offer's network: a
    referral never crosses networks, ``referral_services.referral_create``). None for anything
    else (no such offer, another network's, a visitor or a board member), so that the offer's page
    offers the steps only to whom the request form takes them from, and the form is prefilled
    only with such an offer."""
    if not access._real(user):
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (access.offers_visible_to(user).filter(pk=pk, organisation__network_id__in=case_managers_for(user).values("network_id"))
            .select_related("organisation").first())


def requests_for_list(user) -> QuerySet[SupportRequest]:
    """Her requests, each marked ``case_manager_left`` when nobody answers it any more (its case
    manager holds no role in force in its network: ``access.case_manager_left``), in the same query."""
    in_force = access.case_manager_roles_in_force().filter(user_id=OuterRef("case_manager_id"), network_id=OuterRef("network_id"))
    return (access.support_requests_for(user).select_related("sender", "sender_organisation", "case_manager")
            .annotate(case_manager_left=~Exists(in_force)).order_by("-created_at", "-pk"))


def get_request_for_user(user, pk, *, channel: str = audit.Channel.PAGE) -> SupportRequest:
    request = (access.support_requests_for(user).select_related("sender", "sender_organisation", "case_manager", "network")
               .filter(pk=_pk(pk)).first())
    if request is None:
        raise Http404("No such request.")
    audit.record(user, action="support_request.read", obj=request, case_id=request.case_id, channel=channel)
    return request


def referrals_of_request(user, request: SupportRequest, *, channel: str = audit.Channel.PAGE) -> list[Referral]:
    """The referrals made from ``request`` (whose page she may open, ``get_request_for_user``), each
    with ``content_visible`` as on its own page: the offer's answer (or reason for declining) shows
    to the sender where the client's consent lets her see what the offers answer. A read of the
    answers shown, as on the referral's page."""
    referrals = list(access.with_content_visible(user, request.referrals.select_related("offer", "offer__organisation")))
    for referral in referrals:
        if referral.content_visible and (referral.answer or referral.decline_reason):
            audit.record(user, action="referral.read", obj=referral, case_id=referral.case_id, channel=channel)
    return referrals


def referrals_awaiting_answer(user) -> QuerySet[Referral]:
    """Referrals to the offers she manages that nobody has answered yet (requested or only
    acknowledged), oldest first: what the receiving service's dashboard lists."""
    return (access.referrals_for(user).filter(offer__in=access.offers_managed_by(user),
                                              status__in=[Referral.Status.REQUESTED, Referral.Status.RECEIVED])
            .select_related("offer").order_by("created_at", "pk"))


def requests_awaiting_answer(user) -> QuerySet[SupportRequest]:
    """Open requests addressed to her as the network's central case manager, oldest first."""
    return (access.support_requests_for(user).filter(access.case_manager_q(user), status=SupportRequest.Status.OPEN)
            .select_related("sender_organisation").order_by("created_at", "pk"))


def referrals_for_list(user) -> QuerySet[Referral]:
    return (access.referrals_for(user).select_related("offer", "offer__organisation", "referred_by", "support_request")
            .order_by("-created_at", "-pk"))


@dataclass
class ReferralView:
    referral: Referral
    content_visible: bool
    is_staff: bool
    position: int | None
    waiting: int
    answer_due_on: dt.date | None = None     # while unanswered: the network's working days, holidays skipped
    expected_place_on: dt.date | None = None  # while waiting: the expected wait in working weeks
    case_visible: bool = False                # the referral's case, named only to those who may see it
    joined_case_team: bool = False            # the viewer is on that case's team for the receiving organisation
    join_refusal: str = ""                    # why receiving staff cannot join that team on their own (``rcs.join_refusal``)
    may_open_case: bool = False               # receiving staff who is a caseworker there


def get_referral_for_user(user, pk, *, channel: str = audit.Channel.PAGE) -> ReferralView:
    referral = (access.referrals_for(user).select_related("offer", "offer__organisation__network", "referred_by",
                                                          "referred_by_organisation", "support_request", "case")
                .filter(pk=_pk(pk)).first())
    if referral is None:
        raise Http404("No such referral.")
    content = access.referral_content_visible(user, referral)
    audit.record(user, action="referral.read" if content else "referral.read_status", obj=referral,
                 case_id=referral.case_id, channel=channel)
    network = referral.offer.organisation.network
    due = None
    if referral.status in (Referral.Status.REQUESTED, Referral.Status.RECEIVED):
        due = deadlines.answer_due_on(referral, network=network, working_days=deadlines.answer_working_days(network.pk))
    is_staff = access.may_manage_offer(user, referral.offer)
    case_visible = referral.case_id is not None and cases_policy.cases_for_user(user).filter(pk=referral.case_id).exists()
    return ReferralView(
        referral=referral, content_visible=content, is_staff=is_staff,
        position=capacity.position_on_waiting_list(referral), waiting=capacity.waiting_list(referral.offer).count(),
        answer_due_on=due, expected_place_on=deadlines.expected_place_on(referral), case_visible=case_visible,
        joined_case_team=case_visible and CaseTeamMember.objects.filter(
            case_id=referral.case_id, organisation_id=referral.offer.organisation_id, user=user, removed_at__isnull=True).exists(),
        join_refusal=rcs.join_refusal(referral) if is_staff and referral.case_id is not None else "",
        may_open_case=is_staff and Membership.objects.filter(
            user=user, organisation_id=referral.offer.organisation_id, role=ProfessionalRole.CASEWORKER, is_active=True).exists(),
    )


def referable_offers(user, support_request: SupportRequest) -> QuerySet[Offer]:
    """Offers the case manager may refer the request's client to: active offers of the request's
    network, while she is a central case manager there (never another network's, even where she
    holds that role too)."""
    networks = access.case_manager_roles(user).filter(network_id=support_request.network_id).values("network_id")
    return (access.offers_visible_to(user).filter(organisation__network_id__in=networks)
            .select_related("organisation").order_by("name"))


def waiting_list_for_user(user, offer_pk) -> tuple[Offer, QuerySet[Referral]]:
    offer = access.offers_managed_by(user).filter(pk=_pk(offer_pk)).first()
    if offer is None:
        raise Http404("No such offer.")
    audit.record(user, action="offer.waiting_list.read", obj=offer)
    return offer, capacity.waiting_list(offer).select_related("referred_by")
