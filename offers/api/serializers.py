"""Serializers of the offers API: no side effects."""
from __future__ import annotations

from rest_framework import serializers

from offers import access
from offers.models import CentralCaseManager, ContactRequest, Enrolment, Offer, Referral, Session, SupportRequest


class OfferSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    network = serializers.CharField(source="organisation.network.slug")
    country = serializers.CharField(source="organisation.network.country")
    target_groups = serializers.ListField(source="target_group_list", child=serializers.CharField())
    languages = serializers.ListField(source="language_list", child=serializers.CharField())

    class Meta:
        model = Offer
        fields = ["id", "uuid", "kind", "name", "organisation", "network", "country", "description", "target_groups", "eligibility",
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
        # Left out where the consent does not cover the content: the schema must not call them required.
        extra_kwargs = {name: {"required": False} for name in CONTENT_FIELDS}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not instance.content_visible:
            for name in CONTENT_FIELDS:
                data.pop(name, None)
        return data


# --- requests to the central case manager, enrolments, sessions, contact requests ------------------
# Read serializers show what the page shows the same person; write serializers only validate the
# shape of the input (the services decide everything else).


class SupportMessageSerializer(serializers.Serializer):
    author = serializers.CharField(source="author.get_full_name", read_only=True)
    text = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class SupportRequestSerializer(serializers.ModelSerializer):
    """A request is a conversation between its sender and its case manager: both see all of it.
    Its case is not named here (the sender need not be on that case)."""

    network = serializers.CharField(source="network.slug")
    sender = serializers.CharField(source="sender.get_full_name")
    sender_organisation = serializers.CharField(source="sender_organisation.name")
    case_manager = serializers.CharField(source="case_manager.get_full_name")
    case_manager_left = serializers.SerializerMethodField(
        help_text="Its case manager no longer works in the network: nobody answers it; its sender sends it on "
                  "(POST …/send-on/).")

    class Meta:
        model = SupportRequest
        fields = ["id", "kind", "status", "network", "sender", "sender_organisation", "case_manager", "case_manager_left",
                  "situation", "asked_for", "client_label", "consent_reference", "consent_given_on",
                  "consent_sender_sees_content", "consent_sender_on_team", "created_at"]

    def get_case_manager_left(self, obj) -> bool:
        left = getattr(obj, "case_manager_left", None)  # annotated by the list's selector
        return access.case_manager_left(obj) if left is None else bool(left)


class SupportRequestDetailSerializer(SupportRequestSerializer):
    messages = SupportMessageSerializer(many=True, read_only=True)

    class Meta(SupportRequestSerializer.Meta):
        fields = [*SupportRequestSerializer.Meta.fields, "messages"]


class SupportRequestCreateSerializer(serializers.Serializer):
    case_manager = serializers.IntegerField(min_value=1, help_text="Id of a central case manager of the sender's network "
                                                                    "(GET /api/case-managers/).")
    sender_organisation = serializers.IntegerField(min_value=1, help_text="Id of the organisation the sender writes for.")
    kind = serializers.ChoiceField(choices=SupportRequest.Kind.choices)
    situation = serializers.CharField(max_length=10000)
    asked_for = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    client_label = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    consent_reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    consent_given_on = serializers.DateField(required=False, allow_null=True, default=None)
    consent_sender_sees_content = serializers.BooleanField(required=False, default=False)
    consent_sender_on_team = serializers.BooleanField(required=False, default=False)


class SendOnSerializer(serializers.Serializer):
    case_manager = serializers.IntegerField(min_value=1, help_text="Id of another central case manager of the request's "
                                                                    "network (GET /api/case-managers/).")


class CaseManagerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name")
    organisation = serializers.CharField(source="organisation.name")
    network = serializers.CharField(source="network.slug")

    class Meta:
        model = CentralCaseManager
        fields = ["id", "name", "organisation", "network"]


class MessageCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)


class EnrolmentSerializer(serializers.ModelSerializer):
    offer = serializers.IntegerField(source="offer_id")
    offer_name = serializers.CharField(source="offer.name")
    referral = serializers.IntegerField(source="referral_id", allow_null=True)

    class Meta:
        model = Enrolment
        fields = ["id", "offer", "offer_name", "referral", "status", "family_label", "family_email", "municipality",
                  "birth_site", "enrolled_on", "ended_on", "end_reason", "waited_days"]


class EnrolmentCreateSerializer(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1, help_text="Id of a programme track of the user's organisation.")
    referral = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                        help_text="Id of an accepted referral to that track (else a direct enrolment).")
    family_label = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    family_email = serializers.EmailField(required=False, allow_blank=True, default="")
    municipality = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    birth_site = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class EnrolmentEndSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("completed", "completed"), ("ended_early", "ended early")])
    reason = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class SessionSerializer(serializers.ModelSerializer):
    enrolment = serializers.IntegerField(source="enrolment_id")
    staff = serializers.CharField(source="staff.get_full_name")

    class Meta:
        model = Session
        fields = ["id", "enrolment", "staff", "topic", "starts_at", "ends_at", "location", "attended", "cancelled_at"]


class SessionCreateSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(min_value=1)
    staff = serializers.IntegerField(min_value=1, help_text="Id of a staff member (user) of the track's organisation.")
    starts_at = serializers.DateTimeField()
    minutes = serializers.IntegerField(min_value=15, max_value=480, default=60)
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AttendanceSerializer(serializers.Serializer):
    attended = serializers.BooleanField()
    based_on = serializers.BooleanField(allow_null=True, help_text=(
        "Whether the family came as you last read it (the session's `attended`; null: not recorded). When someone "
        "else recorded it differently meanwhile, 409 with the session as it stands"))


class SessionConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = SessionSerializer()


class ContactRequestSerializer(serializers.ModelSerializer):
    offer = serializers.IntegerField(source="offer_id")
    offer_name = serializers.CharField(source="offer.name")

    class Meta:
        model = ContactRequest
        fields = ["id", "offer", "offer_name", "name", "reach_by", "preferred_time", "language", "created_at", "handled_at"]
