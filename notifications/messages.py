"""The sentence each kind of notification shows — the case reference and a date, nothing else."""
from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _, ngettext

from .models import Kind, Notification


def _texts() -> dict[str, tuple[str, str]]:
    # (without a date, with a date); evaluated in the active language.
    return {
        Kind.POLL_OPENED: (_("Please tell us when you can come to the conference on case %(reference)s."),
                           _("Please tell us when you can come to the conference on case %(reference)s (answers until %(date)s).")),
        Kind.REPORT_REQUESTED: (_("A written report is requested for the conference on case %(reference)s."),
                                _("A written report is requested for the conference on case %(reference)s (due %(date)s).")),
        Kind.INVITED: (_("You are invited to a conference on case %(reference)s."),
                       _("You are invited to a conference on case %(reference)s on %(date)s.")),
        Kind.CONFERENCE_CHANGED: (_("The conference on case %(reference)s has changed."),
                                  _("The conference on case %(reference)s has changed: it now takes place on %(date)s.")),
        Kind.CONFERENCE_CANCELLED: (_("The conference on case %(reference)s has been cancelled."),
                                    _("The conference on case %(reference)s on %(date)s has been cancelled.")),
        Kind.DRAFT_RELEASED: (_("The draft minutes of case %(reference)s are ready for your corrections."),
                              _("The draft minutes of case %(reference)s are ready for your corrections (until %(date)s).")),
        Kind.CORRECTION_PROPOSED: (_("A correction to the minutes of case %(reference)s awaits a decision."),
                                   _("A correction to the minutes of case %(reference)s awaits a decision (by %(date)s).")),
        Kind.CORRECTION_DECIDED: (_("Your correction to the minutes of case %(reference)s has been decided."),
                                  _("Your correction to the minutes of case %(reference)s has been decided.")),
        Kind.PROTOCOL_FINALISED: (_("The minutes of case %(reference)s are final. Please confirm that you have read them."),
                                  _("The minutes of case %(reference)s are final. Please confirm that you have read them.")),
        Kind.ACTION_ASSIGNED: (_("An agreed action in case %(reference)s falls to you."),
                               _("An agreed action in case %(reference)s falls to you (due %(date)s).")),
        Kind.ACTION_ASSIGNED_ORGANISATION: (
            _("An agreed action in case %(reference)s falls to your organisation."),
            _("An agreed action in case %(reference)s falls to your organisation (due %(date)s).")),
        # Never the title, the new responsible or the reason: the action's page shows them to whom it may.
        Kind.ACTION_HANDED_OVER: (
            _("An agreed action in case %(reference)s that fell to you has been handed over to someone else by the convenor."),
            _("An agreed action in case %(reference)s that fell to you (due %(date)s) has been handed over to someone else by the convenor.")),
        Kind.ACTION_HANDED_OVER_ORGANISATION: (
            _("An agreed action in case %(reference)s that fell to your organisation has been handed over to someone else by the convenor."),
            _("An agreed action in case %(reference)s that fell to your organisation (due %(date)s) has been handed over to someone else by the convenor.")),
        # The new responsible of a hand-over: the same privacy as a new action (no title, no reason,
        # nobody named), but not the sentence of an action just agreed: it was agreed before her.
        Kind.ACTION_RECEIVED: (
            _("An agreed action in case %(reference)s has been handed over to you by the convenor."),
            _("An agreed action in case %(reference)s (due %(date)s) has been handed over to you by the convenor.")),
        Kind.ACTION_RECEIVED_ORGANISATION: (
            _("An agreed action in case %(reference)s has been handed over to your organisation by the convenor."),
            _("An agreed action in case %(reference)s (due %(date)s) has been handed over to your organisation by the convenor.")),
        Kind.ACTION_OVERDUE: (_("An agreed action in case %(reference)s is overdue."),
                              _("An agreed action in case %(reference)s is overdue (it was due %(date)s).")),
        Kind.CONSENT_ENDING: (_("A consent in case %(reference)s is about to end."),
                              _("A consent in case %(reference)s ends on %(date)s.")),
        Kind.BASIS_ENDING: (_("A recorded legal basis for disclosure in case %(reference)s is about to end."),
                            _("A recorded legal basis for disclosure in case %(reference)s ends on %(date)s.")),
        Kind.CONSENT_RECORDED: (_("A consent has been recorded in your name in case %(reference)s. Please check it; you can object."),
                                _("A consent has been recorded in your name in case %(reference)s. Please check it; you can object.")),
        Kind.MEMBERSHIP_CHANGED: (_("An administrator changed who works for your organisation. Please check its members."),
                                  _("An administrator changed who works for your organisation. Please check its members.")),
        Kind.MAIL_FAILED: (_("An e-mail about the conference on case %(reference)s could not be delivered. Please check the outbox."),) * 2,
        Kind.SUPPORT_REQUEST: (_("A professional of your network has sent you a request."),) * 2,
        Kind.SUPPORT_REPLY: (_("There is a new reply to your request."),) * 2,
        Kind.REFERRAL_RECEIVED: (_("A new referral to one of your offers waits for an answer."),) * 2,
        Kind.REFERRAL_STATUS: (_("The status of a referral has changed."),) * 2,
        Kind.REFERRAL_UNANSWERED: (_("A referral has not been answered in time."),) * 2,
        Kind.PLACE_FREED: (_("A place has become free for the next person on a waiting list."),) * 2,
        Kind.CONTACT_REQUEST: (_("Someone asked to be contacted about one of your offers."),) * 2,
        Kind.TEAM_JOINED_BY_REFERRAL: (_("A professional joined the team of case %(reference)s through an accepted referral. "
                                         "Please check the case team."),) * 2,
        # Never the languages: a notification's e-mail passes mail servers outside the case.
        Kind.INTERPRETER_CHANGED: (
            _("The interpreter language of the conference on case %(reference)s was changed with the family's record. "
              "Please check the interpreter booking."),
            _("The interpreter language of the conference on case %(reference)s on %(date)s was changed with the "
              "family's record. Please check the interpreter booking.")),
        # Never who: the erased person's record keeps nothing that a sentence could name.
        Kind.INVITATION_ERASED: (
            _("An invitation to the conference on case %(reference)s was withdrawn because a person's data were erased. Please check whether the conference can take place as planned."),
            _("An invitation to the conference on case %(reference)s on %(date)s was withdrawn because a person's data were erased. Please check whether the conference can take place as planned.")),
    }


