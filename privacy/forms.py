"""Forms of the data-protection officer's pages. Validation of meaning lives in the services."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from permissions.widgets import IsoDateInput
from privacy.models import DataSubjectRequest


class CaseLookupForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=24, help_text=_("For example HS-2026-014."))

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class RequestForm(forms.Form):
    """Record a request for one person of a known case. ``instructed_by`` only for a caseworker,
    who acts on the officer's instruction."""

    # Nothing is preselected: the officer names the person, the kind and how her identity was
    # checked herself (a preselected "from her own signed-in account" was wrong for a person without
    # one; a preselected first person would file an erasure under the wrong name).
    family_member = forms.ModelChoiceField(label=_("Person"), queryset=None, empty_label=_("– choose –"))
    kind = forms.ChoiceField(label=_("Kind of request"), choices=[("", _("– choose –")), *DataSubjectRequest.Kind.choices])
    received_on = forms.DateField(label=_("Received on"), widget=IsoDateInput)
    identity_check = forms.ChoiceField(label=_("Identity check"),
                                       choices=[("", _("– choose –")), *DataSubjectRequest.IdentityCheck.choices])
    identity_note = forms.CharField(label=_("Note on the identity check"), max_length=300, required=False,
                                    help_text=_("What was seen or done; no document numbers."))
    description = forms.CharField(label=_("What she asks for"), max_length=4000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    instructed_by = forms.ModelChoiceField(label=_("On the instruction of"), queryset=None, empty_label=_("– choose –"),
                                           help_text=_("The data-protection officer who instructed you."))

    def __init__(self, *args, members, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family_member"].queryset = members
        self.fields["family_member"].label_from_instance = str
        if officers is None:
            del self.fields["instructed_by"]
        else:
            self.fields["instructed_by"].queryset = officers


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("Why more time is needed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Tell her within the first month, with this reason (Art. 12(3) GDPR)."))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DataSubjectRequest.Outcome.choices)
    note = forms.CharField(label=_("Note on the outcome"), max_length=4000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Required when the request is refused or partly granted: the reason she is told."))


class RestrictForm(forms.Form):
    grounds = forms.CharField(label=_("Her data may still be used for"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("For example: until the accuracy is verified; defence of legal claims; protection of the child."))


class RestrictedReadForm(forms.Form):
    reason = forms.CharField(label=_("Why you need to read it"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Recorded in the audit trail with your read."))
