"""Invitation e-mails that calendar clients show with accept/decline buttons (iMIP, RFC 6047).

A message is multipart/alternative with a plain-text part, an HTML part and a
``text/calendar; method=REQUEST|CANCEL; charset=utf-8`` part; the calendar object carries the
same METHOD. The recipient is the only ATTENDEE (invitees do not learn each other's addresses
from the invitation). Body and event carry the pseudonymous case reference and the conference
kind only — never a family name, a diagnosis or protocol text.
"""
from __future__ import annotations

import datetime as dt
import hmac
import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.crypto import salted_hmac
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from icalendar import vCalAddress

from participants import language
from permissions import time_ranges

from . import ical
from conferences import policy as conferences_policy
from conferences.models import Conference, Invitation

REQUEST = "REQUEST"
CANCEL = "CANCEL"
METHODS = (REQUEST, CANCEL)


class CalendarMessage(EmailMultiAlternatives):
    """Adds the ``method`` parameter to the text/calendar part (Outlook shows no buttons and
    Gmail keeps cancelled events without it)."""

    calendar_method: str = REQUEST

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                part.set_param("method", self.calendar_method)
        return msg


def recipient_address(invitation: Invitation) -> str:
    """Where her mail goes; "" for none. A family member whose record was erased gets no e-mail,
    not even at the address of an account she still has (``FamilyMember.is_erased``)."""
    if invitation.family_member_id:
        if invitation.family_member.is_erased:
            return ""
        return invitation.family_member.email or (invitation.family_member.user.email if invitation.family_member.user else "")
    if invitation.user_id and invitation.user.email:
        return invitation.user.email
    return invitation.organisation.email if invitation.organisation_id else ""


def recipient_language(invitation: Invitation) -> str:
    """``participants.language``: a parent by her record, a professional by her own choice or the
    case's network; an invited organisation's address in the network's language."""
    case = invitation.conference.case
    if invitation.family_member_id:
        return language.for_family_member(invitation.family_member, network=case.network)
    if invitation.user_id:
        return language.for_user(invitation.user, network=case.network, case_id=case.pk)
    return language.network_language(case.network)


_REPLY_SALT = "conferences.imip.reply-address"
_TAG = re.compile(r"^i(?P<pk>[0-9]{1,12})-(?P<sig>[0-9a-f]{20})$")


def _tag_signature(invitation_id: int) -> str:
    return salted_hmac(_REPLY_SALT, str(invitation_id), algorithm="sha256").hexdigest()[:20]


def reply_address(invitation_id: int) -> str:
    """The service's address that a calendar answers to for this one invitation:
    ``<local>+i<pk>-<signature>@<domain>`` of ``EMAIL_REPLY_ADDRESS``. The signature (HMAC with
    the secret key, lower-case hex because some mail servers fold the case of the local part)
    makes the tag unguessable, so a reply can only ever reach the invitation it was sent for."""
    local, _at, domain = settings.EMAIL_REPLY_ADDRESS.rpartition("@")
    return f"{local}+i{invitation_id}-{_tag_signature(invitation_id)}@{domain}"


def is_reply_address(address: str) -> bool:
    """Whether an address has the shape of a tagged reply address (``<local>+…@<domain>`` of
    ``EMAIL_REPLY_ADDRESS``), whatever its tag says."""
    address = (address or "").strip().lower()
    if address.startswith("mailto:"):
        address = address[len("mailto:"):]
    local, _at, domain = address.rpartition("@")
    base_local, _at, base_domain = settings.EMAIL_REPLY_ADDRESS.lower().rpartition("@")
    return bool(base_local) and domain == base_domain and local.startswith(base_local + "+")


def invitation_id_from_address(address: str) -> int | None:
    """The invitation a reply address stands for, or None when it is not one of ours or its
    signature does not match."""
    address = (address or "").strip().lower()
    if address.startswith("mailto:"):
        address = address[len("mailto:"):]
    local, _at, domain = address.rpartition("@")
    base_local, _at, base_domain = settings.EMAIL_REPLY_ADDRESS.lower().rpartition("@")
    if domain != base_domain or not local.startswith(base_local + "+"):
        return None
    match = _TAG.match(local[len(base_local) + 1:])
    if match is None:
        return None
    pk = int(match["pk"])
    return pk if hmac.compare_digest(match["sig"], _tag_signature(pk)) else None


def _organizer(conference: Conference, invitation: Invitation) -> vCalAddress:
    """The service's reply address for this invitation, in the convenor's name; the convenor's
    own address (if any) as SENT-BY, so calendars show who convened while answers come back to
    the service (which records them) instead of lying unread in her mailbox."""
    convenor = conference.convenor
    address = vCalAddress(f"mailto:{reply_address(invitation.pk)}")
    address.params["CN"] = ical.param_text(convenor.get_full_name() or convenor.get_username())
    if convenor.email and "\n" not in convenor.email and "\r" not in convenor.email:
        address.params["SENT-BY"] = f"mailto:{convenor.email}"
    return address


