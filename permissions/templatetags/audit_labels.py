from django import template

from permissions.audit_labels import action_label, dpo_action_label, dpo_basis_label, dpo_object_label

register = template.Library()
register.filter("audit_action_label", action_label)
register.filter("dpo_action_label", dpo_action_label)
register.filter("dpo_basis_label", dpo_basis_label)
register.filter("dpo_object_label", dpo_object_label)
