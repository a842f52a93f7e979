"""Forms of the protocol pages. They only parse input; services decide and change state."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import CaseTeamMember, FamilyMember, InformationCategory
from participants.models import Organisation, User
from permissions import conflicts
from permissions.dates import not_too_far_ahead
from permissions.widgets import IsoDateInput
from protocols import policy as protocols_policy, services
from protocols.models import AgreedAction, Audience


DateInput = IsoDateInput


def team_organisations(protocol):
    return Organisation.objects.filter(
        pk__in=CaseTeamMember.objects.filter(case_id=protocol.conference.case_id, removed_at__isnull=True).values("organisation_id")
    ).order_by("name")


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Plain text; *emphasis*, **bold** and lists with - are shown formatted."))
    audience = forms.ChoiceField(label=_("Who may read this item"), choices=Audience.choices, initial=Audience.PROFESSIONALS)
    restricted_to = forms.ModelMultipleChoiceField(label=_("Organisations that may read it (restricted items)"),
                                                   queryset=Organisation.objects.none(), required=False,
                                                   widget=forms.CheckboxSelectMultiple)
    # Needed for a restricted item only (the service asks for it there), so a choice to make.
    holding_organisation = forms.ModelChoiceField(label=_("Organisation holding the information"),
                                                  queryset=Organisation.objects.none(), required=False,
                                                  empty_label=_("– choose –"))
    category = forms.ChoiceField(label=_("Information category"), choices=[("", "–")] + list(InformationCategory.choices), required=False)
    # Empty: no single person entrusted it; then a consent of either parent covers it (protocols.policy).
    entrusted_by = forms.ModelChoiceField(label=_("Entrusted by"), queryset=FamilyMember.objects.none(), required=False,
                                          empty_label=_("– no single person –"))
    # Shown (as a checkbox) only after the service warned that the writer could not read the item.
    confirm_hidden = forms.BooleanField(
        label=_("Yes, save it anyway: I know that I cannot read or change this item afterwards."),
        required=False, widget=forms.HiddenInput)

    def ask_to_confirm_hidden(self) -> None:
        self.fields["confirm_hidden"].widget = forms.CheckboxInput()

    def __init__(self, *args, protocol, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = team_organisations(protocol)
        self.fields["restricted_to"].queryset = orgs
        self.fields["holding_organisation"].queryset = orgs
        self.fields["entrusted_by"].queryset = FamilyMember.objects.filter(
            case_id=protocol.conference.case_id, relation__in=FamilyMember.PARENT_RELATIONS)


class ItemEditForm(conflicts.StartedFromForm, ItemForm):
    # The item's version the edit started from (``services.item_update``).
    version = conflicts.VersionField()


class AudienceForm(ItemEditForm):
    """Who may read an item, for a professional of the organisation holding it who does not write
    the protocol: she decides on passing it on, never on its wording."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["title"]
        del self.fields["text"]


