"""``has_field_errors``: whether a form's error summary should ask her to correct marked fields.
A form refused only as a whole (a concurrent edit, an out-of-date form, a service's refusal) marks
no field: its summary then shows only that reason, not "correct the marked fields"."""
from django import template

register = template.Library()


@register.filter
def has_field_errors(form) -> bool:
    return any(field.errors for field in form.visible_fields())
