"""Forms for recording consent and legal bases. They validate input; the services decide."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import BASES_BY_COUNTRY, FamilyMember, InformationCategory, LegalBasis
from participants.models import Organisation
from permissions.dates import not_too_far_ahead
from permissions.widgets import IsoDateInput


class ConsentForm(forms.Form):
    """A professional records a signed release for her own organisation (§ 65: only the
    disclosing organisation documents its release), with the form's reference."""

    given_by = forms.ModelChoiceField(label=_("Given by (the person who entrusted the information)"), queryset=FamilyMember.objects.none(),
                                      empty_label=_("– choose –"))
    from_organisation = forms.ModelChoiceField(label=_("Disclosing organisation"), queryset=Organisation.objects.none(),
                                               empty_label=_("– choose –"))
    to_organisations = forms.ModelMultipleChoiceField(label=_("Receiving organisations"), queryset=Organisation.objects.none(),
                                                      widget=forms.CheckboxSelectMultiple)
    categories = forms.MultipleChoiceField(label=_("Information categories"), choices=InformationCategory.choices,
                                           widget=forms.CheckboxSelectMultiple)
    valid_from = forms.DateField(label=_("Valid from"), widget=IsoDateInput())
    valid_until = forms.DateField(label=_("Valid until"), widget=IsoDateInput(), validators=[not_too_far_ahead])
    form_reference = forms.CharField(label=_("Signed form reference"), max_length=80)

    def __init__(self, *args, case, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = FamilyMember.objects.filter(case=case).exclude(
            relation__in=[FamilyMember.Relation.CHILD, FamilyMember.Relation.EXPECTED_CHILD])
        orgs = Organisation.objects.filter(network_id=case.network_id, is_active=True).order_by("name")
        self.fields["from_organisation"].queryset = (
            orgs.filter(memberships__user=user, memberships__is_active=True) if user is not None else orgs)
        self.fields["to_organisations"].queryset = orgs
        if not self.is_bound:
            self.initial.setdefault("valid_from", timezone.localdate())


class ParentConsentForm(forms.Form):
    """A parent gives a release herself, in the service: no signed form, she is the one giving it."""

    from_organisation = forms.ModelChoiceField(label=_("Which service may pass on what you told it"), queryset=Organisation.objects.none(),
                                               empty_label=_("– choose –"))
    to_organisations = forms.ModelMultipleChoiceField(label=_("To which services"), queryset=Organisation.objects.none(),
                                                      widget=forms.CheckboxSelectMultiple)
    categories = forms.MultipleChoiceField(label=_("Information categories"), choices=InformationCategory.choices,
                                           widget=forms.CheckboxSelectMultiple)
    valid_from = forms.DateField(label=_("Valid from"), widget=IsoDateInput())
    valid_until = forms.DateField(label=_("Valid until"), widget=IsoDateInput(), validators=[not_too_far_ahead])

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        team = case.team.filter(removed_at__isnull=True).values("organisation_id")
        orgs = Organisation.objects.filter(network_id=case.network_id, is_active=True, pk__in=team).order_by("name")
        self.fields["from_organisation"].queryset = orgs
        self.fields["to_organisations"].queryset = orgs
        if not self.is_bound:
            self.initial.setdefault("valid_from", timezone.localdate())


class DisclosureBasisForm(forms.Form):
    basis = forms.ChoiceField(label=_("Legal basis"))
    from_organisation = forms.ModelChoiceField(label=_("Disclosing organisation"), queryset=Organisation.objects.none(),
                                               empty_label=_("– choose –"))
    to_organisations = forms.ModelMultipleChoiceField(label=_("Receiving organisations"), queryset=Organisation.objects.none(),
                                                      widget=forms.CheckboxSelectMultiple)
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 4}))
    invoked_on = forms.DateField(label=_("Invoked on"), widget=IsoDateInput())
    valid_until = forms.DateField(label=_("Time limit"), widget=IsoDateInput(), validators=[not_too_far_ahead])
    parents_informed = forms.BooleanField(label=_("The parents were informed"), required=False)
    not_informed_reason = forms.CharField(label=_("If not: why the parents were not informed"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["basis"].choices = [(b.value, b.label) for b in BASES_BY_COUNTRY.get(case.network.country, [])]
        orgs = Organisation.objects.filter(network_id=case.network_id, is_active=True).order_by("name")
        self.fields["from_organisation"].queryset = orgs.filter(memberships__user=user, memberships__is_active=True)
        self.fields["to_organisations"].queryset = orgs
        if not self.is_bound:
            self.initial.setdefault("invoked_on", timezone.localdate())


__all__ = ["ConsentForm", "DisclosureBasisForm", "LegalBasis", "ParentConsentForm"]
