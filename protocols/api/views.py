"""Protocols API: thin viewsets over selectors (reads) and services (writes).

Lists are filtered by the policy; a foreign object is a 404. A save based on an outdated
version answers 409 with the current item; a final protocol refuses every write (400).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from cases.api.audited import AuditedListMixin, AuditedReadMixin
from permissions import conflicts
from permissions.audit import Channel
from permissions.drf import query_id
from cases import policy as cases_policy
from protocols import policy as protocols_policy
from protocols import selectors, services
from protocols.api import serializers as s
from protocols.models import Acknowledgement, Amendment, Protocol
from cases.models import FamilyMember
from participants.models import Organisation, User


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"non_field_errors": exc.messages})


RESPONSIBLE_MODELS = {"responsible_user": User, "responsible_organisation": Organisation,
                      "responsible_family_member": FamilyMember}


def _responsible_objects(values: dict) -> dict:
    """The responsible named by id, as the service takes them; an id of nobody is a 400 on
    ``responsible`` in the words the service uses for one not on the team (no way to tell them apart)."""
    found = {}
    for field, model in RESPONSIBLE_MODELS.items():
        pk = values.get(field)
        if pk is None:
            continue
        found[field] = model.objects.filter(pk=pk).first()
        if found[field] is None:
            raise ValidationError({"responsible": [_("Choose someone on the case team, or a parent of the case invited to the conference.")]})
    return found


AUDIENCE_FIELDS = {"restricted_to", "holding_organisation", "category", "entrusted_by"}


def _audience_objects(protocol, values: dict) -> dict:
    """The organisations and family member named by id, as the service takes them (400 per field)."""
    try:
        return services.audience_from_ids(protocol, restricted_to=values.get("restricted_to"),
                                          holding_organisation=values.get("holding_organisation"),
                                          entrusted_by=values.get("entrusted_by"))
    except DjangoValidationError as exc:
        raise _drf_error(exc)


def _conflict(user, exc: conflicts.EditConflict) -> Response:
    current = selectors.items_for_user(user).filter(pk=exc.current.pk).first()
    return Response({"detail": exc.messages[0], "current": s.ProtocolItemSerializer(current).data if current else None},
                    status=status.HTTP_409_CONFLICT)


@extend_schema_view(list=extend_schema(summary="Protocols the user may read"), retrieve=extend_schema(summary="One protocol"))
class ProtocolViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ProtocolSerializer
    audit_object_type, audit_action, audit_retrieve = "protocols.protocol", "protocol", False  # get_object records

    def audit_rows(self, objects):
        return [(p.pk, p.conference.case_id) for p in objects]

    def get_queryset(self):
        return selectors.protocols_for_user(self.request.user).select_related("conference__case").order_by("pk")

    def get_object(self):
        return selectors.get_protocol_for_user(self.request.user, self.kwargs["pk"], channel=Channel.API)

    def get_serializer(self, *args, **kwargs):
        """With the cases whose summary for the parents she may read, for the protocols serialised."""
        instance = args[0] if args else kwargs.get("instance")
        context = kwargs.setdefault("context", self.get_serializer_context())
        if isinstance(instance, Protocol):
            instance = [instance]
        context["summary_case_ids"] = cases_policy.team_or_family_case_ids(
            self.request.user, {p.conference.case_id for p in instance or ()})
        return super().get_serializer(*args, **kwargs)

    def _workflow(self, call) -> Response:
        protocol = selectors.get_protocol_for_user(self.request.user, self.kwargs["pk"], channel=Channel.API, audit=False)
        try:
            result = call(protocol)
        except DjangoValidationError as exc:
            raise _drf_error(exc)
        return Response(self.get_serializer(result).data)

    @extend_schema(request=None, responses=s.ProtocolSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._workflow(lambda p: services.protocol_release(request.user, protocol=p, channel=Channel.API))

    @extend_schema(request=s.FinaliseSerializer, responses=s.ProtocolSerializer)
    @action(detail=True, methods=["post"])
    def finalise(self, request, pk=None):
        data = s.FinaliseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        confirm = data.validated_data.get("confirm_early", False)
        return self._workflow(lambda p: services.protocol_finalise(request.user, protocol=p, confirm_early=confirm,
                                                                   channel=Channel.API))


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("protocol", int, description="Only items of this protocol")]),
)
class ProtocolItemViewSet(AuditedReadMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ProtocolItemSerializer
    audit_object_type, audit_action = "protocols.protocolitem", "protocol.item"

    def audit_rows(self, objects):
        return [(i.pk, i.protocol.conference.case_id) for i in objects]

    def audit_bases(self, objects, rows):
        return protocols_policy.disclosure_bases_for_items(self.request.user, objects)

    def prepare_objects(self, objects):
        return selectors.unpack_item_rows(objects)

    def get_queryset(self):
        # The list reads what each item shows beside it in its page statement (issue 13: <= 5 SQL).
        items = selectors.items_for_api_list if self.action == "list" else selectors.items_for_user
        qs = items(self.request.user).select_related("protocol__conference")
        protocol = query_id(self.request, "protocol")
        if protocol is not None:
            qs = qs.filter(protocol_id=protocol)
        return qs.order_by("protocol_id", "position", "pk")

    @extend_schema(request=s.ItemCreateSerializer, responses={201: s.ProtocolItemSerializer})
    def create(self, request):
        data = s.ItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        protocol = selectors.get_protocol_for_user(request.user, values["protocol"], channel=Channel.API, audit=False)
        try:
            item = services.item_create(request.user, protocol=protocol, title=values["title"], text=values["text"],
                                        audience=values["audience"], category=values.get("category") or "",
                                        **_audience_objects(protocol, values), channel=Channel.API)
        except DjangoValidationError as exc:
            raise _drf_error(exc)
        return Response(s.ProtocolItemSerializer(selectors.get_item_for_user(request.user, item.pk)).data, status=201)

    @extend_schema(request=s.ItemUpdateSerializer,
                   responses={200: s.ProtocolItemSerializer, 409: OpenApiResponse(s.ConflictSerializer, description="Outdated version")})
    def partial_update(self, request, pk=None):
        item = selectors.get_item_for_user(request.user, pk)
        data = s.ItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        audience = values.get("audience")
        if audience is None and set(values) & AUDIENCE_FIELDS:
            audience = item.audience  # holder, category, organisations or entruster alone: same audience, new details
        try:
            updated = services.item_update(request.user, item=item, version=values["version"], title=values.get("title"),
                                           text=values.get("text"), audience=audience, category=values.get("category"),
                                           **_audience_objects(item.protocol, values), channel=Channel.API)
        except conflicts.EditConflict as exc:
            return _conflict(request.user, exc)
        except DjangoValidationError as exc:
            raise _drf_error(exc)
        current = selectors.items_for_user(request.user).filter(pk=updated.pk).first()
        if current is None:  # she narrowed the audience past herself
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.ProtocolItemSerializer(current).data)


class AmendmentViewSet(AuditedReadMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AmendmentSerializer
    audit_object_type, audit_action = "protocols.amendment", "protocol.amendment"

    def get_queryset(self):
        visible = protocols_policy.protocol_items_for_user(self.request.user).values("pk")
        return (Amendment.objects.filter(item_id__in=visible)
                .select_related("author", "item__protocol__conference").order_by("pk"))

    def audit_rows(self, objects):
        return [(a.pk, a.item.protocol.conference.case_id) for a in objects]

    def audit_bases(self, objects, rows):
        by_item = protocols_policy.disclosure_bases_for_items(self.request.user, {a.item_id: a.item for a in objects}.values())
        return {a.pk: by_item.get(a.item_id, "") for a in objects}

    @extend_schema(request=s.AmendmentCreateSerializer, responses={201: s.AmendmentSerializer})
    def create(self, request):
        data = s.AmendmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = selectors.get_item_for_user(request.user, data.validated_data["item"])
        try:
            amendment = services.amendment_create(request.user, item=item, text=data.validated_data["text"],
                                                  reason=data.validated_data["reason"], channel=Channel.API)
        except DjangoValidationError as exc:
            raise _drf_error(exc)
        return Response(s.AmendmentSerializer(amendment).data, status=201)


class AcknowledgementViewSet(AuditedListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Own acknowledgements, and all acknowledgements of protocols of cases the user convenes
    (``cases_policy.convened_case_ids``: the rule by which the protocol page shows the convenor who
    confirmed reading, ``selectors.acknowledgement_status``), not of every case she was once named
    lead caseworker of."""

    serializer_class = s.AcknowledgementSerializer
    audit_object_type, audit_action = "protocols.acknowledgement", "protocol.acknowledgement"

    def audit_rows(self, objects):
        return [(a.pk, a.protocol.conference.case_id) for a in objects]

    def get_queryset(self):
        user = self.request.user
        convened = cases_policy.convened_case_ids(user)
        visible = selectors.protocols_for_user(user).values("pk")
        return (Acknowledgement.objects.filter(protocol_id__in=visible)
                .filter(Q(user=user) | Q(selectors.acknowledged_as_invited(), protocol__conference__case_id__in=convened))
                .select_related("user", "protocol__conference").order_by("pk"))

    @extend_schema(request=s.AcknowledgementCreateSerializer, responses={201: s.AcknowledgementSerializer})
    def create(self, request):
        data = s.AcknowledgementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        protocol = selectors.get_protocol_for_user(request.user, data.validated_data["protocol"], channel=Channel.API, audit=False)
        try:
            ack = services.protocol_acknowledge(request.user, protocol=protocol, channel=Channel.API)
        except DjangoValidationError as exc:
            raise _drf_error(exc)
        return Response(s.AcknowledgementSerializer(ack).data, status=201)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("mine", bool, description="Only actions that fall to me or my organisation")]),
)
class AgreedActionViewSet(AuditedReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.AgreedActionSerializer
    audit_object_type, audit_action, audit_retrieve = "protocols.agreedaction", "protocol.action", False  # get_object records

    def audit_bases(self, objects, rows):
        return selectors.action_bases(self.request.user, objects)

    def prepare_objects(self, objects):
        return selectors.unpack_action_rows(objects) if self.action == "list" else objects

    def get_queryset(self):
        user = self.request.user
        qs = protocols_policy.responsible_actions_for_user(user) if self.request.query_params.get("mine") in ("1", "true") \
            else protocols_policy.actions_for_user(user)
        if self.action == "list":  # the related rows for the page's rows only (issue 13)
            return selectors.actions_for_api_list(qs).order_by("due_on", "pk")
        return qs.select_related("case", "item", "responsible_user", "responsible_organisation",
                                 "responsible_family_member").order_by("due_on", "pk")

    def get_object(self):
        return selectors.get_action_for_user(self.request.user, self.kwargs["pk"], channel=Channel.API)

    @extend_schema(request=s.ActionStatusSerializer,
                   responses={200: s.AgreedActionSerializer, 409: OpenApiResponse(s.ActionConflictSerializer, description="Outdated version")})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        act = self.get_object()
        data = s.ActionStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            act = services.action_update_status(request.user, action=act, status=data.validated_data["status"],
                                                note=data.validated_data["note"], version=data.validated_data["version"],
                                                channel=Channel.API)
        except conflicts.EditConflict as exc:
            return Response({"detail": exc.messages[0], "current": s.AgreedActionSerializer(exc.current).data},
                            status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise _drf_error(exc)
        return Response(s.AgreedActionSerializer(act).data)

    @extend_schema(request=s.ActionReassignSerializer,
                   responses={200: s.AgreedActionSerializer, 409: OpenApiResponse(s.ActionConflictSerializer, description="Outdated version")})
    @action(detail=True, methods=["post"], url_path="reassign")
    def reassign(self, request, pk=None):
        """Give an open action to someone else (the convenor; ``services.action_reassign``)."""
        act = self.get_object()
        data = s.ActionReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            act = services.action_reassign(request.user, action=act, version=values["version"], reason=values["reason"],
                                           **_responsible_objects(values), channel=Channel.API)
        except conflicts.EditConflict as exc:
            return Response({"detail": exc.messages[0], "current": s.AgreedActionSerializer(exc.current).data},
                            status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise _drf_error(exc)
        return Response(s.AgreedActionSerializer(act).data)
