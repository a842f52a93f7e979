from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from records.services import DPIA_TEXT_MAX


class DpiaSectionForm(forms.Form):
    text = forms.CharField(label=_("Text of the section"), widget=forms.Textarea(attrs={"rows": 24}),
                           max_length=DPIA_TEXT_MAX, strip=True)
    # The revision the officer started from; a save that finds a newer one is refused.
    base_number = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
