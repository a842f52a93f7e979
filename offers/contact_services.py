"""Low-threshold contact requests from a public offer page: minimal, reaching only the offer's
staff, deleted a short configurable time after they were handled."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Kind
from notifications.services import notify
from participants.models import User
from permissions import audit

from . import access
from .models import ContactRequest, NetworkOfferSettings, Offer


@transaction.atomic
def contact_request_create(*, offer: Offer, reach_by: str, name: str = "", preferred_time: str = "", language: str = "") -> ContactRequest:
    """Store a woman's wish to be contacted (no account, no name needed). Checks: the offer is
    public, active and accepts contact requests. The spam checks (proof of work, rate limit)
    run in the view before this. Sends: a notification to the offer's staff (no content)."""
    if not (offer.is_active and offer.visibility == Offer.Visibility.PUBLIC and offer.accepts_contact_requests):
        raise ValidationError(_("This offer does not take contact requests here."))
    if not (reach_by or "").strip():
        raise ValidationError({"reach_by": _("Tell us how we can reach you.")})
    request = ContactRequest(offer=offer, name=(name or "").strip()[:60], reach_by=reach_by.strip()[:120],
                             preferred_time=(preferred_time or "").strip()[:120], language=(language or "")[:5])
    request.full_clean()
    request.save()
    audit.record(None, action="contact_request.create", obj=request, detail={"offer": offer.pk})
    staff = User.objects.filter(memberships__organisation_id=offer.organisation_id, memberships__is_active=True, is_active=True)
    notify(recipients=staff, kind=Kind.CONTACT_REQUEST, url=reverse("offers:contact_requests", args=[offer.pk]))
    return request


@transaction.atomic
def contact_request_handle(actor: User, *, request: ContactRequest, channel: str = audit.Channel.PAGE) -> ContactRequest:
    """Mark as handled (she was contacted); the purge deletes it after the network's period."""
    if not access.may_manage_offer(actor, request.offer):
        raise PermissionDenied(_("Only staff of the organisation may handle its contact requests."))
    if request.handled_at is None:
        request.handled_at, request.handled_by = timezone.now(), actor
        request.save(update_fields=["handled_at", "handled_by"])
        audit.record(actor, action="contact_request.handle", obj=request, channel=channel)
    return request


UNHANDLED_MAX_DAYS = 90


def contact_requests_purge(*, now: dt.datetime | None = None) -> int:
    """Delete contact requests handled longer ago than their network's retention period (and
    any left unhandled for ``UNHANDLED_MAX_DAYS``). Run daily (``manage.py purge_contact_requests``)."""
    now = now or timezone.now()
    days_by_network = dict(NetworkOfferSettings.objects.values_list("network_id", "contact_request_retention_days"))
    deleted = 0
    for network_id in ContactRequest.objects.values_list("offer__organisation__network_id", flat=True).distinct():
        days = days_by_network.get(network_id, 14)
        expired = ContactRequest.objects.filter(offer__organisation__network_id=network_id).filter(
            handled_at__lt=now - dt.timedelta(days=days)
        ) | ContactRequest.objects.filter(offer__organisation__network_id=network_id, handled_at__isnull=True,
                                          created_at__lt=now - dt.timedelta(days=UNHANDLED_MAX_DAYS))
        count, _detail = ContactRequest.objects.filter(pk__in=list(expired.values_list("pk", flat=True))).delete()
        deleted += count
    if deleted:
        audit.record(None, action="contact_request.purge", object_type="offers.contactrequest", channel=audit.Channel.TASK,
                     detail={"deleted": deleted})
    return deleted
