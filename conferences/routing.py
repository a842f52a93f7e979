"""Websocket routes of the conferences app (collected by config/routing.py)."""
from django.urls import re_path

from conferences.consumers import ConferenceConsumer, PollConsumer

websocket_urlpatterns = [
    re_path(r"^ws/conferences/(?P<conference_id>\d+)/poll/$", PollConsumer.as_asgi()),
    re_path(r"^ws/conferences/(?P<conference_id>\d+)/$", ConferenceConsumer.as_asgi()),
]
