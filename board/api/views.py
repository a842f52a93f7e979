"""Read-only API for published half-year summaries (board members and the network coordinator)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from board import selectors
from board.api.serializers import HalfYearSummarySerializer
from permissions.audit import Channel


@extend_schema_view(
    list=extend_schema(summary="Published half-year summaries of your networks",
                       description="Board members and coordinators see the published summaries of their networks; "
                                   "everyone else gets an empty list. Figures are anonymised as published."),
    retrieve=extend_schema(summary="One published half-year summary",
                           description="404 when the summary does not exist, is a draft, or belongs to another network."),
)
class HalfYearSummaryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HalfYearSummarySerializer

    def retrieve(self, request, *args, **kwargs):
        """Answer one summary and audit the read (API channel, the day's chain: no case)."""
        summary = self.get_object()
        selectors.record_read(request.user, summary, action="summary.view", channel=Channel.API)
        return Response(self.get_serializer(summary).data)

    def list(self, request, *args, **kwargs):
        """Answer the (paginated) list and audit it once: the list carries full figures."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        summaries = page if page is not None else list(queryset)
        selectors.record_list_read(request.user, summaries, channel=Channel.API)
        data = self.get_serializer(summaries, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def get_queryset(self):
        return selectors.published_summaries_for_user(self.request.user).order_by("-year", "-half", "pk")
