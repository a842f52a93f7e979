"""Forms of the case pages. They only validate input; the services decide and write."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import CASE_REFERENCE_VALIDATOR, CaseTeamMember, FamilyMember, LegalHold
from permissions import conflicts
from permissions.dates import not_too_far_ahead
from permissions.widgets import IsoDateInput


def show_reference_example(form: forms.Form, field: str = "reference") -> None:
    """Name the network's own suggested reference (the field's initial value) as the example,
    rather than another network's prefix."""
    example = form.get_initial_for_field(form.fields[field], field)  # not form[field]: it keeps the old help text
    if example:
        form.fields[field].help_text = _("Prefix, year and number, for example %(example)s. Never a name.") % {
            "example": example}


class CaseOpenForm(forms.Form):
    lead_organisation = forms.ModelChoiceField(
        label=_("Lead organisation"), queryset=None, empty_label=None,
        help_text=_("The youth-welfare office in which you work as a caseworker."),
    )
    reference = forms.CharField(
        label=_("Pseudonymous reference"), max_length=24,
        help_text=_("Prefix, year and number, for example HS-2026-014. Never a name."),
    )
    expected_child = forms.BooleanField(
        label=_("A child is expected"), required=False,
        help_text=_("Counted, anonymised, in the network's half-year figures. Record the expected child with its due "
                    "date under “Family” on the case page."))

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = organisations
        show_reference_example(self)

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip().upper()
        CASE_REFERENCE_VALIDATOR(reference)
        return reference


class TeamMemberAddForm(forms.Form):
    """One select: a professional with her organisation (``m<membership id>``), or a whole
    organisation (``o<organisation id>``)."""

    member = forms.ChoiceField(label=_("Who joins the team"))
    case_role = forms.ChoiceField(label=_("Role on the case"), required=False, initial="",
                                  choices=[("", _("From the professional's role, else the organisation's kind (e.g. case management for a case manager)"))]
                                  + list(CaseTeamMember.CaseRole.choices))

    def __init__(self, *args, organisations, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self._organisations = {f"o{o.pk}": o for o in organisations}
        self._memberships = {f"m{m.pk}": m for m in memberships}
        professionals = [
            (key, f"{m.user.get_full_name() or m.user.get_username()} – {m.organisation.name} ({m.get_role_display()})")
            for key, m in self._memberships.items()
        ]
        whole = [(key, str(_("%(organisation)s (whole organisation)") % {"organisation": o.name}))
                 for key, o in self._organisations.items()]
        self.fields["member"].choices = [("", _("Choose …")), (_("Professionals"), professionals),
                                         (_("Organisations"), whole)]

    def clean_member(self):
        key = self.cleaned_data["member"]
        if key in self._memberships:
            membership = self._memberships[key]
            self.membership = membership
            return membership.organisation, membership.user
        if key in self._organisations:
            return self._organisations[key], None
        raise ValidationError(_("Choose a professional or an organisation of this network."))

    def clean(self):
        data = super().clean()
        member = data.get("member")
        if member and not data.get("case_role"):
            membership = getattr(self, "membership", None)
            data["case_role"] = CaseTeamMember.role_for(kind=member[0].kind,
                                                        professional_role=membership.role if membership else "")
        return data


class FamilyMemberAddForm(forms.Form):
    relation = forms.ChoiceField(label=_("Relation"), choices=FamilyMember.Relation.choices)
    display_name = forms.CharField(
        label=_("First name or initials"), max_length=60,
        help_text=_("Only what the team needs to address the person: no surname, no date of birth."),
    )
    due_date = forms.DateField(label=_("Expected due date"), required=False,
                               help_text=_("Only for an expected child."), widget=IsoDateInput(), validators=[not_too_far_ahead])
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900, max_value=2100)
    email = forms.EmailField(label=_("E-mail for invitations"), required=False,
                             help_text=_("For a parent who takes part without an account."))
    language = forms.ChoiceField(
        label=_("Language for letters and e-mails"), required=False,
        choices=[("", _("– the language of the case's network –"))] + list(settings.LANGUAGES),
        help_text=_("Letters, poll links and invitations to her are written in it, as long as she has not "
                    "chosen a language in an account of her own."))
    interpreter_language = forms.CharField(
        label=_("Interpreter needed for"), max_length=40, required=False,
        help_text=_("The language an interpreter at the conference speaks with her, for example Arabic. Leave empty if none is needed."))
    access_needs = forms.CharField(
        label=_("Access needs for conferences"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What she needs to take part, for example a step-free room or a time after the methadone "
                    "dispensing. The case team reads it; a parent reads only her own, guests never."))

    def clean(self):
        data = super().clean()
        relation, due_date = data.get("relation"), data.get("due_date")
        if relation == FamilyMember.Relation.EXPECTED_CHILD and not due_date and "due_date" not in self.errors:
            self.add_error("due_date", _("An expected child needs a due date."))
        if relation and relation != FamilyMember.Relation.EXPECTED_CHILD and due_date:
            self.add_error("due_date", _("Only an expected child has a due date."))
        year = data.get("birth_year")
        if year and year > timezone.localdate().year:
            self.add_error("birth_year", _("The year of birth cannot lie in the future."))
        return data


class FamilyMemberEditForm(conflicts.StartedFromForm, FamilyMemberAddForm):
    # The record's version the correction started from (``services.family_member_update``).
    version = conflicts.VersionField()


class CaseCloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), required=False, widget=IsoDateInput())
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CaseReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why is the case reopened?"), max_length=300)


class LegalHoldForm(forms.Form):
    """Set a legal hold. ``reference`` only on the officer's list page (the case page knows its
    case); ``instructed_by`` only for the lead caseworker, who acts on the officer's instruction."""

    reference = forms.CharField(label=_("Case reference"), max_length=24, help_text=_("For example HS-2026-014."))
    ground = forms.ChoiceField(label=_("Ground"), choices=[])
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("File number of the court or the procedure; no names."))
    review_on = forms.DateField(label=_("Review on"), widget=IsoDateInput, validators=[not_too_far_ahead])
    instructed_by = forms.ModelChoiceField(label=_("On the instruction of"), queryset=None, empty_label=_("– choose –"),
                                           help_text=_("The data-protection officer who instructed you."))

    def __init__(self, *args, with_reference: bool, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = LegalHold.Ground.choices
        if not with_reference:
            del self.fields["reference"]
        if officers is None:
            del self.fields["instructed_by"]
        else:
            self.fields["instructed_by"].queryset = officers

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class LegalHoldLiftForm(forms.Form):
    # Empty: the data-protection officer lifts it herself (``cases.hold_services``).
    instructed_by = forms.ModelChoiceField(label=_("On the instruction of"), queryset=None, required=False,
                                           empty_label=_("– none –"))

    def __init__(self, *args, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instructed_by"].queryset = officers


class AccessOfferForm(forms.Form):
    """The case page's "offer access" button: the open offer the page was shown with (empty: none)."""
    open_offer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CodeInput(forms.TextInput):
    """A text field that never writes a value back into the page: a refused linking code (mistyped,
    or someone else's) is not shown again, and the field is empty for the next try."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Linking code"), max_length=40, strip=True,
        help_text=_("The code your caseworker gave you in person, for example ABCD-EFGH-JKLM."),
        widget=CodeInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
