"""Read-only representations of cases for the API. No side effects."""
from __future__ import annotations

from rest_framework import serializers

from cases.models import Case, CaseTeamMember, FamilyMember
from cases.selectors import access_state


class CaseTeamMemberSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    professional = serializers.SerializerMethodField()

    class Meta:
        model = CaseTeamMember
        fields = ["id", "organisation", "professional", "case_role", "added_at"]

    def get_professional(self, member: CaseTeamMember) -> str | None:
        if member.user is None:
            return None
        return member.user.get_full_name() or member.user.get_username()


class FamilyMemberSerializer(serializers.ModelSerializer):
    # "none", "offered" (an open offer of access, not taken yet) or "linked": the same after an
    # offer whether or not an account received mail at her address (``cases.access_services``).
    access = serializers.SerializerMethodField()

    class Meta:
        model = FamilyMember
        fields = ["id", "relation", "display_name", "birth_year", "due_date", "access"]

    def get_access(self, member: FamilyMember) -> str:
        return access_state(member)

    def to_representation(self, member: FamilyMember) -> dict:
        data = super().to_representation(member)
        # Art. 18: of a member whose processing is restricted, only her name and relation
        # (``case_selectors.family_read_by``, the flag the case page reads too). Asked of the
        # flag itself, so a read that did not go through the selector fails instead of leaking.
        if member.processing_restricted:
            data.update(birth_year=None, due_date=None)
        return data


class CaseSerializer(serializers.ModelSerializer):
    network = serializers.CharField(source="network.name")
    lead_organisation = serializers.CharField(source="lead_organisation.name")

    class Meta:
        model = Case
        fields = ["id", "reference", "status", "network", "lead_organisation", "opened_on", "closed_on", "next_review_on"]


class CaseDetailSerializer(CaseSerializer):
    team = serializers.SerializerMethodField()
    family = FamilyMemberSerializer(source="family_members", many=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "team", "family"]

    def get_team(self, case: Case) -> list[dict]:
        active = [m for m in case.team.all() if m.removed_at is None]
        return CaseTeamMemberSerializer(active, many=True).data
