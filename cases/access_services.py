"""A parent's access to her family-member record: the caseworker offers it, the parent takes it.

The caseworker's action answers the same whether or not an account already receives mail at the
member's address (``family_member_access_offer``): a new linking code to hand over in person, one
e-mail to the address, the record shown as "access offered" until the parent acts. Which of the
two it was stays in this module: telling it to the caseworker would tell her whether someone is a
parent in another case (perhaps of another network) or a professional.

* No account at the address: an account without a usable password is made for the offer and its
  one-time set-up link is mailed there. The record is linked when the link is used (allauth's
  ``password_reset`` signal, ``on_password_reset``), not before.
  Once the offer is taken by its code instead (she already had an account elsewhere), that
  account, never used, is retired (``_retire_unused_account``): the mailed link is dead.
* An account at the address: nothing is made and no link is mailed that would let whoever reads
  that mailbox take the record (review H3-9: the father recorded at the mother's address). The
  mail only says that a code was handed over in person; the signed-in parent enters that code on
  her account page (``access_offer_take``). The code links only an account that receives mail at
  the address recorded for the member: the code and the mailbox, never the code alone.

Codes are stored as a keyed hash, bound to the member, expire, work once, and offering again
revokes the open one. Wrong codes are counted per account from the audit trail (shared by every
worker, and by the test run, without a cache): after ``CODE_ATTEMPTS`` within ``CODE_WINDOW``
further codes are refused unread.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.models import AccessOffer, FamilyMember
from participants import language, policy as participants_policy
from participants.models import User
from participants.selectors import accounts_at_address
from permissions import audit, events
from permissions.models import AuditEvent

OFFER_DAYS = 14
CODE_ATTEMPTS = 5
CODE_WINDOW = dt.timedelta(hours=1)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 12
_HASH_SALT = "fallkonferenz.cases.access_offer"
REFUSED = "family_member.link_code_refused"


@dataclasses.dataclass(frozen=True)
class AccessOffered:
    """What the caseworker is shown, the same in both paths."""
    member: FamilyMember
    code: str
    expires_at: dt.datetime


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def code_hash(code: str) -> str:
    """Keyed with the secret key: a copy of the table alone does not give the codes back."""
    return salted_hmac(_HASH_SALT, normalise_code(code), algorithm="sha256").hexdigest()


def _open_offers(**filters):
    return AccessOffer.objects.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now(),
                                      **filters)


def _free_username(base: str) -> str:
    base = (base or "parent")[:140]
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


def _account_for_offer(member: FamilyMember) -> User | None:
    """The account the offer's set-up link goes to: a new one where no account receives mail at the
    address; the one made for an earlier offer of this member, never used since, where that is the
    only account there (offering again); None where any other account receives mail there."""
    existing = list(accounts_at_address(member.email)[:2])
    if not existing:
        # Never the case reference: a user name shows in the admin, in logs and on screen beside others.
        user = User(username=_free_username(f"{slugify(member.display_name) or 'parent'}.{secrets.token_hex(3)}"),
                    email=member.email, first_name=member.display_name[:150])
        user.set_unusable_password()
        user.save()
        return user
    if len(existing) == 1:
        user = existing[0]
        unused = (not user.has_usable_password() and user.last_login is None and not user.family_members.exists()
                  and participants_policy.may_join_a_family(user))
        if unused and AccessOffer.objects.filter(member=member, account=user).exists():
            return user
    return None


def _send_set_up_link(user: User, email: str, reference: str, lang: str) -> None:
    path = reverse("account_reset_password_from_key",
                   kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)})
    with translation.override(lang):
        subject = _("Your access to Fallkonferenz")
        body = _(
            "Hello %(name)s,\n\n"
            "your caseworker has set up an account for you, so that you can see your invitations, the parts of the "
            "protocol meant for you and what was agreed (case %(reference)s).\n\n"
            "Your user name: %(username)s\n"
            "Choose your password here (the link works once):\n%(url)s\n\n"
            "If you did not expect this message, please tell your caseworker."
        ) % {"name": user.first_name or user.username, "reference": reference, "username": user.username,
             "url": settings.SITE_URL + path}
        body += "\n\n" + _(
            "If you already have a Fallkonferenz account with another e-mail address, you do not need this one: ask "
            "your caseworker to record the address of your account. She then gives you a linking code, which you "
            "enter under \"My account\" → \"Link another case\"."
        )
    send_mail(subject, body, None, [email])


def _send_code_notice(email: str, lang: str) -> None:
    """To an address an account already receives mail at: no link, no case, no name. Without the
    code handed over in person nothing changes."""
    with translation.override(lang):
        subject = _("Access to a further case in Fallkonferenz")
        body = _(
            "Hello,\n\n"
            "a caseworker has offered access to a further case in Fallkonferenz to the person recorded with this "
            "e-mail address. If that is you, you will get a linking code from your caseworker in person. Sign in, "
            "open \"My account\", choose \"Link another case\" and enter the code there:\n%(url)s\n\n"
            "Without that code nothing changes. If you did not expect this message, you can ignore it."
        ) % {"url": settings.SITE_URL + reverse("cases:access_code_enter")}
    send_mail(subject, body, None, [email])


@transaction.atomic
def family_member_access_offer(actor: User, *, member: FamilyMember, channel: str = audit.Channel.PAGE) -> AccessOffered:
    """Offer a parent access to her record: a new linking code (shown once, to the caseworker) and
    one e-mail to her address, the same whether or not an account receives mail there.

    Checks: ``actor`` may convene the case; the member is a parent or guardian whose record has no
    account yet, was not erased (``FamilyMember.is_erased``) and has an e-mail address; the address reaches no other person of this family
    (recorded before that rule, it is checked again here). An open offer of the member is revoked.
    Audited as ``family_member.access_offer`` (the same detail in both paths); an account made for
    the offer is audited as ``account.create_for_offer`` without the case. E-mails after commit."""
    case = member.case
    case_services._require_convenor(actor, case)
    member = FamilyMember.objects.select_for_update().select_related("case").get(pk=member.pk)
    if member.relation not in FamilyMember.PARENT_RELATIONS:
        raise ValidationError(_("Only a parent or guardian can get an account."))
    if member.user_id is not None:
        raise ValidationError(_("This person already has an account."))
    if member.is_erased:
        raise ValidationError(_("This person's data were erased: she gets no offer of access from Fallkonferenz."))
    if not member.email:
        raise ValidationError(_("Record an e-mail address first: the sign-in link is sent there."))
    case_services._refuse_anothers_address(member.email, case=case, member=member)
    now = timezone.now()
    # the open offer's code and set-up link end; an account made for it may be reused below, with a new link
    case_services.end_access_offers(member, now=now)
    account = _account_for_offer(member)
    code = new_code()
    offer = AccessOffer.objects.create(member=member, code_hash=code_hash(code), offered_by=actor, offered_at=now,
                                       expires_at=now + dt.timedelta(days=OFFER_DAYS), account=account)
    audit.record(actor, action="family_member.access_offer", obj=member, case_id=case.pk, channel=channel,
                 detail={"offer": offer.pk, "expires_at": offer.expires_at.isoformat()})
    if account is not None:
        audit.record(actor, action="account.create_for_offer", obj=account, channel=channel, detail={"offer": offer.pk})
        email, reference, lang = member.email, case.reference, language.for_family_member(member, account=account)
        transaction.on_commit(lambda: _send_set_up_link(account, email, reference, lang))
    else:
        email, lang = member.email, _language_at(member)
        transaction.on_commit(lambda: _send_code_notice(email, lang))
    return AccessOffered(member=member, code=code, expires_at=offer.expires_at)


def _language_at(member: FamilyMember) -> str:
    """The notice's language: it goes to the address recorded for ``member`` and is read by
    whoever receives mail there. The holder's own choice where exactly one account receives mail
    there (of several, none is the reader more than another); else the member's record
    (``participants.language.for_family_member``: her recorded language, her interpreter's, her
    case's network), as for any letter to a parent without an account."""
    accounts = list(accounts_at_address(member.email)[:2])
    return language.for_family_member(member, account=accounts[0] if len(accounts) == 1 else None)


@transaction.atomic
def family_member_access_withdraw(actor: User, *, member: FamilyMember, channel: str = audit.Channel.PAGE) -> int:
    """The caseworker withdraws the open offer of ``member``: its code and its set-up link no longer
    link anything. Checks: ``actor`` may convene the case. Returns how many offers ended."""
    case_services._require_convenor(actor, member.case)
    member = FamilyMember.objects.select_for_update().get(pk=member.pk)
    count = case_services.end_access_offers(member, now=timezone.now())
    if count:
        audit.record(actor, action="family_member.access_withdraw", obj=member, case_id=member.case_id, channel=channel)
    return count


def access_code_attempts_left(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    wrong = AuditEvent.objects.filter(actor=user, action=REFUSED, at__gte=timezone.now() - CODE_WINDOW).count()
    return max(CODE_ATTEMPTS - wrong, 0)


def access_offer_take(actor: User, *, code: str, channel: str = audit.Channel.PAGE) -> FamilyMember:
    """The signed-in parent enters the linking code she got in person: her account joins the record
    it was made for.

    Checks: ``actor`` holds no professional, network or admin role; fewer than ``CODE_ATTEMPTS``
    wrong codes of hers within ``CODE_WINDOW``; the code belongs to an open offer (not used,
    revoked or expired) of a record without an account whose recorded address her account receives
    mail at (contact or allauth address: the code alone is a paper another person of the household
    may hold; refused like a wrong code, so the refusal does not tell her the code was real); her
    account is not linked to that case yet. A wrong code changes nothing but is recorded (``family_member.link_code_refused``, the
    count the limit reads), so its refusal is committed while nothing else is."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied
    if not participants_policy.may_join_a_family(actor):
        raise PermissionDenied(_("Linking codes are for parents, not for accounts of professionals or administrators."))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()  # one attempt at a time per account
        if access_code_attempts_left(actor) <= 0:
            raise ValidationError({"code": _("Too many wrong codes. Please try again in an hour, or ask your "
                                             "caseworker for help.")})
        offer = (AccessOffer.objects.select_for_update().select_related("member__case")
                 .filter(code_hash=code_hash(code)).first() if normalise_code(code) else None)
        # The code and the mailbox: the code is handed over on paper, and a paper lies about at
        # home. Only an account that receives mail at the address recorded for the member takes
        # it (review h8-1: the mother with the father's code would stand for him in the case).
        valid = (offer is not None and offer.is_open() and offer.member.user_id is None
                 and accounts_at_address(offer.member.email).filter(pk=actor.pk).exists())
        if not valid:
            audit.record(actor, action=REFUSED, obj=actor, channel=channel)
        elif FamilyMember.objects.filter(case_id=offer.member.case_id, user=actor).exists():
            raise ValidationError({"code": _("Your account is already linked to this case.")})
        else:
            return _link(actor, offer, by="code", channel=channel)
    raise ValidationError({"code": _(
        "This code is not valid (any more) for this account. Check what you typed. A code works only for the account "
        "that receives mail at the e-mail address your caseworker recorded for you: if she recorded another address, "
        "ask her to record your account's address and to give you a new code.")})


def _link(user: User, offer: AccessOffer, *, by: str, channel: str) -> FamilyMember:
    member = FamilyMember.objects.select_for_update().get(pk=offer.member_id)
    now = timezone.now()
    member.user = user
    member.version += 1
    member.full_clean()
    member.save(update_fields=["user", "version"])
    offer.used_at, offer.used_by = now, user
    offer.save(update_fields=["used_at", "used_by"])
    case_services.end_access_offers(member, now=now)
    audit.record(user, action="family_member.account_link", obj=member, case_id=member.case_id, channel=channel,
                 legal_basis="family", detail={"offer": offer.pk, "by": by})
    if offer.account_id is not None and offer.account_id != user.pk:
        _retire_unused_account(user, account_id=offer.account_id, offer=offer, channel=channel)
    # in this transaction: ``conferences`` revokes the poll links she had without an account
    events.account_linked(actor=user, family_member_id=member.pk, user_id=user.pk, case_id=member.case_id, channel=channel)
    events.access_changed_on_commit([member.case_id])
    return member


def _retire_unused_account(actor: User, *, account_id: int, offer: AccessOffer, channel: str) -> None:
    """The offer was taken by its code with another account: the account made for it, if never
    used and needed by no other open offer, is disabled and loses its address and password, so
    its mailed set-up link neither sets a password nor links (the reset token hashes both).
    Audited as ``account.retire_for_offer``, without the case, like its creation."""
    account = User.objects.select_for_update().filter(pk=account_id).first()
    if (account is None or account.has_usable_password() or account.last_login is not None
            or account.family_members.exists() or _open_offers(account=account).exists()):
        return
    account.is_active, account.email = False, ""
    account.set_unusable_password()
    account.save(update_fields=["is_active", "email", "password"])
    EmailAddress.objects.filter(user=account).delete()
    audit.record(actor, action="account.retire_for_offer", obj=account, channel=channel, detail={"offer": offer.pk})


@transaction.atomic
def access_offer_take_by_link(user: User) -> list[FamilyMember]:
    """She chose her password through a one-time link to the account made for an offer: she has
    shown that she reads mail at its address, so the open offer it was made for is taken — as long
    as the record still has that address and no account, and hers is no professional's. Anything
    else links nothing (the offer was withdrawn, expired or the address corrected)."""
    linked = []
    offers = (AccessOffer.objects.select_for_update().select_related("member")
              .filter(account=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
              .order_by("pk"))
    for offer in offers:
        member = offer.member
        if (member.user_id is None and member.email.strip().lower() == (user.email or "").strip().lower()
                and participants_policy.may_join_a_family(user)
                and not FamilyMember.objects.filter(case_id=member.case_id, user=user).exists()):
            linked.append(_link(user, offer, by="link", channel=audit.Channel.PAGE))
    return linked


def on_password_reset(sender, request, user, **kwargs) -> None:
    """Receiver of allauth's ``password_reset`` signal (connected in ``CasesConfig.ready``)."""
    access_offer_take_by_link(user)
