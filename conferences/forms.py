"""Forms of the scheduling pages. They validate input; services decide and write."""
from __future__ import annotations

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from cases.models import CaseTeamMember, FamilyMember, InformationCategory

from conferences.models import Conference, Invitation, SlotVote, WrittenReport
from participants.models import Organisation
from permissions import conflicts
from permissions.dates import not_too_far_ahead
from .services import Invitee

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
SLOT_FIELDS = 6
INVITE_CHOICES = [("required", _("Required")), ("optional", _("Optional")), ("no", _("Not invited"))]


class ConferenceCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of conference"), choices=Conference.Kind.choices)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=15, max_value=480, initial=90)
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    video_link = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")
    interpreter_language = forms.CharField(label=_("Interpreter needed for (language)"), max_length=40, required=False)
    access_needs = forms.CharField(
        label=_("Other access needs"), max_length=200, required=False,
        help_text=_("Everyone invited reads this note, the parents too. A family member's own access needs are "
                    "kept on her record in the case: the team sees them with the conference, each parent only her own."))
    closes_at = forms.DateTimeField(
        label=_("Answers until (optional)"), required=False, widget=DATETIME_WIDGET, validators=[not_too_far_ahead],
        help_text=_("After this time the poll takes no more answers; you are reminded if no date has been picked."),
    )

    def __init__(self, *args, case, team, family, interpreter_language: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.team, self.family = case, team, family
        for i in range(1, SLOT_FIELDS + 1):
            self.fields[f"slot_{i}"] = forms.DateTimeField(
                label=_("Candidate time %(n)s") % {"n": i}, required=(i == 1), widget=DATETIME_WIDGET,
                validators=[not_too_far_ahead],
            )
        for member in team:
            self.fields[f"team_{member.pk}"] = forms.ChoiceField(
                label=str(member.user or member.organisation) + (f" ({member.organisation})" if member.user_id else ""),
                choices=INVITE_CHOICES, initial="required", widget=forms.RadioSelect,
            )
        for person in family:
            self.fields[f"family_{person.pk}"] = forms.ChoiceField(
                label=str(person), choices=INVITE_CHOICES,
                initial="required" if person.relation in FamilyMember.PARENT_RELATIONS else "no", widget=forms.RadioSelect,
            )
        organisations = {m.organisation_id: m.organisation for m in team}
        self.fields["report_organisations"] = forms.MultipleChoiceField(
            label=_("Ask for a written report before the conference"), required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(str(pk), str(org)) for pk, org in organisations.items()],
            initial=[str(pk) for pk in organisations if pk != case.lead_organisation_id],
        )
        if not self.is_bound:  # what ``conference_create`` would take over (``interpreter_language_taken_over``)
            self.fields["interpreter_language"].initial = interpreter_language

    def slot_fields(self):
        return [self[f"slot_{i}"] for i in range(1, SLOT_FIELDS + 1)]

    def team_fields(self):
        return [self[f"team_{m.pk}"] for m in self.team]

    def family_fields(self):
        return [self[f"family_{p.pk}"] for p in self.family]

    def clean(self):
        data = super().clean()
        starts = [data.get(f"slot_{i}") for i in range(1, SLOT_FIELDS + 1)]
        starts = [s for s in starts if s]
        now = timezone.now()
        for i in range(1, SLOT_FIELDS + 1):
            value = data.get(f"slot_{i}")
            if value and value <= now:
                self.add_error(f"slot_{i}", _("Candidate times must lie in the future."))
        if len(set(starts)) != len(starts):
            self.add_error("slot_1", _("Each candidate time may appear only once."))
        if not any(data.get(f"team_{m.pk}") in ("required", "optional") for m in self.team) and not any(
            data.get(f"family_{p.pk}") in ("required", "optional") for p in self.family
        ):
            raise forms.ValidationError(_("Invite at least one person."))
        data["slots"] = starts
        return data

    def invitees(self):
        result = []
        for member in self.team:
            choice = self.cleaned_data.get(f"team_{member.pk}")
            if choice in ("required", "optional"):
                result.append(Invitee(team_member=member, required=choice == "required"))
        for person in self.family:
            choice = self.cleaned_data.get(f"family_{person.pk}")
            if choice in ("required", "optional"):
                result.append(Invitee(family_member=person, required=choice == "required"))
        return result


