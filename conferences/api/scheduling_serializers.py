"""Serializers of the scheduling API. No side effects: views call the services."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conferences import ical
from conferences import policy as conferences_policy
from conferences.models import Conference, Invitation, SlotVote
from permissions.drf import MAX_DB_INT as MAX_ID


class WallClockDateTimeField(serializers.DateTimeField):
    """A time without an offset is read in the server's zone; one that does not exist there
    (clocks go forward) or occurs twice (clocks go back) is refused instead of guessed."""

    default_error_messages = {
        "wall_clock": _("This local time does not exist or occurs twice on that night (daylight saving time change). "
                        "Give the time with its UTC offset, or choose a time outside that hour."),
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value) and ical.is_ambiguous_local(value, self.default_timezone()):
            self.fail("wall_clock")
        return super().enforce_timezone(value)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "user", "organisation", "family_member", "required", "rsvp", "rsvp_comment", "rsvp_at"]
        read_only_fields = fields


class FamilyAccessNeedsSerializer(serializers.Serializer):
    """One invited family member's access needs (the schema of ``family_access_needs``)."""
    family_member = serializers.IntegerField()
    name = serializers.CharField()
    access_needs = serializers.CharField()


class ConferenceSerializer(serializers.ModelSerializer):
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    # a conference without a video link has "": a URI or empty, not a URI the schema promised
    video_link = serializers.CharField(read_only=True, help_text="https:// link of the video meeting, or empty")
    # Possibly health information, read as the conference page reads it
    # (``conferences.policy.access_needs_for_user``).
    access_needs = serializers.SerializerMethodField(
        help_text="The conference's own note on access needs: for the case team, and for the parents of the case "
                  "unless it is kept for the team; empty for everyone else (e.g. a guest of the conference)")
    family_access_needs = serializers.SerializerMethodField(
        help_text="The access needs of the family members invited, from their records (possibly health "
                  "information): all of them for the case team, her own only for a parent, none for anyone else")
    my_invitation = serializers.SerializerMethodField()

    class Meta:
        model = Conference
        fields = ["id", "case", "case_reference", "kind", "status", "starts_at", "ends_at", "duration_minutes", "location",
                  "video_link", "interpreter_language", "access_needs", "family_access_needs", "sequence", "my_invitation"]
        read_only_fields = fields

    def _access_needs(self, conference) -> list:
        readable = self.context.get("access_needs")
        if readable is None or conference.pk not in readable:
            request = self.context.get("request")
            readable = conferences_policy.access_needs_for_user(getattr(request, "user", None), [conference])
        return readable[conference.pk]

    def get_access_needs(self, conference) -> str:
        return next((need.text for need in self._access_needs(conference) if need.member is None), "")

    @extend_schema_field(FamilyAccessNeedsSerializer(many=True))
    def get_family_access_needs(self, conference) -> list:
        return [{"family_member": need.member.pk, "name": str(need.member), "access_needs": need.text}
                for need in self._access_needs(conference) if need.member is not None]

    def get_my_invitation(self, conference) -> dict | None:
        mine = self.context.get("my_invitations", {}).get(conference.pk)
        return InvitationSerializer(mine).data if mine else None


class InviteeSerializer(serializers.Serializer):
    team_member = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    family_member = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    required = serializers.BooleanField(default=True)

    def validate(self, data):
        if bool(data.get("team_member")) == bool(data.get("family_member")):
            raise serializers.ValidationError("Give either team_member or family_member.")
        return data


class ConferenceCreateSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=Conference.Kind.choices)
    duration_minutes = serializers.IntegerField(min_value=15, max_value=480, default=90)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # Strict: a link or no field at all. "" is not a URI, so it is a 400 on this field (the schema
    # says format uri and nothing else); a conference without a video meeting leaves it out.
    video_link = serializers.URLField(required=False, max_length=200,
                                      help_text="https:// link of the video meeting; leave the field out when there is none")
    interpreter_language = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    access_needs = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    slots = serializers.ListField(child=WallClockDateTimeField(), min_length=1, max_length=20)
    invitees = InviteeSerializer(many=True)
    report_organisations = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False)
    closes_at = WallClockDateTimeField(required=False, allow_null=True, default=None)


class VoteSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.ChoiceField(choices=SlotVote.Answer.choices))

    def validate_answers(self, value):
        try:
            return {int(k): v for k, v in value.items()}
        except (TypeError, ValueError):
            raise serializers.ValidationError("Keys are candidate-time ids.")


class PickSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    confirm_without_quorum = serializers.BooleanField(default=False)


class RsvpSerializer(serializers.Serializer):
    rsvp = serializers.ChoiceField(choices=[Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.TENTATIVE, Invitation.Rsvp.DECLINED])
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MoveSerializer(serializers.Serializer):
    starts_at = WallClockDateTimeField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True, default=None)
    sequence = serializers.IntegerField(min_value=0, help_text=(
        "The conference's sequence the move is based on (as read); when it changed meanwhile, 409 with the conference as it stands"))


class MoveConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = ConferenceSerializer()


class SlotRankSerializer(serializers.Serializer):
    slot = serializers.IntegerField(source="slot.pk")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    yes = serializers.IntegerField()
    if_need_be = serializers.IntegerField()
    no = serializers.IntegerField()
    all_required_can = serializers.BooleanField()
    rank = serializers.IntegerField()