def is_convenor_invitation(conference: Conference, invitation: Invitation) -> bool:
    """The convenor is ORGANIZER in spirit: she is not sent her own conference as an attendee."""
    return invitation.user_id is not None and invitation.user_id == conference.convenor_id


def _attendee(invitation: Invitation, email: str, *, method: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CUTYPE"] = "INDIVIDUAL" if (invitation.user_id or invitation.family_member_id) else "GROUP"
    address.params["ROLE"] = "REQ-PARTICIPANT" if invitation.required else "OPT-PARTICIPANT"
    if method == REQUEST:
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "TRUE"
    return address


def greeting(invitation: Invitation) -> str:
    """The e-mail's first line, as the product's other mails begin: "Dear <name>," to a professional,
    "Good day," to a parent (an invitation e-mail names no family member: see the module's
    docstring; her address may be read by others) and to an organisation's address."""
    name = ""
    if invitation.user_id and not invitation.family_member_id:
        name = ical.one_line(invitation.user.get_full_name() or invitation.user.get_username(), limit=80)
    return _("Dear %(name)s,") % {"name": name} if name else _("Good day,")


def message_kind(conference: Conference, invitation: Invitation, method: str) -> str:
    """What an invitation e-mail tells its reader: "cancelled" (the conference is off), "withdrawn"
    (the conference takes place, her invitation to it was withdrawn), "updated" (she was sent this
    conference before, and a later REQUEST can only mean that its time or place changed:
    ``services.conference_move``), or "invitation" (her first one under this invitation: also a
    renewed invitation after a withdrawal, whose SEQUENCE rose only so that her calendar takes it
    after the CANCEL it holds)."""
    if method == CANCEL:
        return "cancelled" if conference.status == Conference.Status.CANCELLED else "withdrawn"
    return "updated" if invitation.sequence_sent is not None else "invitation"


def _report_due(conference: Conference, invitation: Invitation, method: str) -> str:
    """The due date of the written report asked from the invitee's organisation, if any."""
    if method != REQUEST or not invitation.organisation_id or invitation.family_member_id:
        return ""
    report = conference.reports.filter(organisation_id=invitation.organisation_id, submitted_at__isnull=True).first()
    return formats.date_format(report.due_on, "DATE_FORMAT") if report else ""


def build_calendar(conference: Conference, invitation: Invitation, email: str, *, method: str, now: dt.datetime,
                   sequence: int | None = None) -> bytes:
    if method not in METHODS:
        raise ValueError(method)
    cal = ical.new_calendar(method=method)
    event = ical.conference_event(
        conference, stamp=now, cancelled=(method == CANCEL), sequence=sequence,
        organizer=_organizer(conference, invitation), attendees=[_attendee(invitation, email, method=method)],
        with_arrangements=(method == REQUEST),
        access_needs_noted=method == REQUEST and conferences_policy.access_needs_noted_for_invitation(invitation, conference),
        # Uninviting one attendee of a conference that still takes place: RFC 5546 §3.2.5 says
        # STATUS must not be included (it would tell her calendar the whole meeting is off).
        with_status=not (method == CANCEL and conference.status != Conference.Status.CANCELLED),
    )
    cal.add_component(event)
    return ical.finish(cal, default_zone=conference.case.network.time_zone)


def build_message(conference: Conference, invitation: Invitation, *, method: str, now: dt.datetime | None = None,
                  sequence: int | None = None) -> CalendarMessage | None:
    """The iMIP message for one invitee, or None when she has no e-mail address."""
    email = recipient_address(invitation)
    if not email or "\n" in email or "\r" in email:
        return None
    now = now or timezone.now()
    zone = ical.zone_of(conference.case.network)
    kind = message_kind(conference, invitation, method)
    with translation.override(recipient_language(invitation)), timezone.override(zone):
        title = ical.conference_title(conference)
        subject = {"cancelled": _("Cancelled: %(title)s"), "withdrawn": _("Invitation withdrawn: %(title)s"),
                   "updated": _("Updated invitation: %(title)s"),
                   "invitation": _("Invitation: %(title)s")}[kind] % {"title": title}
        context = {
            "conference": conference,
            "invitation": invitation,
            "title": title,
            "method": method,
            "kind": kind,
            "greeting": greeting(invitation),
            "starts": formats.date_format(timezone.localtime(conference.starts_at), "DATETIME_FORMAT"),
            "ends": time_ranges.range_end(conference.starts_at, conference.ends_at),
            "zone": conference.case.network.time_zone_name,
            "location": ical.one_line(conference.location),
            "video_link": conference.video_link,
            "interpreter_language": ical.one_line(conference.interpreter_language, limit=40),
            # only whether any are noted that she may read (the conference's note, or an invited family
            # member's needs: ``conferences.policy.access_needs_noted_for_invitation``), never what
            "access_needs": conferences_policy.access_needs_noted_for_invitation(invitation, conference),
            "link": ical.reverse_or_root("conferences:conference_detail", conference.pk),
            "is_parent": bool(invitation.family_member_id),
            "without_account": bool(invitation.family_member_id and not invitation.family_member.user_id),
            "report_due": _report_due(conference, invitation, method),
            "convenor_name": ical.one_line(conference.convenor.get_full_name(), limit=80),
        }
        text = render_to_string("conferences/email/invitation.txt", context)
        html = render_to_string("conferences/email/invitation.html", context)
    message = CalendarMessage(subject=ical.one_line(subject), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[email])
    message.calendar_method = method
    message.attach_alternative(html, "text/html")
    with translation.override(recipient_language(invitation)):
        calendar = build_calendar(conference, invitation, email, method=method, now=now, sequence=sequence)
    message.attach_alternative(calendar.decode("utf-8"), "text/calendar")
    return message


def build_reminder(conference: Conference, invitation: Invitation) -> EmailMultiAlternatives | None:
    email = recipient_address(invitation)
    if not email:
        return None
    zone = ical.zone_of(conference.case.network)
    with translation.override(recipient_language(invitation)), timezone.override(zone):
        title = ical.conference_title(conference)
        context = {
            "title": title,
            "starts": formats.date_format(timezone.localtime(conference.starts_at), "DATETIME_FORMAT"),
            "location": ical.one_line(conference.location),
            "link": ical.reverse_or_root("conferences:conference_detail", conference.pk),
        }
        subject = _("Reminder: %(title)s") % {"title": title}
        text = render_to_string("conferences/email/reminder.txt", context)
    return EmailMultiAlternatives(subject=ical.one_line(subject), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[email])


def build_review_reminder(case, user) -> EmailMultiAlternatives | None:
    if not user.email:
        return None
    with translation.override(language.for_user(user, network=case.network, case_id=case.pk)):
        context = {
            "reference": case.reference,
            "review_on": formats.date_format(case.next_review_on, "DATE_FORMAT"),
            "link": ical.reverse_or_root("conferences:conference_create", case.pk),
        }
        subject = _("Review due for %(reference)s: no conference scheduled") % {"reference": case.reference}
        text = render_to_string("conferences/email/review_reminder.txt", context)
    return EmailMultiAlternatives(subject=ical.one_line(subject), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])


