"""The DPO's audit log filter, and the forms that appoint a substitute, invite a conference guest
and delegate the minutes of a protocol."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from access import grant_services
from cases import policy as cases_policy
from cases.models import DisclosureBasis
from conferences import policy as conferences_policy
from participants import policy as participants_policy
from participants.models import User
from permissions.dates import not_too_far_ahead
from permissions.widgets import IsoDateInput
from protocols.models import Protocol


def basis_choices() -> list[tuple[str, str]]:
    """What a read or change can rest on, as the audit trail records it: membership of the case
    team, the family itself, holding the information, a consent, or one of the fixed legal bases
    (the list is code, kept beside the consents)."""
    legal = DisclosureBasis._meta.get_field("basis").choices
    return [
        ("", _("Any")), ("team", _("Case team")), ("family", _("Own family (parent)")),
        ("holding-organisation", _("Holding organisation")), ("consent", _("Consent")),
        *[(value, label) for value, label in legal],
    ]


class AuditFilterForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), required=False, max_length=24)
    person = forms.CharField(label=_("Person (user name)"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    date_until = forms.DateField(label=_("Until"), required=False, widget=IsoDateInput())
    basis = forms.ChoiceField(label=_("Legal basis"), required=False, choices=basis_choices)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_until") and data["date_until"] < data["date_from"]:
            raise ValidationError({"date_until": _("The end date must not be before the start date.")})
        return data


def _conference_label(conference) -> str:
    when = conference.starts_at and formats.date_format(timezone.localtime(conference.starts_at), "SHORT_DATE_FORMAT")
    not_fixed = _("date not fixed yet")
    return f"{conference.case.reference} – {when or not_fixed}"


class ConferenceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _conference_label(obj)


class ProtocolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _conference_label(obj.conference)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class SubstituteForm(forms.Form):
    """Appoint a substitute for one's own cases during an absence."""

    substitute = PersonChoiceField(label=_("Substitute (a colleague of your organisation)"), queryset=None,
                                   empty_label=_("– choose –"))
    valid_from = forms.DateField(label=_("From"), widget=IsoDateInput())
    valid_until = forms.DateField(label=_("Until"), widget=IsoDateInput(), validators=[not_too_far_ahead])
    note = forms.CharField(label=_("Note (e.g. holiday, parental leave)"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = (
            User.objects.filter(is_active=True, memberships__is_active=True,
                                memberships__organisation_id__in=participants_policy.organisation_ids(user))
            .exclude(pk=user.pk).distinct().order_by("last_name", "first_name", "username")
        )


class _UsernameMixin:
    def _user_by_name(self, field: str, refusal: str):
        """The active account with exactly this user name. ``refusal`` is the service's own answer
        for a person who cannot be chosen, so that "no such account" reads the same as "an account
        that is not eligible" (an account in another network or role is not revealed)."""
        name = (self.cleaned_data.get(field) or "").strip()
        user = User.objects.filter(is_active=True).filter(username__iexact=name).first() if name else None
        if user is None:
            raise ValidationError(refusal)
        return user


class GuestForm(_UsernameMixin, forms.Form):
    """Invite a guest (an interpreter, a school social worker) to one conference."""

    conference = ConferenceChoiceField(label=_("Conference"), queryset=None, empty_label=_("– choose –"))
    guest = forms.CharField(label=_("Guest's user name"), max_length=150)
    valid_until = forms.DateField(label=_("Access until (at most four weeks after the conference)"), required=False,
                                  widget=IsoDateInput())
    note = forms.CharField(label=_("Role (e.g. interpreter)"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conference"].queryset = (
            conferences_policy.conferences_for_user(user).filter(case_id__in=cases_policy.convened_case_ids(user))
            .exclude(status="cancelled").select_related("case").order_by("-starts_at", "-pk")
        )

    def clean_guest(self):
        return self._user_by_name("guest", grant_services.guest_refusal())


class MinuteTakerForm(_UsernameMixin, forms.Form):
    """Delegate the minutes of one protocol to a professional on the case team."""

    protocol = ProtocolChoiceField(label=_("Protocol"), queryset=None, empty_label=_("– choose –"))
    delegate = forms.CharField(label=_("Minute-taker's user name"), max_length=150)
    valid_until = forms.DateField(label=_("Until (at most four weeks after the conference)"), required=False,
                                  widget=IsoDateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = (
            Protocol.objects.filter(conference__case_id__in=cases_policy.convened_case_ids(user)).exclude(status="final")
            .select_related("conference__case").order_by("-conference__starts_at", "-pk")
        )

    def clean_delegate(self):
        return self._user_by_name("delegate", _("The minute-taker must be a professional on the case team."))
