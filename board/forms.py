"""Forms of the board pages. They validate input only; services decide and write."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from board.models import HalfYearSummary
from permissions import conflicts
from permissions.dates import not_too_far_ahead

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


def wall_clock(value: dt.datetime, time_zone: str) -> dt.datetime:
    """Read a form's date and time as wall-clock time in the network's zone."""
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(time_zone))


class SummaryComputeForm(forms.Form):
    network = forms.ModelChoiceField(label=_("Network"), queryset=None, empty_label=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    half = forms.TypedChoiceField(label=_("Half year"), coerce=int, choices=[(1, _("H1 (January–June)")), (2, _("H2 (July–December)"))])

    def __init__(self, *args, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks
        today = timezone.localdate()
        last = (today.year - 1, 2) if today.month <= 6 else (today.year, 1)
        self.fields["year"].initial, self.fields["half"].initial = last


class YearlyReportComputeForm(forms.Form):
    network = forms.ModelChoiceField(label=_("Network"), queryset=None, empty_label=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks
        self.fields["year"].initial = timezone.localdate().year - 1


class CommentaryForm(conflicts.StartedFromForm, forms.Form):
    commentary = forms.CharField(label=_("Commentary for the board"), widget=forms.Textarea(attrs={"rows": 5}),
                                 max_length=4000, required=False)
    # The summary's version the commentary started from (``services.summary_set_commentary``).
    version = conflicts.VersionField()


class _MeetingFields(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
                                validators=[not_too_far_ahead])
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    summary = forms.ModelChoiceField(label=_("Summary to discuss"), queryset=HalfYearSummary.objects.none(), required=False,
                                     empty_label=_("– none –"))

    def __init__(self, *args, summaries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summary"].queryset = summaries


class MeetingScheduleForm(_MeetingFields):
    network = forms.ModelChoiceField(label=_("Network"), queryset=None, empty_label=None)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=30, max_value=480, initial=120)
    count = forms.IntegerField(label=_("Number of half-yearly meetings to schedule"), min_value=1, max_value=10, initial=2)
    field_order = ["network", "starts_at", "duration_minutes", "location", "count", "summary"]

    def __init__(self, *args, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks


class MeetingUpdateForm(conflicts.StartedFromForm, _MeetingFields):
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
                              validators=[not_too_far_ahead])
    # The meeting's version the change started from (``services.board_meeting_update``).
    version = conflicts.VersionField()
    field_order = ["starts_at", "ends_at", "location", "summary"]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("A meeting must end after it starts."))
        return data


class MinutesForm(conflicts.StartedFromForm, forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    # The meeting's minutes version the minutes started from (``services.board_meeting_record_minutes``).
    minutes_version = conflicts.VersionField()

    def clean(self):
        data = super().clean()
        if not (data.get("minutes", "").strip() or data.get("decisions", "").strip()):
            raise forms.ValidationError(_("Write the minutes or the decisions."))
        return data