class VoteForm(forms.Form):
    """One radio group per candidate time: yes / if need be / no."""

    def __init__(self, *args, slots, initial_answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = list(slots)
        initial_answers = initial_answers or {}
        for slot in self.slots:
            local = timezone.localtime(slot.starts_at)
            self.fields[f"slot_{slot.pk}"] = forms.ChoiceField(
                label=formats.date_format(local, "SHORT_DATETIME_FORMAT"), choices=SlotVote.Answer.choices, widget=forms.RadioSelect,
                initial=initial_answers.get(slot.pk),
                error_messages={"required": _("Answer this candidate time.")},
            )

    def answers(self) -> dict[int, str]:
        return {slot.pk: self.cleaned_data[f"slot_{slot.pk}"] for slot in self.slots}

    def rows(self):
        return [(slot, self[f"slot_{slot.pk}"]) for slot in self.slots]


class PickForm(forms.Form):
    slot = forms.ModelChoiceField(label=_("Candidate time"), queryset=None, widget=forms.RadioSelect, empty_label=None)

    def __init__(self, *args, poll, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = poll.slots.all()
        self.fields["slot"].label_from_instance = lambda s: formats.date_format(timezone.localtime(s.starts_at), "SHORT_DATETIME_FORMAT")


class RsvpForm(forms.Form):
    rsvp = forms.ChoiceField(
        label=_("Your answer"), widget=forms.RadioSelect,
        choices=[(Invitation.Rsvp.ACCEPTED, _("Accept")), (Invitation.Rsvp.TENTATIVE, _("Tentative")),
                 (Invitation.Rsvp.DECLINED, _("Decline"))],
    )
    comment = forms.CharField(label=_("Comment (optional)"), max_length=300, required=False)


class MoveForm(conflicts.StartedFromForm, forms.Form):
    starts_at = forms.DateTimeField(label=_("New start"), widget=DATETIME_WIDGET, validators=[not_too_far_ahead])
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    # The conference's SEQUENCE the move started from (``services.conference_move``).
    sequence = conflicts.VersionField()

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("The new time must lie in the future."))
        return value


class ReportForm(conflicts.StartedFromForm, forms.Form):
    """The report and who may read it (``services.report_submit`` decides). The audience's own
    choices name the readers: the team's organisations, or her own and those she names."""

    text = forms.CharField(label=_("Written report"), widget=forms.Textarea(attrs={"rows": 10}), max_length=10000)
    audience = forms.ChoiceField(label=_("Who may read this report"), choices=WrittenReport.Audience.choices,
                                 widget=forms.RadioSelect, required=False)
    restricted_to = forms.ModelMultipleChoiceField(
        label=_("Organisations that may read it besides yours (restricted report)"), queryset=Organisation.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple)
    category = forms.ChoiceField(label=_("Information category (restricted report)"),
                                 choices=[("", "–")] + list(InformationCategory.choices), required=False)
    entrusted_by = forms.ModelChoiceField(label=_("Entrusted to your organisation by (restricted report)"),
                                          queryset=FamilyMember.objects.none(), required=False,
                                          empty_label=_("Not by one person alone"))
    shareable_with_parents = forms.BooleanField(label=_("The parents may read this report (only a report for the case team)"),
                                                required=False)
    # The version of the report this text was written on (``services.report_submit``).
    version = conflicts.VersionField()

    def __init__(self, *args, report: WrittenReport, **kwargs):
        super().__init__(*args, **kwargs)
        case_id = report.conference.case_id
        team = Organisation.objects.filter(
            pk__in=CaseTeamMember.objects.filter(case_id=case_id, removed_at__isnull=True).values("organisation_id")).order_by("name")
        self.fields["restricted_to"].queryset = team.exclude(pk=report.organisation_id)
        self.fields["entrusted_by"].queryset = FamilyMember.objects.filter(
            case_id=case_id, relation__in=FamilyMember.PARENT_RELATIONS).order_by("pk")
        names = ", ".join(team.values_list("name", flat=True))
        self.fields["audience"].choices = [
            (WrittenReport.Audience.PROFESSIONALS, _("Every professional on the case team (%(names)s)") % {"names": names}),
            (WrittenReport.Audience.RESTRICTED, _(
                "Only your organisation (%(own)s) and the organisations you name below; each of them only while a "
                "consent of the person who entrusted the information, or another legal basis, covers passing it on "
                "to them") % {"own": report.organisation}),
        ]

    @classmethod
    def initial_for(cls, report: WrittenReport) -> dict:
        return {"text": report.text, "shareable_with_parents": report.shareable_with_parents, "version": report.version,
                "audience": report.audience, "restricted_to": list(report.restricted_to.values_list("pk", flat=True)),
                "category": report.category, "entrusted_by": report.entrusted_by_id}

    def audience_kwargs(self) -> dict:
        """Who may read it, for ``services.report_submit``: nothing when the form sent no audience
        (the stored one stays: a form without the field never widens a restricted report)."""
        if not self.cleaned_data.get("audience"):
            return {}
        return {"audience": self.cleaned_data["audience"], "restricted_to": list(self.cleaned_data["restricted_to"]),
                "category": self.cleaned_data["category"], "entrusted_by": self.cleaned_data["entrusted_by"]}


class InvitationAddForm(forms.Form):
    """Invite one more person: a team member or an adult of the family not yet invited."""

    invitee = forms.ChoiceField(label=_("Person to invite"), widget=forms.RadioSelect,
                                error_messages={"required": _("Choose one person to invite."),
                                                "invalid_choice": _("Choose one person to invite.")})
    required = forms.ChoiceField(label=_("Attendance"), widget=forms.RadioSelect, initial="required",
                                 choices=[("required", _("Required")), ("optional", _("Optional"))])

    def __init__(self, *args, team, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = {f"team_{m.pk}": m for m in team}
        self.family = {f"family_{p.pk}": p for p in family}
        choices = [(k, str(m.user or m.organisation) + (f" ({m.organisation})" if m.user_id else "")) for k, m in self.team.items()]
        choices += [(k, str(p)) for k, p in self.family.items()]  # "Sarah (Mother)": the relation is in it
        self.fields["invitee"].choices = choices

    def chosen(self) -> dict:
        key = self.cleaned_data["invitee"]
        return {"team_member": self.team.get(key), "family_member": self.family.get(key),
                "required": self.cleaned_data["required"] == "required"}
