from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), required=False, max_length=24)
    person = forms.CharField(label=_("Person (user name)"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_until") and data["date_until"] < data["date_from"]:
            raise ValidationError({"date_until": _("The end date must not be before the start date.")})
        return data
