"""API for consents and legal bases: lists filtered by the policy, foreign objects 404."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from cases import consent_selectors, consent_services as services
from cases import policy as cases_policy
from cases.api.audited import AuditedReadMixin
from cases.api.consent_serializers import (
    ConsentCreateSerializer, ConsentSerializer, DisclosureBasisCreateSerializer, DisclosureBasisSerializer,
)
from cases.models import Consent, ConsentScope, DisclosureBasis
from permissions import audit
from permissions.drf import PolicyViewSetMixin, query_id


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    except DjangoPermissionDenied:
        raise PermissionDenied


def _case(user, pk):
    try:
        return consent_selectors.get_case_for_user(user, pk)
    except Http404:
        raise ValidationError({"case": ["Unknown case."]})


class ConsentViewSet(AuditedReadMixin, PolicyViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Consents of the cases you are on (or that you gave). POST records one; POST …/revoke/ revokes it."""

    queryset = Consent.objects.select_related("case").prefetch_related("to_organisations", "scopes").order_by("-valid_from", "-pk")
    serializer_class = ConsentSerializer
    visible_to = staticmethod(cases_policy.consents_for_user)
    # an already revoked consent passes here so that the service answers 400 with its reason
    may_change = staticmethod(lambda user, consent: consent.revoked_at is not None or cases_policy.can_revoke_consent(user, consent)
                              or consent.given_by.user_id == user.pk)
    audit_object_type, audit_action = "participants.consent", "consent"

    def get_serializer_class(self):
        return ConsentCreateSerializer if self.action == "create" else ConsentSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        case = query_id(self.request, "case")
        return qs.filter(case_id=case) if case is not None else qs

    def create(self, request, *args, **kwargs):
        data = ConsentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        case = _case(request.user, fields.pop("case"))
        consent = _call(services.consent_record, actor=request.user, case=case, channel=audit.Channel.API, **fields)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def revoke(self, request, pk=None):
        consent = self.get_object()
        consent = _call(services.consent_revoke, actor=request.user, consent=consent, channel=audit.Channel.API)
        return Response(ConsentSerializer(Consent.objects.prefetch_related("to_organisations", "scopes").get(pk=consent.pk)).data)

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def object(self, request, pk=None):
        """The parent named in the consent says she did not give it: it stops at once."""
        consent = self.get_object()
        consent = _call(services.consent_object, actor=request.user, consent=consent, channel=audit.Channel.API)
        return Response(ConsentSerializer(Consent.objects.prefetch_related("to_organisations", "scopes").get(pk=consent.pk)).data)


class DisclosureBasisViewSet(AuditedReadMixin, PolicyViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                             viewsets.GenericViewSet):
    """Recorded legal bases for disclosure without consent, for the case team."""

    queryset = DisclosureBasis.objects.prefetch_related("to_organisations").order_by("-invoked_on", "-pk")
    serializer_class = DisclosureBasisSerializer
    visible_to = staticmethod(cases_policy.disclosure_bases_for_user)
    # an already ended basis passes here (for those who could end it) so that the service answers 400 with its reason
    may_change = staticmethod(lambda user, record: cases_policy.can_end_disclosure_basis(user, record, even_if_ended=True))
    audit_object_type, audit_action = "participants.disclosurebasis", "disclosure_basis"

    def get_serializer_class(self):
        return DisclosureBasisCreateSerializer if self.action == "create" else DisclosureBasisSerializer

    def create(self, request, *args, **kwargs):
        data = DisclosureBasisCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        case = _case(request.user, fields.pop("case"))
        record = _call(services.disclosure_basis_record, actor=request.user, case=case, channel=audit.Channel.API, **fields)
        return Response(DisclosureBasisSerializer(record).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def end(self, request, pk=None):
        """End the legal basis now, before its time limit: from now on it discloses nothing."""
        record = self.get_object()
        record = _call(services.disclosure_basis_end, actor=request.user, record=record, channel=audit.Channel.API)
        return Response(DisclosureBasisSerializer(DisclosureBasis.objects.prefetch_related("to_organisations").get(pk=record.pk)).data)


__all__ = ["ConsentViewSet", "DisclosureBasisViewSet", "ConsentScope"]
