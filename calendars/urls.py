"""Calendar subscriptions (in the `calendars` namespace). The paths are those the feeds had
under ``conferences`` before the move, byte for byte: calendar clients hold them."""
from django.urls import path

from . import views

app_name = "calendars"
# Also answered by ``calendars.middleware.FeedMiddleware`` before the session middleware.
feed_urlpatterns: list = [
    path("feeds/<str:token>.ics", views.feed, name="feed"),
    path("feeds/<str:token>/tasks.ics", views.feed_tasks, name="feed_tasks"),
]
urlpatterns: list = [
    path("board-meetings/<int:pk>/meeting.ics", views.board_meeting_ics, name="board_meeting_ics"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/links/", views.feed_token_create, name="feed_token_create"),
    path("calendar/links/<int:token_pk>/revoke/", views.feed_token_revoke, name="feed_token_revoke"),
    *feed_urlpatterns,
]
