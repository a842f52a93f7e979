"""Admin for what a technical admin configures: networks, organisations, users, memberships and
network roles. Case content is deliberately not registered (§ 203 StGB: no need to know)."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from participants.models import Membership, Network, NetworkRole, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class NetworkRoleInline(admin.TabularInline):
    model = NetworkRole
    extra = 0
    autocomplete_fields = ["network", "organisation"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "country", "time_zone", "quorum_min_organisations"]
    list_filter = ["country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "network", "municipality", "is_active"]
    list_filter = ["network", "kind", "is_active"]
    search_fields = ["name", "municipality"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline, NetworkRoleInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "memberships__organisation__network", "memberships__role"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = BaseUserAdmin.fieldsets + (("Fallkonferenz", {"fields": ["preferred_language"]}),)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "organisation__network", "organisation__kind"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(NetworkRole)
class NetworkRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "network", "role", "organisation"]
    list_filter = ["role", "network"]
    search_fields = ["user__username", "user__last_name", "network__name"]
    autocomplete_fields = ["user", "network", "organisation"]
