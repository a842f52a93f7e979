"""Form widgets every app shares."""
from django import forms


class IsoDateInput(forms.DateInput):
    """``<input type="date">`` with an ISO value (2026-12-02). Browsers accept nothing else; a
    localized value (02.12.2026) leaves the field empty and the form then fails as "required"."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format="%Y-%m-%d")
