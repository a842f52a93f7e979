"""Serializers of the protocols API. No side effects: viewsets call services."""
from __future__ import annotations

import functools

from django.utils import formats
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from permissions.drf import MAX_DB_INT as MAX_ID

from protocols import sanitize, selectors
from cases.models import InformationCategory
from protocols.models import Acknowledgement, AgreedAction, Amendment, Audience, Protocol, ProtocolItem


class ProtocolSerializer(serializers.ModelSerializer):
    """``parent_summary``: the summary written for the parents, for the team and the parents of the
    case; "" for a guest of the conference (the view puts ``summary_case_ids`` in the context)."""

    case = serializers.CharField(source="conference.case.reference", read_only=True)
    parent_summary = serializers.SerializerMethodField()

    class Meta:
        model = Protocol
        fields = ["id", "conference", "case", "status", "next_review_on", "released_at", "corrections_until",
                  "finalised_at", "version", "parent_summary"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_parent_summary(self, obj) -> str:
        return obj.parent_summary if obj.conference.case_id in self.context.get("summary_case_ids", ()) else ""


class AmendmentSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()
    html = serializers.SerializerMethodField()

    class Meta:
        model = Amendment
        fields = ["id", "item", "author", "created_at", "text", "reason", "html"]
        read_only_fields = ["id", "author", "created_at", "html"]

    @extend_schema_field(serializers.CharField())
    def get_html(self, obj) -> str:
        return sanitize.render(obj.text)


class AgreedActionSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    responsible = serializers.SerializerMethodField()

    class Meta:
        model = AgreedAction
        fields = ["id", "case", "item", "title", "description", "responsible", "due_on", "status", "completed_on", "version"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_responsible(self, obj) -> str:
        return selectors.responsible_label(obj)


class ProtocolItemSerializer(serializers.ModelSerializer):
    html = serializers.SerializerMethodField()
    # "" where an item has no category / no review outcome: the schema says so (it listed only the values)
    category = serializers.ChoiceField(choices=InformationCategory.choices, allow_blank=True, read_only=True)
    review_outcome = serializers.ChoiceField(choices=ProtocolItem._meta.get_field("review_outcome").choices,
                                             allow_blank=True, read_only=True)
    actions = AgreedActionSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)

    class Meta:
        model = ProtocolItem
        fields = ["id", "protocol", "position", "kind", "title", "text", "html", "audience", "restricted_to",
                  "holding_organisation", "category", "entrusted_by", "version", "review_outcome", "actions", "amendments"]
        read_only_fields = ["id", "protocol", "position", "kind", "html", "audience", "restricted_to", "holding_organisation",
                            "category", "entrusted_by", "version", "review_outcome", "actions", "amendments"]

    @extend_schema_field(serializers.CharField())
    def get_html(self, obj) -> str:
        return sanitize.render(obj.text)


# --- the live channel's payloads: the API's serializers plus what the page shows at once -------

class LiveAgreedActionSerializer(AgreedActionSerializer):
    """An action as the API gives it, plus the display strings the live page shows."""
    description_html = serializers.SerializerMethodField()
    due_on_display = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    responsible_family = serializers.SerializerMethodField()

    class Meta(AgreedActionSerializer.Meta):
        fields = AgreedActionSerializer.Meta.fields + ["description_html", "due_on_display", "status_label",
                                                       "responsible_family"]
        read_only_fields = fields

    def get_responsible_family(self, obj) -> dict | None:
        """So that each reader's socket names the relation ("Mutter", "mor") in her own language."""
        member = obj.responsible_family_member if obj.responsible_family_member_id else None
        return {"name": member.display_name, "relation": member.relation} if member else None

    def get_description_html(self, obj) -> str:
        return str(sanitize.render(obj.description))

    def get_due_on_display(self, obj) -> str:
        return formats.date_format(obj.due_on, "SHORT_DATE_FORMAT")

    def get_status_label(self, obj) -> str:
        return str(obj.get_status_display())


class LiveProtocolItemSerializer(ProtocolItemSerializer):
    """An item as the API gives it to the same user, plus its audience's label; its actions as
    ``LiveAgreedActionSerializer``. The socket sends it only to a user who may read the item."""
    audience_label = serializers.SerializerMethodField()
    actions = LiveAgreedActionSerializer(many=True, read_only=True)

    class Meta(ProtocolItemSerializer.Meta):
        fields = ProtocolItemSerializer.Meta.fields + ["audience_label"]
        read_only_fields = fields

    def get_audience_label(self, obj) -> str:
        return str(obj.get_audience_display())


def _plain(value):
    """DRF's ReturnDict/ReturnList and lazy strings as plain dicts, lists and str (the channel
    layer serialises with msgpack)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


# One instance of each live serializer per process, used only to represent (never to validate):
# a ModelSerializer builds its fields from the model on first use, which cost more than the
# representation itself on every live event (``bench/ws_fanout.py``: 2.0 of the event's 8.7 ms);
# the built fields are kept on the instance. ``to_representation`` keeps no state between calls;
# labels, dates and time zones are read at call time.
@functools.cache
def _kept(serializer_class) -> serializers.Serializer:
    return serializer_class()


def _represent(serializer_class, obj) -> dict:
    return _plain(_kept(serializer_class).to_representation(obj))


def item_payload(item: ProtocolItem) -> dict:
    """What a socket sends for one item (from ``selectors.items_for_user`` or ``live.item_event``,
    which prefetch what it reads)."""
    return _represent(LiveProtocolItemSerializer, item)


def action_payload(action: AgreedAction) -> dict:
    return _represent(LiveAgreedActionSerializer, action)


class RestrictedAudienceFields(serializers.Serializer):
    """Who may read a restricted item; validated against the case by the service (same as the page)."""

    restricted_to = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=50,
                                          help_text="Ids of the case team's organisations that may read a restricted item")
    holding_organisation = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                                    help_text="Id of the team organisation that holds the information")
    # Strict: one of the categories, or no field at all ("" is a 400 naming this field).
    category = serializers.ChoiceField(choices=InformationCategory.choices, required=False,
                                       help_text="Category of a restricted item's information; leave it out otherwise")
    entrusted_by = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                            help_text="Id of the family member who entrusted the information")


class ItemCreateSerializer(RestrictedAudienceFields):
    protocol = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.PROFESSIONALS)


class ItemUpdateSerializer(RestrictedAudienceFields):
    version = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200, required=False)
    text = serializers.CharField(required=False, allow_blank=True)
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = ProtocolItemSerializer()


class ActionConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = AgreedActionSerializer()


class AmendmentCreateSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    text = serializers.CharField()
    reason = serializers.CharField(max_length=300)


class AcknowledgementSerializer(serializers.ModelSerializer):
    user = serializers.StringRelatedField()

    class Meta:
        model = Acknowledgement
        fields = ["id", "protocol", "user", "at"]
        read_only_fields = ["id", "user", "at"]


class ActionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AgreedAction.Status.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(min_value=1, help_text=(
        "The action's version the change is based on (as read); when it changed meanwhile, 409 with the action as it stands"))


class ActionReassignSerializer(serializers.Serializer):
    """Who the action falls to from now on: a professional of the team with her organisation, an
    organisation of the team, or an invited parent of the case (``family_member``)."""
    responsible_user = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None,
                                                help_text="A professional on the case team (give her organisation too)")
    responsible_organisation = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                                        default=None, help_text="An organisation on the case team")
    responsible_family_member = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                                         default=None, help_text="A parent of the case invited to the conference")
    reason = serializers.CharField(max_length=500)
    version = serializers.IntegerField(min_value=1, help_text=(
        "The action's version the change is based on (as read); when it changed meanwhile, 409 with the action as it stands"))


class AcknowledgementCreateSerializer(serializers.Serializer):
    protocol = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class FinaliseSerializer(serializers.Serializer):
    confirm_early = serializers.BooleanField(
        required=False, default=False,
        help_text="Finalise although the correction window still runs (or others' corrections stay undecided "
                  "after it); recorded in the audit trail.")
