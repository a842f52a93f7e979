"""``{% protocol_steps conferences %}``: the protocols of these conferences with the viewer's next
step (open, continue, release, decide corrections, finalise, read), for the case and conference
pages. The list comes from ``protocols.selectors.protocol_steps`` (policy-filtered)."""
from django import template
from django.db.models import Model

from protocols import selectors

register = template.Library()


@register.inclusion_tag("protocols/_protocol_steps.html", takes_context=True)
def protocol_steps(context, conferences, heading_level: int = 2):
    request = context["request"]
    if isinstance(conferences, Model):
        conferences = [conferences]
    return {"rows": selectors.protocol_steps(request.user, conferences), "csrf_token": context.get("csrf_token"),
            "heading_level": heading_level}
