"""The form of the calendar page: which subscription to issue. It validates; services decide."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import FeedToken


class FeedTokenForm(forms.Form):
    kind = forms.ChoiceField(label=_("Calendar"), choices=FeedToken.Kind.choices)
    case = forms.ChoiceField(label=_("Case"), required=False)
    network = forms.ChoiceField(label=_("Network"), required=False)
    expires_in_days = forms.IntegerField(label=_("Expires after (days, optional)"), min_value=1, max_value=730, required=False)

    def __init__(self, *args, cases, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_objects = {str(c.pk): c for c in cases}
        self.network_objects = {str(n.pk): n for n in networks}
        self.fields["case"].choices = [("", "—")] + [(k, c.reference) for k, c in self.case_objects.items()]
        self.fields["network"].choices = [("", "—")] + [(k, n.name) for k, n in self.network_objects.items()]
        # Offer only the calendars she can subscribe to: no case calendar without cases, no
        # board calendar for someone who sits on no board.
        self.fields["kind"].choices = [
            (value, label) for value, label in FeedToken.Kind.choices
            if not (value == FeedToken.Kind.CASE and not self.case_objects)
            and not (value == FeedToken.Kind.BOARD and not self.network_objects)
        ]
        if not self.case_objects:
            del self.fields["case"]
        if not self.network_objects:
            del self.fields["network"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == FeedToken.Kind.CASE and data.get("case") not in self.case_objects:
            self.add_error("case", _("Choose one of your cases."))
        if kind == FeedToken.Kind.BOARD and data.get("network") not in self.network_objects:
            self.add_error("network", _("Choose one of your board networks."))
        days = data.get("expires_in_days")
        data["expires_at"] = timezone.now() + dt.timedelta(days=days) if days else None
        return data
