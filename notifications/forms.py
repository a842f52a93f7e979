from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference


class PreferenceForm(forms.Form):
    email = forms.ChoiceField(label=_("E-mail me about new notifications"), choices=NotificationPreference.Email.choices,
                              widget=forms.RadioSelect)
