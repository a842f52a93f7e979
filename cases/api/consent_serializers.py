"""Serializers for consents and legal bases. No side effects: the viewsets call services."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from permissions.drf import MAX_DB_INT as MAX_ID

from cases.models import Consent, DisclosureBasis, FamilyMember, InformationCategory, LegalBasis
from participants.models import Organisation


class ConsentSerializer(serializers.ModelSerializer):
    to_organisations = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    categories = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = ["id", "case", "given_by", "from_organisation", "to_organisations", "categories", "valid_from", "valid_until",
                  "form_reference", "recorded_by", "recorded_as", "recorded_at", "revoked_at", "objected_at", "state"]
        read_only_fields = fields

    def get_categories(self, obj) -> list[str]:
        return sorted(s.category for s in obj.scopes.all())

    def get_state(self, obj) -> str:
        if obj.objected_at:
            return "objected"
        if obj.revoked_at:
            return "revoked"
        return "expired" if obj.valid_until < timezone.localdate() else "in_force"


# A missing id answers exactly like an id of another case or network (the services' wording), so
# that the answer does not tell whether a family member or organisation exists elsewhere.
UNKNOWN_MEMBER = {"does_not_exist": _("Choose a parent or relative of this family."),
                  "incorrect_type": _("Choose a parent or relative of this family.")}
UNKNOWN_ORGANISATION = {"does_not_exist": _("Choose an active organisation of this case's network."),
                        "incorrect_type": _("Choose an active organisation of this case's network.")}
UNKNOWN_ORGANISATIONS = {"does_not_exist": _("Choose active organisations of this case's network."),
                         "incorrect_type": _("Choose active organisations of this case's network.")}


class ConsentCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    given_by = serializers.PrimaryKeyRelatedField(queryset=FamilyMember.objects.all(), error_messages=UNKNOWN_MEMBER)
    from_organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), error_messages=UNKNOWN_ORGANISATION)
    to_organisations = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), many=True, allow_empty=False,
                                                          error_messages=UNKNOWN_ORGANISATIONS)
    categories = serializers.ListField(child=serializers.ChoiceField(choices=InformationCategory.choices), allow_empty=False)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    form_reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="",
                                           help_text="Required unless the parent records her own consent.")


class DisclosureBasisSerializer(serializers.ModelSerializer):
    to_organisations = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = DisclosureBasis
        fields = ["id", "case", "basis", "from_organisation", "to_organisations", "invoked_by", "justification", "invoked_on",
                  "valid_until", "parents_informed", "not_informed_reason", "ended_at"]
        read_only_fields = fields


class DisclosureBasisCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    basis = serializers.ChoiceField(choices=LegalBasis.choices)
    from_organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    to_organisations = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), many=True, allow_empty=False)
    justification = serializers.CharField()
    invoked_on = serializers.DateField()
    valid_until = serializers.DateField()
    parents_informed = serializers.BooleanField()
    not_informed_reason = serializers.CharField(required=False, allow_blank=True, default="")
