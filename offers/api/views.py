"""Offers API: the public directory (no sign-in) and the status of referrals. Thin viewsets
over the selectors; a referral the user may not see is a 404; reads of referrals are audited."""
from __future__ import annotations

from django.db.models import BooleanField, Case, Q, Value, When
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated

from offers import access, selectors
from offers.api import serializers as s
from offers.models import Referral
from permissions import audit, policy
from permissions.audit import Channel


@extend_schema_view(list=extend_schema(summary="The directory of offers (public offers for anyone; network-only offers for its professionals)"),
                    retrieve=extend_schema(summary="One offer of the directory"))
class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OfferSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.directory(self.request.user, selectors.DirectoryFilter.from_query(self.request.query_params))

    def get_object(self):
        return selectors.get_offer_for_user(self.request.user, self.kwargs["pk"])


@extend_schema_view(list=extend_schema(summary="Referrals the user made, receives, or asked for (status; content only with consent)"),
                    retrieve=extend_schema(summary="One referral"))
class ReferralViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ReferralSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Referral.objects.none()
        user = self.request.user
        content = (Q(referred_by=user) | Q(offer__organisation_id__in=policy.organisation_ids(user))
                   | Q(support_request__sender=user, support_request__consent_sender_sees_content=True))
        return (access.referrals_for(user).select_related("offer")
                .annotate(content_visible=Case(When(content, then=Value(True)), default=Value(False), output_field=BooleanField()))
                .order_by("-created_at", "-pk"))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data.get("results", response.data)]
        audit.record(request.user, action="referral.list", object_type="offers.referral", channel=Channel.API, detail={"ids": ids})
        return response

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise Http404 from None
        referral = self.get_queryset().filter(pk=pk).first()
        if referral is None:
            raise Http404
        audit.record(self.request.user, action="referral.read" if referral.content_visible else "referral.read_status",
                     obj=referral, case_id=referral.case_id, channel=Channel.API)
        return referral
