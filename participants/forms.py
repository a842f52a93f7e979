"""Forms of a person's own account (the consent forms live in ``cases.consent_forms``)."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of pages, e-mails and notifications"), choices=settings.LANGUAGES)
