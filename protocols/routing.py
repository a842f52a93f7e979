"""Websocket routes of the protocols app (collected by config/routing.py)."""
from django.urls import re_path

from protocols.consumers import ProtocolConsumer

websocket_urlpatterns = [
    re_path(r"^ws/protocols/(?P<protocol_id>\d+)/$", ProtocolConsumer.as_asgi()),
]
