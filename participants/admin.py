"""Admin for what a technical admin configures: networks, organisations, users, memberships and
network roles. Case content is deliberately not registered (§ 203 StGB: no need to know).

Administrators administer, nothing more:
- no password is ever set here: the admin sends a one-time password-reset link instead;
- second-factor secrets are encrypted at rest (``permissions.mfa``) and never shown; an
  authenticator can only be listed and removed (a reset, which closes the user's sockets);
- a staff account holds no membership or network role (``Membership.clean``), and parents'
  accounts are not listed at all;
- every change is an AuditEvent per affected network, which that network's data-protection
  officer sees (installation-wide ones, such as groups and their permissions, every one); the
  leads of an organisation are told when its memberships change. Every registered admin either
  audits its changes this way or changes nothing (tests/security/test_admin_audit.py).
"""
from __future__ import annotations

from allauth.account.admin import EmailAddressAdmin as BaseEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa import admin as _allauth_mfa_admin  # noqa: F401  (registered first, replaced below)
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy as _

from participants import admin_services, selectors
from participants.models import Membership, Network, NetworkRole, Organisation, User


class NoCaseContentOnDeleteMixin:
    """Django's delete confirmation lists every related object by its ``str()``: guardian grants
    ("<item title> | <user> | view_protocolitem"), protocol items, actions, invitations, case
    references. A technical admin must not read case content that way (rule 6), so the pages
    show only the configuration objects; anything else is counted under one neutral line."""

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        shown = {str(m._meta.verbose_name_plural) for m in (Network, Organisation, User, Membership, NetworkRole)}
        model_count = {name: n for name, n in model_count.items() if str(name) in shown}
        deleted = [str(obj) for obj in objs]
        if protected:
            protected = [gettext("Records of case work refer to this object; deactivate it instead of deleting it.")]
        return deleted, model_count, perms_needed, protected


