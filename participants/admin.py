"""Admin for what a technical admin configures: networks, organisations, users, memberships and
network roles. Case content is deliberately not registered (§ 203 StGB: no need to know)."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext


from participants.models import Membership, Network, NetworkRole, Organisation, User


class NoCaseContentOnDeleteMixin:
    """Django's delete confirmation lists every related object by its ``str()``: explicit grants
    ("<conference> | <user> | attend_conference"), protocol items, actions, invitations, case
    references. A technical admin must not read case content that way (rule 6), so the pages
    show only the configuration objects; anything else is counted under one neutral line."""

    def get_deleted_objects(self, objs, request):
        from participants.models import Membership, Network, NetworkRole, Organisation, User

        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        shown = {str(m._meta.verbose_name_plural) for m in (Network, Organisation, User, Membership, NetworkRole)}
        model_count = {name: n for name, n in model_count.items() if str(name) in shown}
        deleted = [str(obj) for obj in objs]
        if protected:
            protected = [gettext("Records of case work refer to this object; deactivate it instead of deleting it.")]
        return deleted, model_count, perms_needed, protected


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class NetworkRoleInline(admin.TabularInline):
    model = NetworkRole
    extra = 0
    autocomplete_fields = ["network", "organisation"]


@admin.register(Network)
class NetworkAdmin(NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "country", "time_zone", "quorum_min_organisations"]
    list_filter = ["country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "network", "municipality", "is_active"]
    list_filter = ["network", "kind", "is_active"]
    search_fields = ["name", "municipality"]


@admin.register(User)
class UserAdmin(NoCaseContentOnDeleteMixin, BaseUserAdmin):
    inlines = [MembershipInline, NetworkRoleInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "memberships__organisation__network", "memberships__role"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = BaseUserAdmin.fieldsets + (("Fallkonferenz", {"fields": ["preferred_language"]}),)


@admin.register(Membership)
class MembershipAdmin(NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "organisation__network", "organisation__kind"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(NetworkRole)
class NetworkRoleAdmin(NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["user", "network", "role", "organisation"]
    list_filter = ["role", "network"]
    search_fields = ["user__username", "user__last_name", "network__name"]
    autocomplete_fields = ["user", "network", "organisation"]
