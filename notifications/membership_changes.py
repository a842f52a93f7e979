"""The organisation's leads hear of the admin's membership changes (``permissions.events``).

``participants.admin_services`` names the organisation and its leads at the time of the change
and sends ``memberships_changed_on_commit``; this module, subscribed in
``NotificationsConfig.ready``, tells them after the commit: each lead a notification, or — for an
organisation without a lead — its contact address a letter (reference only: that memberships
changed, not whose).
"""
from __future__ import annotations

from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from participants import language
from participants.models import Network, User
from permissions import events

from .models import Kind
from .services import notify


def tell_leads(change: events.MembershipsChanged) -> None:
    if change.lead_ids:
        notify(recipients=User.objects.filter(pk__in=change.lead_ids), kind=Kind.MEMBERSHIP_CHANGED,
               url=reverse("participants:organisation_members"))
        return
    if change.contact_email:
        # An organisation's address, no person's: the language of its network.
        with translation.override(language.network_language(Network.objects.filter(organisations=change.organisation_id).first())):
            send_mail(
                _("Memberships of your organisation were changed"),
                _("An administrator changed who works for your organisation in Fallkonferenz. If you did not expect this, "
                  "please tell the network's data-protection officer."), None, [change.contact_email])


def subscribe() -> None:
    events.subscribe_memberships_changed(tell_leads)