class AuditedAdminMixin:
    """Every addition, change and deletion made in the admin is an AuditEvent (one per affected
    network, so that its data-protection officer sees it); membership changes tell the leads of
    the organisation (``participants.admin_services``)."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        admin_services.admin_change_record(request.user, obj=obj, verb="add", message=message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        admin_services.admin_change_record(request.user, obj=obj, verb="change", message=message)
        return entry

    def delete_model(self, request, obj):
        admin_services.admin_change_record(request.user, obj=obj, verb="delete", message="")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            admin_services.admin_change_record(request.user, obj=obj, verb="delete", message="")
        super().delete_queryset(request, queryset)


@admin.register(Network)
class NetworkAdmin(AuditedAdminMixin, NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "country", "time_zone", "quorum_min_organisations"]
    list_filter = ["country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "network", "municipality", "is_active"]
    list_filter = ["network", "kind", "is_active"]
    search_fields = ["name", "municipality"]

    def get_readonly_fields(self, request, obj=None):
        """The network is fixed once saved (review h11, H11-1): an organisation's case-team rows,
        consents and memberships belong to cases of its network, and the case policy does not ask
        again whether the organisation still sits in the case's network (``cases.policy.team_rows_of``:
        asking would join the organisation, or the case, into each of the ~11 copies of a user's
        team rows in a policy statement, issue 13). A move by editing would let its people go on
        reading the old network's cases. An organisation that joins another network is added there
        anew, and this one deactivated. No other path changes an existing organisation's network
        (no service, API, import or command writes it; the demo commands only get or create)."""
        fixed = ("network",) if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *fixed)


def _address_of_no_other_account(email: str, *, account: User | None = None) -> str:
    """Sign-in is by e-mail and password-reset links go to every account at an address: an address
    another account already receives mail at (contact or allauth address, any capitals) would hand
    that account's links to this one's holder and back. Whose account it is stays unsaid (parents'
    accounts are not listed here at all)."""
    if selectors.email_address_in_use(email, except_user_id=account.pk if account is not None else None):
        raise ValidationError(_("This e-mail address already belongs to another account. Each account needs an "
                                "address of its own: sign-in and password links are sent there."))
    return email


class UserCreationForm(forms.ModelForm):
    """A new account without a password: the person chooses it through the link she is sent."""

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name", "preferred_language"]

    def clean_email(self):
        email = self.cleaned_data.get("email", "").strip()
        if not email:
            raise ValidationError(_("An e-mail address is needed: the link to choose a password is sent there."))
        return _address_of_no_other_account(email)

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name", "preferred_language", "is_active", "is_staff", "is_superuser"]

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip()
        if email.lower() == (self.instance.email or "").strip().lower():
            return email  # her address as it was (a change of anything else is not held up by it)
        return _address_of_no_other_account(email, account=self.instance)

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("is_staff") or cleaned.get("is_superuser")) and self.instance.pk:
            if admin_services.holds_roles(self.instance):
                raise ValidationError(_("A technical admin holds no membership, network role or family role. "
                                        "A person who needs both has two accounts."))
        return cleaned


@admin.register(User)
class UserAdmin(AuditedAdminMixin, NoCaseContentOnDeleteMixin, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "memberships__organisation__network", "memberships__role"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        (None, {"fields": ["username"]}),
        (_("Personal information"), {"fields": ["first_name", "last_name", "email", "preferred_language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    )
    add_fieldsets = ((None, {"fields": ["username", "email", "first_name", "last_name", "preferred_language"]}),)
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = []
    actions = ["send_password_reset_link"]

    def get_queryset(self, request):
        # Parents' accounts belong to their case, not to the administration (no need to know).
        return super().get_queryset(request).filter(family_member__isnull=True)

    def user_change_password(self, request, id, form_url=""):
        raise Http404  # nobody sets another person's password; send the reset link instead

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            admin_services.password_reset_link_send(request.user, user=obj)
        elif "email" in form.changed_data:
            admin_services.email_change_notice(request.user, user=obj, old_address=form.initial.get("email") or "",
                                               new_address=obj.email)

    @admin.action(description=_("Send a link to choose a new password"))
    def send_password_reset_link(self, request, queryset):
        sent = 0
        for user in queryset:
            if user.email and user.is_active:
                admin_services.password_reset_link_send(request.user, user=user)
                sent += 1
        self.message_user(request, gettext("Links sent: %(count)d.") % {"count": sent}, messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_lead", "is_active"]
    list_filter = ["role", "is_lead", "is_active", "organisation__network", "organisation__kind"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]

    def get_readonly_fields(self, request, obj=None):
        """Who and where are fixed once saved: someone who moves to another organisation ends this
        membership (which ends her personal case-team rows for it, ``admin_services.membership_end``)
        and gets a new one. A move by editing would keep those rows active for her old organisation."""
        fixed = ("user", "organisation") if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *fixed)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(is_staff=False, is_superuser=False, family_member__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(NetworkRole)
class NetworkRoleAdmin(AuditedAdminMixin, NoCaseContentOnDeleteMixin, admin.ModelAdmin):
    list_display = ["user", "network", "role", "organisation"]
    list_filter = ["role", "network"]
    search_fields = ["user__username", "user__last_name", "network__name"]
    autocomplete_fields = ["user", "network", "organisation"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(is_staff=False, is_superuser=False, family_member__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _permission_names(group: Group) -> set[str]:
    return {f"{app}.{codename}" for app, codename in group.permissions.values_list("content_type__app_label", "codename")}


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, BaseGroupAdmin):
    """Groups and their permissions (what staff accounts may do in this admin): every change is
    an AuditEvent every data-protection officer sees, naming the permissions added and removed."""

    def save_related(self, request, form, formsets, change):
        before = _permission_names(form.instance) if change else set()
        super().save_related(request, form, formsets, change)
        after = _permission_names(form.instance)
        form.instance._permission_changes = {"permissions_added": sorted(after - before),
                                             "permissions_removed": sorted(before - after)}


admin.site.unregister(EmailAddress)


class EmailAddressForm(forms.ModelForm):
    class Meta:
        model = EmailAddress
        fields = ["user", "email", "primary", "verified"]

    def clean(self):
        cleaned = super().clean()
        user, email = cleaned.get("user"), (cleaned.get("email") or "").strip()
        moved = self.instance.pk is None or user != self.instance.user or email.lower() != self.instance.email.lower()
        if user is not None and email and moved:
            try:
                _address_of_no_other_account(email, account=user)
            except ValidationError as refused:
                self.add_error("email", refused)
        return cleaned


@admin.register(EmailAddress)
class EmailAddressAdmin(AuditedAdminMixin, BaseEmailAddressAdmin):
    """Changing an account's e-mail address decides where its password-reset links go: audited
    like every other change to the account, and never to an address another account receives
    mail at (``_address_of_no_other_account``). Parents' addresses are not listed (as their accounts)."""

    form = EmailAddressForm

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__family_member__isnull=True)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            admin_services.email_change_notice(request.user, user=obj.user, old_address=form.initial.get("email") or "",
                                               new_address=obj.email)
        elif obj.verified and (not change or "verified" in form.changed_data or "user" in form.changed_data):
            admin_services.email_added_notice(request.user, user=obj.user, new_address=obj.email)

    def make_verified(self, request, queryset) -> None:
        unverified = list(queryset.filter(verified=False))
        super().make_verified(request, queryset)
        for address in unverified:
            address.refresh_from_db()
            if address.verified:
                admin_services.admin_change_record(request.user, obj=address, verb="change", message="verified")
                admin_services.email_added_notice(request.user, user=address.user, new_address=address.email)



admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Second factors can be listed and removed (a reset); their secrets are never shown."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields
    search_fields = ["user__username"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__family_member__isnull=True).select_related("user")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
