"""Calendar subscriptions: the secret token behind each feed URL."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from participants.models import Network


class FeedToken(models.Model):
    """The secret behind one calendar subscription URL. Only a SHA-256 hash is stored.

    Moved from ``conferences`` (issue 14); the rows kept their ids, the table was renamed
    (``conferences/migrations/0009``, ``calendars/migrations/0001``)."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("My conferences and actions")
        CASE = "case", _("Case calendar")
        BOARD = "board", _("Board meetings")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The ETag last served and when it last changed: Last-Modified must move when an item
    # leaves the feed too, which no row's updated_at shows.
    served_etag = models.CharField(max_length=80, blank=True)
    content_changed_at = models.DateTimeField(null=True, blank=True)
    # Where served_etag was last established: the feed's cache key (a digest of the content
    # version, the local date, events or tasks, language and calendar format), written together
    # with served_etag and only with the token's other writes (new content, first use of a day).
    # A poll whose token statement yields the same key is answered from this row alone: no
    # cache read (issue 13, ``calendars.feeds.serve``).
    served_key = models.CharField(max_length=64, blank=True)
    # When the events feed was last fetched (``last_used_at`` is any feed's last fetch).
    events_last_used_at = models.DateTimeField(null=True, blank=True)
    # The same four for the tasks feed of a personal token (``<token>/tasks.ics``, offered beside
    # the events feed). A client subscribed to both polls them in turn; with one shared state each
    # poll found the other feed's ETag and counted as new content: a write and an audit event.
    tasks_served_etag = models.CharField(max_length=80, blank=True)
    tasks_content_changed_at = models.DateTimeField(null=True, blank=True)
    tasks_served_key = models.CharField(max_length=64, blank=True)
    tasks_last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("feed token")
        verbose_name_plural = _("feed tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="personal", case__isnull=True, network__isnull=True)
                | Q(kind="case", case__isnull=False, network__isnull=True)
                | Q(kind="board", case__isnull=True, network__isnull=False),
                name="feedtoken_scope_matches_kind",
            ),
        ]
