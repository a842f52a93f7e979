"""``{{ row.label|translated }}``: a label stored with frozen figures (an English msgid) in the
active language. ``{% translate row.label %}`` doubles every "%" before the lookup, so a label
such as "Share held with a parent present (%)" was never found in the catalogue and stayed
English on the German page; this filter looks the msgid up as stored."""
from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def translated(value) -> str:
    return gettext(str(value)) if value else ""
