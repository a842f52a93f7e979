"""What the technical admin's changes do besides the change itself: the audit event per affected
network (so that its data-protection officer sees it), the announcement of membership changes
to the organisation's leads (an event after commit; ``notifications`` tells them), and the
password-reset link that replaces setting passwords."""
from __future__ import annotations

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from participants import language
from participants.models import Membership, Network, NetworkRole, Organisation, User
from permissions import audit, events


def holds_roles(user: User) -> bool:
    """A membership, a network role or a family role (separation of duties for staff)."""
    return (Membership.objects.filter(user=user).exists() or NetworkRole.objects.filter(user=user).exists()
            or User.objects.filter(pk=user.pk, family_member__isnull=False).exists())


ALL_NETWORKS = "all"  # an installation-wide change (groups, permissions, staff accounts): every DPO sees it


def networks_of(obj) -> list[int]:
    """The networks an administered object belongs to (a user: those she works or holds a role in;
    an e-mail address: its user's). Empty for installation-wide objects."""
    if isinstance(obj, Network):
        return [obj.pk]
    if isinstance(obj, Organisation):
        return [obj.network_id]
    if isinstance(obj, Membership):
        return [obj.organisation.network_id]
    if isinstance(obj, NetworkRole):
        return [obj.network_id]
    if isinstance(obj, (Authenticator, EmailAddress)):
        obj = obj.user
    if isinstance(obj, User):
        ids = set(Membership.objects.filter(user=obj).values_list("organisation__network_id", flat=True))
        ids |= set(NetworkRole.objects.filter(user=obj).values_list("network_id", flat=True))
        return sorted(ids)
    return []


def admin_change_record(actor: User, *, obj, verb: str, message) -> None:
    """Audit one admin change (``verb``: add, change, delete) once per affected network, with the
    admin's change message (field names, never values); tell the organisation's leads of a
    membership change."""
    action = f"admin.{obj._meta.model_name}.{verb}"
    detail = {"changed": message if isinstance(message, (list, str)) else str(message)}
    if isinstance(obj, Membership):
        detail.update(user=obj.user_id, organisation=obj.organisation_id, role=obj.role, active=obj.is_active)
    if isinstance(obj, User):
        detail.update(staff=obj.is_staff, superuser=obj.is_superuser, active=obj.is_active)
    if isinstance(obj, Group):
        detail.update(name=obj.name, members=sorted(obj.user_set.values_list("pk", flat=True)))
    if getattr(obj, "_permission_changes", None):
        detail.update(obj._permission_changes)
    # Installation-wide objects (groups, staff accounts, an account without a network yet) are
    # shown to every data-protection officer: an admin's powers reach every network.
    for network in networks_of(obj) or [ALL_NETWORKS]:
        audit.record(actor, action=action, obj=obj, case_id=None, channel=audit.Channel.ADMIN,
                     detail={**detail, "network": network})
    if isinstance(obj, Membership):
        if verb == "delete" or not obj.is_active:
            membership_end(actor, membership=obj)
        _tell_leads(obj.organisation)
    _announce_access_change(obj)


def membership_end(actor: User, *, membership: Membership, channel: str = audit.Channel.ADMIN) -> None:
    """The consequences of a membership that ends (deactivated, or about to be deleted), inside the
    admin's transaction: the apps above act on it at once (``cases`` ends her personal case-team
    rows for the organisation, audited per case, so that rejoining gives nothing back silently).
    Idempotent: a membership already ended ends nothing more."""
    events.membership_ended(actor=actor, user_id=membership.user_id, organisation_id=membership.organisation_id,
                            channel=channel)


def _announce_access_change(obj) -> None:
    """Open protocol screens re-read what their user may see once a membership or an organisation
    (e.g. deactivated) changes; the live channel finds the cases after commit. A disabled account
    is announced by the session bookkeeping (``permissions.signals``), whoever disables it."""
    if isinstance(obj, Membership):
        events.people_changed_on_commit(user_ids=[obj.user_id], organisation_ids=[obj.organisation_id])
    elif isinstance(obj, Organisation):
        events.people_changed_on_commit(organisation_ids=[obj.pk])


def _tell_leads(organisation: Organisation) -> None:
    """Announce the change to the organisation's leads after commit (``notifications`` subscribes:
    a notification each, or without a lead a letter to the contact address). The leads are named
    now, before a deleted membership is gone, so a lead whose own membership is deleted hears of it."""
    lead_ids = User.objects.filter(memberships__organisation=organisation, memberships__is_lead=True,
                                   memberships__is_active=True, is_active=True).values_list("pk", flat=True)
    events.memberships_changed_on_commit(organisation_id=organisation.pk, lead_ids=list(lead_ids),
                                         contact_email=organisation.email)


def password_reset_link_send(actor: User, *, user: User) -> None:
    """E-mail the user a one-time link to choose her password (after commit); audited. Nobody
    but the account holder ever learns the password."""
    path = reverse("account_reset_password_from_key",
                   kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)})
    url, address = settings.SITE_URL + path, user.email
    lang = language.for_user(user)

    def _send() -> None:
        with translation.override(lang):
            send_mail(_("Choose your password for Fallkonferenz"),
                      _("Hello %(name)s,\n\nplease choose your password here (the link works once):\n%(url)s\n\n"
                        "Your user name: %(username)s\n\nIf you did not expect this message, please tell your "
                        "organisation.") % {"name": user.first_name or user.username, "url": url, "username": user.username},
                      None, [address])

    if address:
        transaction.on_commit(_send)
    for network in networks_of(user) or [ALL_NETWORKS]:
        audit.record(actor, action="admin.user.password_link", obj=user, case_id=None, channel=audit.Channel.ADMIN,
                     detail={"network": network})



def email_added_notice(actor: User, *, user: User, new_address: str) -> None:
    """An administrator added an address to the account, or marked one verified: password-reset
    links can now go there. The account's other addresses hear of it at once (after commit), as
    they do of a changed address (``email_change_notice``; review h3-6: an added address let a
    reset link go elsewhere without the owner being told)."""
    new = (new_address or "").lower()
    known = {user.email or "", *EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)}
    recipients = sorted({address for address in known if address and address.lower() != new})
    if not recipients:
        return
    lang = language.for_user(user)

    def _send() -> None:
        with translation.override(lang):
            for address in recipients:
                send_mail(_("An e-mail address was added to your Fallkonferenz account"),
                          _("Hello %(name)s,\n\nan administrator added the e-mail address %(address)s to your "
                            "Fallkonferenz account. Links to choose a new password can now go to that address.\n\n"
                            "If you did not ask for this, please tell your organisation and the network's "
                            "data-protection officer at once.")
                          % {"name": user.first_name or user.username, "address": new_address}, None, [address])

    transaction.on_commit(_send)


def email_change_notice(actor: User, *, user: User, old_address: str, new_address: str) -> None:
    """An administrator changed where the account's mail (and so its password-reset links) goes:
    the old address hears of it at once (after commit), so that a takeover through a changed
    address and a reset link does not go unnoticed. The change itself is audited by the admin."""
    if not old_address or old_address.lower() == (new_address or "").lower():
        return
    lang = language.for_user(user)

    def _send() -> None:
        with translation.override(lang):
            send_mail(_("Your e-mail address in Fallkonferenz was changed"),
                      _("Hello %(name)s,\n\nan administrator changed the e-mail address of your Fallkonferenz account. "
                        "Messages and links to choose a new password now go to the new address.\n\nIf you did not ask "
                        "for this, please tell your organisation and the network's data-protection officer at once.")
                      % {"name": user.first_name or user.username}, None, [old_address])

    transaction.on_commit(_send)
