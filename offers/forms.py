"""Forms of the offers app. Validation of the domain lives in the services; forms only parse."""
from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import show_reference_example
from cases.models import CASE_REFERENCE_VALIDATOR, FamilyMember
from participants.models import Country
from permissions import conflicts
from permissions.dates import not_too_far_ahead
from permissions.widgets import IsoDateInput

from . import referral_services
from . import services
from . import track_services as ts
from .models import LANGUAGES, Offer, TargetGroup, pack_codes, unpack_codes
from .selectors import ALL_COUNTRIES


class DirectorySearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    place = forms.CharField(label=_("Municipality or postcode"), required=False, max_length=60)
    target_group = forms.ChoiceField(label=_("For whom"), required=False, choices=[("", _("Anyone"))] + list(TargetGroup.choices))
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("Any language"))] + LANGUAGES)
    anonymous = forms.BooleanField(label=_("Anonymous first contact possible"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False,
                                choices=[(ALL_COUNTRIES, _("All countries"))] + list(Country.choices))
    # Set from an offer's network link; kept while she refines the search.
    network = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)
    network_country = forms.CharField(required=False, max_length=2, widget=forms.HiddenInput)


class OfferForm(forms.ModelForm):
    target_groups = forms.MultipleChoiceField(label=_("Target groups"), choices=TargetGroup.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(label=_("Languages"), choices=LANGUAGES, required=False, widget=forms.CheckboxSelectMultiple)
    postcodes = forms.CharField(label=_("Postcodes covered"), required=False, max_length=500,
                                help_text=_("Separate several postcodes with commas."))

    class Meta:
        model = Offer
        fields = [
            "kind", "name", "description", "target_groups", "eligibility", "languages", "address", "municipalities",
            "postcodes", "directions", "accessibility", "opening_hours", "contact_phone", "contact_email", "cost", "is_free",
            "anonymous_contact", "accepts_contact_requests", "capacity", "capacity_unit", "visibility", "planned_sessions",
            "is_residential_treatment", "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}), "eligibility": forms.Textarea(attrs={"rows": 2}),
            "directions": forms.Textarea(attrs={"rows": 2}), "accessibility": forms.Textarea(attrs={"rows": 2}),
            "opening_hours": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["target_groups"] = unpack_codes(self.instance.target_groups)
            self.initial["languages"] = unpack_codes(self.instance.languages)
            self.initial["postcodes"] = ", ".join(unpack_codes(self.instance.postcodes))
        if organisations is not None:
            self.fields["organisation"] = forms.ModelChoiceField(label=_("Organisation"), queryset=organisations,
                                                                 empty_label=None)
            self.order_fields(["organisation"])

    def clean_target_groups(self) -> str:
        return pack_codes(self.cleaned_data["target_groups"])

    def clean_languages(self) -> str:
        return pack_codes(self.cleaned_data["languages"])

    def _post_clean(self):
        # The service validates the model (it checks permission first); skip ModelForm's instance validation.
        pass

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class OfferEditForm(conflicts.StartedFromForm, OfferForm):
    # The offer's version the edit started from (``services.offer_save``).
    version = conflicts.VersionField()
    # Its details as she opened the form, so that a conflict marks the ones changed meanwhile.
    opened = conflicts.OpenedField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["opened"] = conflicts.values_digest(self.stored_values())

    def stored_values(self) -> dict:
        """The offer's stored details as this form shows them (for the page that shows them after a conflict)."""
        offer = self.instance
        values = {name: getattr(offer, name) for name in self.Meta.fields}
        values.update(target_groups=unpack_codes(offer.target_groups), languages=unpack_codes(offer.languages),
                      postcodes=", ".join(unpack_codes(offer.postcodes)))
        return values


class AvailabilityForm(conflicts.StartedFromForm, forms.Form):
    availability = forms.ChoiceField(label=_("Availability"), choices=Offer.Availability.choices)
    expected_wait_weeks = forms.IntegerField(label=_("Expected wait (weeks)"), required=False, min_value=0, max_value=104)
    # The availability as she opened the form (``services.availability_based_on``): one a colleague
    # set meanwhile is not overwritten; edits of the offer's details do not count.
    based_on = conflicts.BasedOnField(well_formed=services.availability_based_on_well_formed, max_length=40)


class HsdsImportForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
    file = forms.FileField(label=_("HSDS file (JSON)"), required=False)
    text = forms.CharField(label=_("or paste the JSON here"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    dry_run = forms.BooleanField(label=_("Dry run: only check and show what would change"), required=False, initial=True)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean(self):
        data = super().clean()
        raw = ""
        if data.get("file"):
            if data["file"].size > 5 * 1024 * 1024:
                raise forms.ValidationError(_("The file is larger than 5 MB."))
            raw = data["file"].read().decode("utf-8", errors="replace")
        elif data.get("text"):
            raw = data["text"]
        if not raw.strip():
            raise forms.ValidationError(_("Choose a file or paste the JSON."))
        try:
            data["payload"] = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(_("This is not valid JSON (line %(line)s).") % {"line": error.lineno})
        return data


class SupportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What do you need?"), widget=forms.RadioSelect, choices=[
        ("consultation", _("Anonymous consultation: advice without any personal data")),
        ("referral", _("Referral of a client: with her documented consent")),
    ])
    case_manager = forms.ModelChoiceField(label=_("Central case manager"), queryset=None, empty_label=None)
    sender_organisation = forms.ModelChoiceField(label=_("On behalf of"), queryset=None, empty_label=None)
    situation = forms.CharField(label=_("Situation"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
                                help_text=_("For a consultation: no names, no dates of birth, nothing that identifies the family."))
    asked_for = forms.CharField(label=_("What are you asking for?"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    client_label = forms.CharField(label=_("Client (first name or initials)"), required=False, max_length=60)
    consent_reference = forms.CharField(label=_("Reference of the signed consent form"), required=False, max_length=80)
    consent_given_on = forms.DateField(label=_("Consent given on"), required=False, widget=IsoDateInput())
    consent_sender_sees_content = forms.BooleanField(label=_("The consent allows me to see what the offers answer"), required=False)
    consent_sender_on_team = forms.BooleanField(label=_("The consent allows me to join the case team"), required=False)

    def __init__(self, *args, case_managers=None, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers
        self.fields["case_manager"].label_from_instance = lambda cm: f"{cm.user.get_full_name() or cm.user} – {cm.organisation}"
        self.fields["sender_organisation"].queryset = organisations



class SendOnForm(forms.Form):
    """Send a request whose case manager left to another case manager of the network."""

    case_manager = forms.ModelChoiceField(label=_("Send it to"), queryset=None, empty_label=None)

    def __init__(self, *args, case_managers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers
        self.fields["case_manager"].label_from_instance = lambda cm: f"{cm.user.get_full_name() or cm.user} – {cm.organisation}"


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class ReferralCreateForm(forms.Form):
    # No offer is chosen for her: a preselected first offer was a referral to the wrong offer with one click.
    offer = forms.ModelChoiceField(label=_("Offer"), queryset=None, empty_label=_("Choose an offer …"), error_messages={
        "required": _("Choose the offer to refer her to."),
        "invalid_choice": _("Choose an active offer of your network.")})
    note = forms.CharField(label=_("What is asked of the offer"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    municipality = forms.CharField(label=_("Municipality"), required=False, max_length=120)

    def __init__(self, *args, offers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers
        self.fields["offer"].label_from_instance = lambda o: f"{o.name} ({o.organisation}) – {o.get_availability_display()}"


class ReferralDecisionForm(forms.Form):
    """Offers only the steps the referral's current status allows (the services' rule,
    ``referral_services.STEPS``); a step chosen on an out-of-date page is refused naming those."""

    decision = forms.ChoiceField(label=_("Decision"))
    text = forms.CharField(label=_("Answer or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, referral, steps: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        possible = referral_services.referral_steps_possible(referral)
        if steps is not None:
            possible = [step for step in possible if step in steps]
        field = self.fields["decision"]
        field.choices = [(step, referral_services.STEPS[step][0]) for step in possible]
        field.error_messages["invalid_choice"] = referral_services.referral_steps_possible_text(referral)


class EnrolmentForm(forms.Form):
    referral = forms.ModelChoiceField(label=_("From the referral"), queryset=None, required=False,
                                      empty_label=_("– directly, without a referral –"))
    family_label = forms.CharField(label=_("Family (first name or initials)"), required=False, max_length=60, help_text=_(
        "From a referral: left empty, the referral's client is taken, and its municipality where that field is empty too."))
    family_email = forms.EmailField(label=_("E-mail for reminders (optional)"), required=False)
    municipality = forms.CharField(label=_("Municipality"), required=False, max_length=120)
    birth_site = forms.CharField(label=_("Birth site"), required=False, max_length=120)

    def __init__(self, *args, referrals=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = referrals
        self.fields["referral"].label_from_instance = lambda r: f"{r.client_label} (#{r.pk}, {r.get_status_display()})"


class SessionForm(forms.Form):
    staff = forms.ModelChoiceField(label=_("Staff member"), queryset=None, empty_label=None)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], validators=[not_too_far_ahead])
    minutes = forms.IntegerField(label=_("Duration (minutes)"), initial=60, min_value=15, max_value=480)
    topic = forms.CharField(label=_("Topic"), required=False, max_length=200)
    location = forms.CharField(label=_("Place"), required=False, max_length=200)

    def __init__(self, *args, staff=None, enrolment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolment = enrolment
        self.fields["staff"].queryset = staff
        self.fields["staff"].label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if self.enrolment is not None and (refusal := ts.session_start_refusal(self.enrolment, starts_at)):
            raise forms.ValidationError(refusal)
        return starts_at


ATTENDED_CHOICES = [("", _("not recorded")), ("yes", _("attended")), ("no", _("did not come"))]


class SessionAttendanceForm(conflicts.StartedFromForm, forms.Form):
    """One choice per session of the enrolment that is not cancelled (``session-<id>``)."""

    # The record as she opened the form (``ts.session_attendance_based_on``): what someone else
    # recorded meanwhile is not overwritten by a session she left as it was.
    based_on = conflicts.BasedOnField(well_formed=ts.session_attendance_based_on_well_formed)

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for session in sessions:
            name = f"session-{session.pk}"
            self.fields[name] = forms.ChoiceField(label=getattr(session, "label", str(session)), choices=ATTENDED_CHOICES,
                                                  required=False, widget=forms.RadioSelect,
                                                  initial=ts.attended_value(session.attended))
            self.rows.append((session, name))
        if not self.is_bound:
            self.initial.setdefault("based_on", ts.session_attendance_based_on((s.pk, s.attended) for s in sessions))

    def attendance(self) -> dict[int, bool | None]:
        """Her choice per session her form showed (a shown session always posts one of its radio
        buttons; one scheduled after she opened the page posts none and is left alone), also for a
        session her form showed that is no longer listed (cancelled meanwhile): the service does not
        save that one, and says so, so that she learns it was not saved."""
        shown = {session.pk: ts.ATTENDED[self.cleaned_data.get(name) or ""] for session, name in self.rows
                 if name in self.data}
        listed = {str(session.pk) for session, _name in self.rows}
        for key in ts.session_attendance_parse_based_on(self.cleaned_data["based_on"]):
            posted = self.data.get(f"session-{key}")
            if key not in listed and posted in ts.ATTENDED:
                shown[int(key)] = ts.ATTENDED[posted]
        return shown

    def stored_values(self) -> dict:
        """The record as it is stored (the form built on the current sessions), for the page that
        shows it beside her refused input."""
        return {name: ts.attended_value(session.attended) for session, name in self.rows}

    def rebased(self, started: dict[str, str], now: dict[str, str]):
        """Her posted data for a second try after a conflict (``conflicts.record_rebased``)."""
        return conflicts.record_rebased(self.data, [(name, str(session.pk)) for session, name in self.rows], started, now)


class EnrolmentEndForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), widget=forms.RadioSelect, choices=[
        ("completed", _("Completed")), ("ended_early", _("Ended early"))])
    reason = forms.CharField(label=_("Reason for ending early"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ContactRequestForm(forms.Form):
    name = forms.CharField(label=_("Your name (optional – you may stay anonymous)"), required=False, max_length=60)
    reach_by = forms.CharField(label=_("How can we reach you? (phone number or e-mail)"), max_length=120)
    preferred_time = forms.CharField(label=_("When is a good time? (optional)"), required=False, max_length=120)
    pow = forms.CharField(required=False, widget=forms.HiddenInput)
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    # The honeypot: rendered inside a ``hidden`` container (not shown, not read out, not in the tab
    # order), so only programs that fill every field fill it.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def visible_fields(self):
        return [field for field in super().visible_fields() if field.name != "website"]


class AttachCaseForm(forms.Form):
    case = forms.ModelChoiceField(label=_("Case"), queryset=None, empty_label=None, error_messages={
        "invalid_choice": _("Choose an open case of your network on whose team you are.")})

    def __init__(self, *args, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases


class TeamConsentForm(forms.Form):
    """The family's documented consent that the receiving organisation joins the case team."""

    consent_reference = forms.CharField(label=_("Reference of the family's signed consent form"), max_length=80)
    consent_given_on = forms.DateField(label=_("Consent given on"), widget=IsoDateInput())
    consent_confirmed = forms.BooleanField(
        label=_("The family has agreed in writing that our organisation joins the case team."),
    )


def _client_relation_field() -> forms.ChoiceField:
    """Who the client of a request or referral is in the family: she becomes the family member the
    case opened from it starts with (what it holds of her: her first name or initials)."""
    return forms.ChoiceField(label=_("Who is the client in the family?"), choices=[
        (relation, label) for relation, label in FamilyMember.Relation.choices if relation in referral_services.CLIENT_RELATIONS],
        initial=FamilyMember.Relation.MOTHER)


def _name_the_client(form, client_label: str, source: str) -> None:
    if client_label:
        form.fields["client_relation"].label = _("Who is %(client)s in the family?") % {"client": client_label}
    form.fields["client_relation"].help_text = source


class ReferralOpenCaseForm(TeamConsentForm):
    reference = forms.CharField(label=_("Pseudonymous reference"), max_length=24,
                                help_text=_("Prefix, year and number, for example HS-2026-014. Never a name."))
    expected_child = forms.BooleanField(label=_("A child is expected"), required=False)
    client_relation = _client_relation_field()

    field_order = ["reference", "expected_child", "client_relation", "consent_reference", "consent_given_on", "consent_confirmed"]

    def __init__(self, *args, client_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        show_reference_example(self)
        if not client_label:  # a referral that names no client: the case starts without a family member
            del self.fields["client_relation"]
            return
        _name_the_client(self, client_label, _(
            "The client is recorded in the case's family under the first name or initials the referral gives; nothing "
            "else of the referral is copied."))

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip().upper()
        CASE_REFERENCE_VALIDATOR(reference)
        return reference


class ReferralAttachCaseForm(TeamConsentForm):
    case = forms.ModelChoiceField(label=_("Case"), queryset=None, empty_label=None, error_messages={
        "invalid_choice": _("Choose an open case of your network on whose team you are.")})

    field_order = ["case", "consent_reference", "consent_given_on", "consent_confirmed"]

    def __init__(self, *args, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases


class RequestOpenCaseForm(forms.Form):
    reference = forms.CharField(label=_("Pseudonymous reference"), max_length=24,
                                help_text=_("Prefix, year and number, for example HS-2026-014. Never a name."))
    expected_child = forms.BooleanField(label=_("A child is expected"), required=False)
    # The request's client becomes the family member the case starts with (what the request holds:
    # her first name or initials); the family record also needs her relation.
    client_relation = _client_relation_field()

    def __init__(self, *args, client_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        show_reference_example(self)
        _name_the_client(self, client_label, _(
            "The client is recorded in the case's family under the first name or initials the request gives; nothing "
            "else of the request is copied."))

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip().upper()
        CASE_REFERENCE_VALIDATOR(reference)
        return reference
