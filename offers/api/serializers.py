"""Serializers of the offers API: no side effects."""
from __future__ import annotations

from rest_framework import serializers

from offers.models import Offer, Referral


class OfferSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    network = serializers.CharField(source="organisation.network.slug")
    target_groups = serializers.ListField(source="target_group_list", child=serializers.CharField())
    languages = serializers.ListField(source="language_list", child=serializers.CharField())

    class Meta:
        model = Offer
        fields = ["id", "uuid", "kind", "name", "organisation", "network", "description", "target_groups", "eligibility",
                  "languages", "address", "municipalities", "directions", "accessibility", "opening_hours", "contact_phone",
                  "contact_email", "cost", "is_free", "anonymous_contact", "capacity", "capacity_unit", "availability",
                  "expected_wait_weeks", "availability_updated_at", "visibility"]


CONTENT_FIELDS = ("client_label", "note", "answer", "decline_reason")


class ReferralSerializer(serializers.ModelSerializer):
    """Status for everyone who may see the referral; its content only where ``content_visible``
    (annotated in SQL by the selector) says the consent covers it."""

    offer = serializers.CharField(source="offer.name")
    content_visible = serializers.BooleanField()

    class Meta:
        model = Referral
        fields = ["id", "offer", "status", "created_at", "received_at", "answered_at", "waitlisted_at", "place_offered_at",
                  "accepted_at", "closed_at", "overdue_flagged_at", "content_visible", *CONTENT_FIELDS]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.content_visible:
            for name in CONTENT_FIELDS:
                data.pop(name, None)
        return data
