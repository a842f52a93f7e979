"""Forms of a person's own account (the consent forms live in ``cases.consent_forms``)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.language import own_name_choices


class LanguageSelect(forms.Select):
    """Each language named in itself, marked as such for screen readers (``lang``)."""

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["lang"] = option["value"]
        return option


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of pages, e-mails and notifications"), choices=own_name_choices,
                                 widget=LanguageSelect)
