"""Keep the guardian grants in step with what the policy depends on, in the same transaction.

Each receiver names the case(s) whose grants may change and asks ``grants`` to recompute them;
inside ``grants.batch()`` the recomputes are collected and run once per case.
"""
from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from permissions import grants


def _recompute(*case_ids) -> None:
    for case_id in set(case_ids):
        grants.recompute_case_id(case_id)


def _item_case_id(item) -> int | None:
    from protocols.models import Protocol

    return Protocol.objects.filter(pk=item.protocol_id).values_list("conference__case_id", flat=True).first()


def connect() -> None:
    """Called from ``PermissionsConfig.ready``."""
    from conferences.models import Case, CaseTeamMember
    from participants.models import Consent, ConsentScope, DisclosureBasis, FamilyMember, Membership, Organisation, User
    from protocols.models import AgreedAction, ProtocolItem

    def case_changed(sender, instance, **kwargs):
        if kwargs.get("signal") is post_delete:
            return  # its grant rows go with it (ON DELETE CASCADE)
        _recompute(instance.pk)

    def by_case_id(sender, instance, **kwargs):
        _recompute(instance.case_id)

    def team_changed(sender, instance, **kwargs):
        _recompute(instance.case_id)

    def consent_scope_changed(sender, instance, **kwargs):
        from participants.models import Consent as C

        _recompute(C.objects.filter(pk=instance.consent_id).values_list("case_id", flat=True).first())

    def m2m_by_case(sender, instance, action, **kwargs):
        if action in {"post_add", "post_remove", "post_clear"}:
            if kwargs.get("reverse"):
                # organisation.consents_receiving.add(...) and the like: recompute the other side
                model = kwargs["model"]
                pks = kwargs.get("pk_set") or []
                _recompute(*model.objects.filter(pk__in=pks).values_list("case_id", flat=True))
            else:
                _recompute(instance.case_id)

    def item_changed(sender, instance, **kwargs):
        _recompute(_item_case_id(instance))

    def item_orgs_changed(sender, instance, action, **kwargs):
        if action in {"post_add", "post_remove", "post_clear"}:
            if kwargs.get("reverse"):
                pks = kwargs.get("pk_set") or []
                _recompute(*ProtocolItem.objects.filter(pk__in=pks).values_list("protocol__conference__case_id", flat=True))
            else:
                _recompute(_item_case_id(instance))

    def membership_changed(sender, instance, **kwargs):
        grants.sync_user_groups(instance.user_id)
        _recompute(*grants.cases_touching(user_ids=[instance.user_id], org_ids=[instance.organisation_id]))

    def organisation_changed(sender, instance, created, **kwargs):
        if created:
            return
        for uid in Membership.objects.filter(organisation=instance).values_list("user_id", flat=True):
            grants.sync_user_groups(uid)
        _recompute(*grants.cases_touching(org_ids=[instance.pk]))

    def user_before_save(sender, instance, **kwargs):
        fields = kwargs.get("update_fields")
        if instance.pk is None or (fields is not None and "is_active" not in fields):
            instance._fk_was_active = None
            return
        instance._fk_was_active = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()

    def user_saved(sender, instance, created, **kwargs):
        was = getattr(instance, "_fk_was_active", None)
        if created or was is None or was == instance.is_active:
            return
        grants.sync_user_groups(instance.pk)
        _recompute(*grants.cases_touching(user_ids=[instance.pk]))

    def family_member_changed(sender, instance, **kwargs):
        _recompute(instance.case_id)

    uid = "permissions.grants"
    for signal in (post_save, post_delete):
        signal.connect(case_changed, sender=Case, dispatch_uid=f"{uid}.case.{id(signal)}", weak=False)
        signal.connect(team_changed, sender=CaseTeamMember, dispatch_uid=f"{uid}.team.{id(signal)}", weak=False)
        signal.connect(membership_changed, sender=Membership, dispatch_uid=f"{uid}.membership.{id(signal)}", weak=False)
        signal.connect(family_member_changed, sender=FamilyMember, dispatch_uid=f"{uid}.family.{id(signal)}", weak=False)
        signal.connect(by_case_id, sender=Consent, dispatch_uid=f"{uid}.consent.{id(signal)}", weak=False)
        signal.connect(consent_scope_changed, sender=ConsentScope, dispatch_uid=f"{uid}.scope.{id(signal)}", weak=False)
        signal.connect(by_case_id, sender=DisclosureBasis, dispatch_uid=f"{uid}.basis.{id(signal)}", weak=False)
        signal.connect(item_changed, sender=ProtocolItem, dispatch_uid=f"{uid}.item.{id(signal)}", weak=False)
        signal.connect(by_case_id, sender=AgreedAction, dispatch_uid=f"{uid}.action.{id(signal)}", weak=False)
    post_save.connect(organisation_changed, sender=Organisation, dispatch_uid=f"{uid}.organisation", weak=False)
    pre_save.connect(user_before_save, sender=User, dispatch_uid=f"{uid}.user.pre", weak=False)
    post_save.connect(user_saved, sender=User, dispatch_uid=f"{uid}.user.post", weak=False)
    m2m_changed.connect(m2m_by_case, sender=Consent.to_organisations.through, dispatch_uid=f"{uid}.consent.orgs", weak=False)
    m2m_changed.connect(m2m_by_case, sender=DisclosureBasis.to_organisations.through, dispatch_uid=f"{uid}.basis.orgs", weak=False)
    m2m_changed.connect(item_orgs_changed, sender=ProtocolItem.restricted_to.through, dispatch_uid=f"{uid}.item.orgs", weak=False)


def connect_sessions() -> None:
    """Remember whose session is whose; end every session of a user the moment she is disabled."""
    import time

    from django.contrib.auth.signals import user_logged_in, user_logged_out
    from django.db.models.signals import post_save as _post_save

    from participants.models import User
    from permissions.middleware import SESSION_SEEN, SESSION_STARTED
    from permissions.models import LoginSession

    def logged_in(sender, request, user, **kwargs):
        session = request.session
        now = int(time.time())
        session[SESSION_STARTED] = now
        session[SESSION_SEEN] = now
        if session.session_key is None:
            session.save()
        LoginSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})

    def logged_out(sender, request, user, **kwargs):
        key = getattr(getattr(request, "session", None), "session_key", None)
        if key:
            LoginSession.objects.filter(session_key=key).delete()

    def user_disabled(sender, instance, created, **kwargs):
        if created or instance.is_active:
            return
        end_sessions_of(instance.pk)

    user_logged_in.connect(logged_in, dispatch_uid="permissions.sessions.login", weak=False)
    user_logged_out.connect(logged_out, dispatch_uid="permissions.sessions.logout", weak=False)
    _post_save.connect(user_disabled, sender=User, dispatch_uid="permissions.sessions.disabled", weak=False)


def end_sessions_of(user_id: int) -> int:
    """Delete every session of the user from the session store; returns how many."""
    from importlib import import_module

    from django.conf import settings

    from permissions.models import LoginSession

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user_id=user_id).delete()
    return len(keys)
