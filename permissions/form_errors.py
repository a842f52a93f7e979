"""A service's refusal, shown on the form that asked for it."""
from __future__ import annotations

from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError) -> None:
    """Attach a service's ``ValidationError`` to ``form``: to the field it names where the form
    has that field, otherwise to the form as a whole (shown above the fields)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