# Kinds whose one notice stands for several things of an event: the sentence says how many
# (``Notification.count``), never what they are.
COUNTED = frozenset({Kind.ACTIONS_ERASED})


def _counted_text(kind: str, count: int) -> str:
    # Never who, nor the actions' titles: the erased person's record keeps nothing a sentence could
    # name, and the actions' pages show their titles to whom the policy shows them.
    if kind == Kind.ACTIONS_ERASED:
        return ngettext(
            "An open agreed action in case %(reference)s fell to a person whose data were erased; it now falls to "
            "no one who can carry it out. Please hand it over to someone else.",
            "%(count)s open agreed actions in case %(reference)s fell to a person whose data were erased; they now "
            "fall to no one who can carry them out. Please hand them over to someone else.",
            count)
    raise KeyError(kind)


def text_of(notification: Notification) -> str:
    """The notification's sentence in the active language (the case must be select_related)."""
    reference = notification.case.reference if notification.case_id else "–"
    if notification.kind in COUNTED:
        count = notification.count or 1
        return _counted_text(notification.kind, count) % {"reference": reference, "count": count}
    without_date, with_date = _texts()[notification.kind]
    if notification.due_on:
        return with_date % {"reference": reference, "date": formats.date_format(notification.due_on, "DATE_FORMAT")}
    return without_date % {"reference": reference}