class NarrowForm(AudienceForm):
    """Who may read an item, narrowed by the organisation holding it (``services.item_narrow``):
    only the audiences narrower than the current one; its holder, category and the person who
    entrusted it stay as they are. An item never restricted (``labelled`` False) gets them when
    it is restricted, so the form asks for them."""

    def __init__(self, *args, current_audience: str, labelled: bool = True, reading: set[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if reading is not None:
            # Narrowing names only organisations that read the item now (its holder among them):
            # another one would widen it, which the service refuses anyway.
            self.fields["restricted_to"].queryset = self.fields["restricted_to"].queryset.filter(pk__in=reading)
        if labelled:
            for name in ("holding_organisation", "category", "entrusted_by"):
                del self.fields[name]
        narrower = services.NARROWER[current_audience]
        self.fields["audience"].choices = [(value, label) for value, label in Audience.choices if value in narrower]
        self.fields["audience"].initial = None if current_audience not in narrower else current_audience


class ResponsibleForm(forms.Form):
    """The choice of who an action falls to, the same when it is agreed (``ActionForm``) and when
    it changes hands (``ActionReassignForm``); the service decides (``services._validate_action_responsible``)."""
    responsible = forms.ChoiceField(label=_("Responsible"))

    def __init__(self, *args, protocol, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        case_id = protocol.conference.case_id
        choices = []
        members = CaseTeamMember.objects.filter(case_id=case_id, removed_at__isnull=True).select_related("organisation", "user")
        for member in members.order_by("organisation__name", "user__last_name"):
            if member.user_id:
                choices.append((f"user:{member.user_id}:{member.organisation_id}", f"{member.user} ({member.organisation})"))
        seen = set()
        for member in members:
            if member.organisation_id not in seen:
                seen.add(member.organisation_id)
                choices.append((f"org:{member.organisation_id}", str(member.organisation)))
        # Only the parents invited to this conference: one not invited would never see her action
        # (``services._validate_responsible``); never one whose record was erased (Art. 17).
        for parent in FamilyMember.objects.filter(case_id=case_id, relation__in=FamilyMember.PARENT_RELATIONS,
                                                  erased_at__isnull=True,
                                                  invitations__conference_id=protocol.conference_id,
                                                  invitations__removed_at__isnull=True).distinct():
            choices.append((f"parent:{parent.pk}", str(parent)))
        self.fields["responsible"].choices = [("", "–")] + choices

    def clean_responsible(self) -> str:
        """A parent, in an item that carries an organisation's information she may not read, is
        refused here at the field, in the service's words (``services._refuse_item_withheld_from_parent``)."""
        value = self.cleaned_data["responsible"]
        kind, *ids = value.split(":")
        if (kind == "parent" and self.item is not None
                and not protocols_policy.family_member_reads_labelled_item(self.item, int(ids[0]))):
            raise forms.ValidationError(services.parent_withheld_refusal())
        return value

    def responsible_kwargs(self) -> dict:
        kind, *ids = self.cleaned_data["responsible"].split(":")
        if kind == "user":
            return {"responsible_user": User.objects.get(pk=ids[0]), "responsible_organisation": Organisation.objects.get(pk=ids[1])}
        if kind == "org":
            return {"responsible_organisation": Organisation.objects.get(pk=ids[0])}
        return {"responsible_family_member": FamilyMember.objects.get(pk=ids[0])}


class ActionForm(ResponsibleForm):
    title = forms.CharField(label=_("What is to be done"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label=_("Due on"), widget=DateInput, validators=[not_too_far_ahead])
    field_order = ["title", "description", "responsible", "due_on"]


class ActionReassignForm(conflicts.StartedFromForm, ResponsibleForm):
    """Give an open action to someone else (``services.action_reassign``)."""
    reason = forms.CharField(label=_("Reason for the change"), max_length=500,
                             help_text=_("For example: changed jobs, ill for a longer time, the other parent takes it on."))
    # The action's version the change started from: a change made meanwhile is not overwritten.
    version = conflicts.VersionField()

    prefix = "reassign"  # on the action's page beside the status form, which has a version of its own

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].label = _("New responsible person")


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome of the review"),
                                choices=[("done", _("Done")), ("continued", _("Continued")), ("dropped", _("Dropped"))],
                                widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    # The action's status as the form showed it (``services.review_record``'s ``based_on_status``).
    action_status = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)


class NextReviewForm(conflicts.StartedFromForm, forms.Form):
    next_review_on = forms.DateField(label=_("Next review"), widget=DateInput, required=False,
                                     validators=[not_too_far_ahead])
    # The date as she opened the form (``services.next_review_based_on``): another date set
    # meanwhile is not overwritten; other changes to the protocol do not count.
    based_on = conflicts.BasedOnField(well_formed=conflicts.iso_date_or_empty, max_length=10,
                                      # its own id: the summary's form on the same page has a based_on
                                      widget=forms.HiddenInput(attrs={"id": "next_review_based_on"}))


class ParentSummaryForm(conflicts.StartedFromForm, forms.Form):
    parent_summary = forms.CharField(label=_("Summary for the parents (plain language)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 5}))
    # A digest of the summary as she started writing (``services.summary_digest``): one saved
    # meanwhile by another convenor is not overwritten; other changes to the protocol do not count.
    based_on = conflicts.BasedOnField(well_formed=services.summary_digest_well_formed, max_length=64)


class CorrectionForm(conflicts.StartedFromForm, forms.Form):
    proposed_text = forms.CharField(label=_("Proposed text"), widget=forms.Textarea(attrs={"rows": 4}))
    # The item's version as she opened the page: a proposal replaces the whole text, so one written
    # on a text corrected meanwhile is refused instead of undoing that correction when accepted.
    version = conflicts.VersionField()


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("accept", _("Accept")), ("reject", _("Reject"))],
                                 widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class AmendmentForm(forms.Form):
    text = forms.CharField(label=_("Amendment"), widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class FinaliseForm(forms.Form):
    confirm_early = forms.BooleanField(label=_("Yes, finalise now"), required=False)


ATTENDANCE_CHOICES = [("", _("not recorded")), ("present", _("present")), ("excused", _("excused")), ("absent", _("absent"))]


class AttendanceForm(conflicts.StartedFromForm, forms.Form):
    """One choice per invitation (``inv-<id>``) and who took the minutes."""

    minute_taker = forms.ModelChoiceField(label=_("Who took the minutes"), queryset=User.objects.none(),
                                          empty_label=_("– choose –"))
    # The record as she opened the form (``services.attendance_based_on``): what someone else
    # recorded meanwhile is not overwritten by a row she left as it was.
    based_on = conflicts.BasedOnField(well_formed=services.attendance_based_on_well_formed)

    def __init__(self, *args, protocol, invitations, **kwargs):
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        case_id = protocol.conference.case_id
        team = CaseTeamMember.objects.filter(case_id=case_id, removed_at__isnull=True)
        self.fields["minute_taker"].queryset = User.objects.filter(
            pk__in=team.filter(user__isnull=False).values("user_id")).order_by("last_name", "first_name", "username")
        self.fields["minute_taker"].initial = protocol.minute_taker_id
        self.rows = []
        for invitation in invitations:
            name = f"inv-{invitation.pk}"
            self.fields[name] = forms.ChoiceField(label=invitation.label, choices=ATTENDANCE_CHOICES, required=False,
                                                  widget=forms.RadioSelect, initial=invitation.attendance)
            self.rows.append((invitation, name))

    def attendance(self) -> dict[int, str]:
        """Her choice per invitation, also for one her form showed that is no longer listed
        (withdrawn meanwhile): the service does not save that one, and says so, so that she learns
        it was not saved."""
        chosen = {invitation.pk: self.cleaned_data.get(name) or "" for invitation, name in self.rows}
        listed = {str(invitation.pk) for invitation, _name in self.rows}
        for key in services.attendance_parse_based_on(self.cleaned_data["based_on"]):
            posted = self.data.get(f"inv-{key}")
            if key.isdigit() and key not in listed and posted in services.ATTENDANCE_VALUES:
                chosen[int(key)] = posted
        return chosen

    def _keys(self):
        """(field name, key in ``services.attendance_based_on``) of every choice she makes."""
        yield "minute_taker", "minute_taker"
        for invitation, name in self.rows:
            yield name, str(invitation.pk)

    def stored_values(self) -> dict:
        """The record as it is stored (the form built on the current protocol and invitations), for
        the page that shows it beside her refused input."""
        values = {name: invitation.attendance for invitation, name in self.rows}
        values["minute_taker"] = self.protocol.minute_taker_id
        return values

    def rebased(self, started: dict[str, str], now: dict[str, str]):
        """Her posted data for a second try after a conflict: what she changed (against ``started``,
        the record her form was opened on) stays; what she left as it was takes the value it has
        ``now``, so that saving again does not undo someone else's record by accident."""
        return conflicts.record_rebased(self.data, self._keys(), started, now)

    def bound_rows(self):
        return [(invitation, self[name]) for invitation, name in self.rows]


class ActionStatusForm(conflicts.StartedFromForm, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=AgreedAction.Status.choices)
    note = forms.CharField(label=_("Progress note"), max_length=500, required=False)
    # The action's version the update started from (``services.action_update_status``).
    version = conflicts.VersionField()


class MyActionsFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), ("open_any", _("Open or in progress"))] + list(AgreedAction.Status.choices))
    due = forms.ChoiceField(label=_("Due"), required=False,
                            choices=[("", _("Any time")), ("overdue", _("Overdue")), ("week", _("Within 7 days")), ("month", _("Within 31 days"))])
    case = forms.TypedChoiceField(label=_("Case"), required=False, coerce=int, empty_value=None)
    scope = forms.ChoiceField(label=_("Show"), required=False,
                              choices=[("mine", _("Actions for me or my organisation")), ("convened", _("All actions of the cases I lead"))])

    def __init__(self, *args, cases, leads_cases: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [("", _("All cases"))] + [(c.pk, c.reference) for c in cases]
        if not leads_cases:  # nothing to show under "cases I lead"
            del self.fields["scope"]