def build_poll_invitation(conference: Conference, invitation: Invitation, *, url: str,
                          personal_link: bool) -> EmailMultiAlternatives | None:
    """"Please answer the date poll" for someone invited while the poll is open (no calendar
    part: there is no time yet). ``url`` is the poll page or her personal poll link."""
    email = recipient_address(invitation)
    if not email or "\n" in email or "\r" in email:
        return None
    zone = ical.zone_of(conference.case.network)
    with translation.override(recipient_language(invitation)), timezone.override(zone):
        title = ical.conference_title(conference)
        poll = getattr(conference, "poll", None)
        context = {
            "title": title, "url": url, "personal_link": personal_link, "invitation": invitation,
            "greeting": greeting(invitation),
            "closes_at": formats.date_format(timezone.localtime(poll.closes_at), "DATETIME_FORMAT")
            if poll is not None and poll.closes_at else "",
            "interpreter_language": ical.one_line(conference.interpreter_language, limit=40),
        }
        # Every invitee (parents too) only says when she can come; the convenor fixes the date.
        subject = _("Please tell us when you can come: %(title)s") % {"title": title}
        text = render_to_string("conferences/email/poll_invitation.txt", context)
    return EmailMultiAlternatives(subject=ical.one_line(subject), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[email])


def build_poll_deadline_reminder(conference: Conference) -> EmailMultiAlternatives | None:
    """To the convenor: the deadline for answers passed and no date has been picked yet."""
    user = conference.convenor
    if not user.email:
        return None
    zone = ical.zone_of(conference.case.network)
    lang = language.for_user(user, network=conference.case.network, case_id=conference.case_id)
    with translation.override(lang), timezone.override(zone):
        title = ical.conference_title(conference)
        context = {
            "title": title,
            "closes_at": formats.date_format(timezone.localtime(conference.poll.closes_at), "DATETIME_FORMAT"),
            "link": ical.reverse_or_root("conferences:conference_poll", conference.pk),
        }
        subject = _("Pick a date: the poll for %(title)s has closed") % {"title": title}
        text = render_to_string("conferences/email/poll_deadline_reminder.txt", context)
    return EmailMultiAlternatives(subject=ical.one_line(subject), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
