"""Sessions in the database, read together with their user in ONE statement.

Django's database session backend reads the session row, then ``AuthenticationMiddleware`` reads
the user row: two statements before any view work, on every request. This store reads the
session row and, through the ``LoginSession`` row that login wrote (``permissions.signals``),
the signed-in user in the same SELECT; with the second factor required
(``MFA_REQUIRED_FOR_PROFESSIONALS``) also whether she must have one and whether she has one.

Nothing is trusted more than before: ``permissions.middleware.AuthenticationMiddleware`` accepts
the preloaded user only where Django would accept the user it loads itself (same id as the
session's, an authentication backend that loads users by id, active, the session's hash equal to
her current password's). Anything else (no LoginSession row, another backend, a changed password,
a hash under a fallback secret) goes through Django's own ``get_user`` with its own queries.
Sessions stay in ``django_session``; the table and the cookies are unchanged.
"""
from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.db import connections, router
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from permissions.models import LoginSession

# Attribute of the preloaded user: (must have a second factor by her relations, has one).
SECOND_FACTOR_FLAGS = "_fk_second_factor"
_NEEDS = ("_fk_mfa_member", "_fk_mfa_network_role", "_fk_mfa_parent")
_HAS = "_fk_mfa_has"


def _user_query(session_key: str):
    """The signed-in user of ``session_key`` (at most one row), with the second-factor flags."""
    User = get_user_model()
    owner = LoginSession.objects.filter(session_key=session_key).values("user_id")[:1]
    users = User._default_manager.filter(pk=Subquery(owner))
    if getattr(settings, "MFA_REQUIRED_FOR_PROFESSIONALS", False):
        # The same relations as ``permissions.middleware.needs_second_factor`` asks one by one.
        same = User._default_manager.filter(pk=OuterRef("pk"))
        users = users.annotate(**{
            _NEEDS[0]: Exists(same.filter(memberships__is_active=True)),
            _NEEDS[1]: Exists(same.filter(network_roles__network__parents_require_mfa=True)),
            _NEEDS[2]: Exists(same.filter(family_member__case__network__parents_require_mfa=True)),
            _HAS: Exists(Authenticator.objects.filter(
                user_id=OuterRef("pk"), type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])),
        })
    return users


class SessionStore(DbSessionStore):
    preloaded_user = None

    def flush(self):
        self.preloaded_user = None
        super().flush()

    def _get_session_from_db(self):
        self.preloaded_user = None
        model = self.model
        using = router.db_for_read(model)
        connection = connections[using]
        qn = connection.ops.quote_name
        user_sql, user_params = _user_query(self.session_key).query.sql_with_params()
        sql = (f"SELECT s.{qn('session_data')}, u.* FROM {qn(model._meta.db_table)} s "
               f"LEFT JOIN ({user_sql}) u ON 1 = 1 "
               f"WHERE s.{qn('session_key')} = %s AND s.{qn('expire_date')} > %s")
        with connection.cursor() as cursor:
            cursor.execute(sql, (*user_params, self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())))
            row = cursor.fetchone()
            names = [column[0] for column in cursor.description] if row is not None else []
        if row is None:
            self._session_key = None
            return None
        values = dict(zip(names[1:], row[1:]))
        User = get_user_model()
        if values.get(User._meta.pk.column) is not None:
            self.preloaded_user = _user_from_row(User, values, connection, using)
        return model(session_key=self.session_key, session_data=row[0])


def _user_from_row(User, values: dict, connection, using: str):
    """The user instance as the ORM would have built it from the same columns."""
    fields = User._meta.concrete_fields
    raw = []
    for field in fields:
        value = values[field.column]
        col = field.get_col(User._meta.db_table)
        for converter in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
            value = converter(value, col, connection)
        raw.append(value)
    user = User.from_db(using, [field.attname for field in fields], raw)
    if _HAS in values:
        needs = any(bool(values[name]) for name in _NEEDS)
        setattr(user, SECOND_FACTOR_FLAGS, (needs, bool(values[_HAS])))
    return user
