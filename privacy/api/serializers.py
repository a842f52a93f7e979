from __future__ import annotations

from rest_framework import serializers


class RestrictedReadRequestSerializer(serializers.Serializer):
    restriction = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=1000, allow_blank=False, trim_whitespace=True)


class RestrictedItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    protocol = serializers.IntegerField(source="protocol_id")
    title = serializers.CharField()
    text = serializers.CharField()
    audience = serializers.CharField()
    category = serializers.CharField()


class RestrictedActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    title = serializers.CharField()
    description = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.CharField()


class RestrictedReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conference = serializers.IntegerField(source="conference_id")
    organisation = serializers.IntegerField(source="organisation_id")
    text = serializers.CharField()
    audience = serializers.CharField()
    category = serializers.CharField()


class RestrictedConsentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_organisation = serializers.IntegerField(source="from_organisation_id")
    to_organisations = serializers.SerializerMethodField()
    categories = serializers.SerializerMethodField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_to_organisations(self, consent) -> list[int]:
        return sorted(o.pk for o in consent.to_organisations.all())

    def get_categories(self, consent) -> list[str]:
        return sorted(s.category for s in consent.scopes.all())


class RestrictedReadSerializer(serializers.Serializer):
    restriction = serializers.IntegerField()
    items = RestrictedItemSerializer(many=True)
    actions = RestrictedActionSerializer(many=True)
    reports = RestrictedReportSerializer(many=True)
    consents = RestrictedConsentSerializer(many=True)
    # Her record's access needs as the reader reads them with the conferences she is invited to
    # (empty: none she may read).
    access_needs = serializers.CharField(allow_blank=True)
