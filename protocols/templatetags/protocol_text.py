"""Template filter for protocol text: limited Markdown, sanitised on output."""
from django import template
from django.utils.safestring import mark_safe

from protocols import sanitize

register = template.Library()


@register.filter
def protocol_markdown(value) -> str:
    # render() passes the nh3 allow-list, so marking it safe cannot let a script through.
    return mark_safe(sanitize.render(value))  # noqa: S308
