"""Serializers of the board API (read-only; no side effects)."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from board.models import HalfYearSummary


@extend_schema_field(OpenApiTypes.OBJECT)
class FiguresField(serializers.JSONField):
    """The figures exactly as published: counts 1–4 as "< 5", complementary cells as "x"."""


class HalfYearSummarySerializer(serializers.ModelSerializer):
    network_name = serializers.CharField(source="network.name", read_only=True)
    figures = FiguresField(read_only=True)

    class Meta:
        model = HalfYearSummary
        fields = ["id", "network", "network_name", "year", "half", "status", "definitions_version", "commentary",
                  "published_at", "figures"]
        read_only_fields = fields
