"""Reading notifications: always through the access policy, at read time."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Notification


def visible_cases(user) -> QuerySet:
    """The cases the user may see: ``Case.objects.visible_to(user)`` (the case policy,
    ``cases/policy.py``), reached through the notification's relation, as notifications sit below
    cases and import none of it."""
    return Notification._meta.get_field("case").related_model.objects.visible_to(user)


def visible_notifications(user) -> QuerySet[Notification]:
    """The user's own notifications whose case she may still see (one SQL statement)."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).filter(
        Q(case__isnull=True) | Q(case_id__in=visible_cases(user).values("pk"))
    )


def notifications_for_user(user, *, limit: int = 100) -> list[Notification]:
    return list(visible_notifications(user).select_related("case")[:limit])


def unread_count(user) -> int:
    return visible_notifications(user).filter(read_at__isnull=True).count()


def get_notification_for_user(user, pk: int) -> Notification:
    """404-style: DoesNotExist when missing, someone else's, or its case is no longer visible."""
    return visible_notifications(user).select_related("case").get(pk=pk)
