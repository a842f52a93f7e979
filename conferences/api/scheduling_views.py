"""Scheduling API: conferences, poll votes and ranking, pick, RSVP, move, cancel.

Thin: the queryset comes from ``conferences.policy``, the domain operations are ``@action``s
that validate with a serializer and call the same services as the pages (channel "api").
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import policy as cases_policy
from cases.api.audited import AuditedReadMixin
from conferences import policy as conferences_policy
from conferences import selectors, services
from cases.models import CaseTeamMember, FamilyMember
from conferences.models import Invitation, PollSlot
from permissions import audit, conflicts

from .scheduling_serializers import (
    ConferenceCreateSerializer, ConferenceSerializer, InvitationSerializer, InviteeSerializer, MoveConflictSerializer, MoveSerializer, PickSerializer, RsvpSerializer, SlotRankSerializer,
    VoteSerializer,
)

API = audit.Channel.API


def _as_drf(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return serializers.ValidationError({"non_field_errors": exc.messages})


class ConferenceViewSet(AuditedReadMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = ConferenceSerializer
    audit_object_type, audit_action = "conferences.conference", "conference"

    def get_queryset(self):
        return conferences_policy.conferences_for_user(self.request.user).select_related("case").order_by("-pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if getattr(user, "is_authenticated", False):
            context["my_invitations"] = {
                i.conference_id: i for i in Invitation.objects.filter(removed_at__isnull=True)
                .filter(Q(user=user) | Q(family_member__user=user))
            }
        if getattr(self, "_access_needs", None) is not None:
            context["access_needs"] = self._access_needs
        return context

    def prepare_objects(self, objects: list) -> list:
        # The access needs she reads with each listed conference, for the whole page at once.
        self._access_needs = conferences_policy.access_needs_for_user(self.request.user, objects)
        return objects

    def _mine(self, conference) -> Invitation:
        invitation = selectors.my_invitation(self.request.user, conference)
        if invitation is None:
            raise Http404
        return invitation

    @extend_schema(request=ConferenceCreateSerializer, responses=ConferenceSerializer)
    def create(self, request, *args, **kwargs):
        data = ConferenceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = selectors.get_case_for_user(request.user, values["case"])
        team = {m.pk: m for m in CaseTeamMember.objects.filter(case=case, removed_at__isnull=True)}
        family = {f.pk: f for f in FamilyMember.objects.filter(case=case)}
        invitees = []
        for spec in values["invitees"]:
            member = team.get(spec.get("team_member")) if spec.get("team_member") else None
            person = family.get(spec.get("family_member")) if spec.get("family_member") else None
            if member is None and person is None:
                raise serializers.ValidationError({"invitees": ["Invite only members of this case's team and its family."]})
            invitees.append(services.Invitee(team_member=member, family_member=person, required=spec["required"]))
        try:
            conference = services.conference_create(
                request.user, case=case, kind=values["kind"], invitees=invitees, slots=values["slots"],
                duration_minutes=values["duration_minutes"], location=values["location"], video_link=values.get("video_link", ""),
                interpreter_language=values["interpreter_language"], access_needs=values["access_needs"],
                report_organisation_ids=values.get("report_organisations"), closes_at=values.get("closes_at"), channel=API,
            )
        except DjangoValidationError as exc:
            raise _as_drf(exc)
        return Response(ConferenceSerializer(conference, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SlotRankSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole ranking, as a list (so says the schema)
    def poll(self, request, pk=None):
        conference = self.get_object()
        if not selectors.is_team_professional(request.user, conference) or not hasattr(conference, "poll"):
            raise Http404
        ranking = SlotRankSerializer(selectors.poll_grid(conference).ranking, many=True).data
        # The same read as the poll page (who can come when, per case): audited on this channel too.
        audit.record(request.user, action="poll.read", obj=conference, case_id=conference.case_id, channel=audit.Channel.API,
                     legal_basis=cases_policy.case_bases(request.user, [conference.case_id])[conference.case_id])
        return Response(ranking)

    @extend_schema(request=InviteeSerializer, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite one more team member or adult of the family (convenor only)."""
        conference = self.get_object()
        if not cases_policy.can_convene(request.user, conference.case):
            raise PermissionDenied
        data = InviteeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        member = CaseTeamMember.objects.filter(case=conference.case, pk=values.get("team_member") or 0).first()
        person = FamilyMember.objects.filter(case=conference.case, pk=values.get("family_member") or 0).first()
        if member is None and person is None:
            raise serializers.ValidationError({"invitee": ["Invite a member of this case's team or an adult of its family."]})
        try:
            invitation = services.invitation_add(request.user, conference=conference, team_member=member,
                                                 family_member=person, required=values["required"], channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VoteSerializer, responses=None)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        conference = self.get_object()
        invitation = self._mine(conference)
        data = VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.poll_vote(request.user, invitation=invitation, answers=data.validated_data["answers"], channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PickSerializer, responses=ConferenceSerializer)
    @action(detail=True, methods=["post"])
    def pick(self, request, pk=None):
        conference = self.get_object()
        data = PickSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # another poll's candidate time answers exactly like one that does not exist
        slot = PollSlot.objects.filter(pk=data.validated_data["slot"], poll__conference=conference).select_related("poll").first()
        if slot is None:
            raise serializers.ValidationError({"slot": ["Unknown candidate time."]})
        if slot.poll.conference_id == conference.pk and not data.validated_data["confirm_without_quorum"]:
            quorum = selectors.quorum_for_slot(conference, slot)
            if not quorum.met:
                raise serializers.ValidationError({"slot": [
                    f"Quorum not met at this time: {quorum.organisations} of at least {quorum.minimum} organisations among "
                    "the required invitees can come. Send confirm_without_quorum=true to schedule anyway."]})
        try:
            conference = services.poll_pick(request.user, conference=conference, slot=slot, channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc)
        return Response(ConferenceSerializer(conference, context=self.get_serializer_context()).data)

    @extend_schema(request=RsvpSerializer, responses=None)
    @action(detail=True, methods=["post"])
    def rsvp(self, request, pk=None):
        conference = self.get_object()
        invitation = self._mine(conference)
        data = RsvpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.invitation_rsvp(request.user, invitation=invitation, rsvp=data.validated_data["rsvp"],
                                     comment=data.validated_data["comment"], channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MoveSerializer, responses={
        200: ConferenceSerializer,
        409: OpenApiResponse(MoveConflictSerializer, description="Moved or changed meanwhile: the conference as it stands")})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        conference = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            conference = services.conference_move(request.user, conference=conference, starts_at=data.validated_data["starts_at"],
                                                  location=data.validated_data["location"],
                                                  sequence=data.validated_data["sequence"], channel=API)
        except conflicts.EditConflict as exc:
            current = ConferenceSerializer(exc.current, context=self.get_serializer_context()).data
            return Response({"detail": exc.messages[0], "current": current}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise _as_drf(exc)
        return Response(ConferenceSerializer(conference, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ConferenceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        conference = self.get_object()
        try:
            conference = services.conference_cancel(request.user, conference=conference, channel=API)
        except DjangoValidationError as exc:
            raise _as_drf(exc)
        return Response(ConferenceSerializer(conference, context=self.get_serializer_context()).data)
