from django import template

from permissions.audit_labels import action_label

register = template.Library()
register.filter("audit_action_label", action_label)
