"""Websocket routes. Each app contributes ``websocket_urlpatterns`` in its ``routing`` module;
any other path reaches a consumer that closes at once (code 4404)."""
from __future__ import annotations

from django.urls import re_path

from config.consumers import UnknownPathConsumer

websocket_urlpatterns: list = []

for module_name in ("protocols.routing", "conferences.routing"):
    try:
        module = __import__(module_name, fromlist=["websocket_urlpatterns"])
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        continue
    websocket_urlpatterns += module.websocket_urlpatterns

websocket_urlpatterns.append(re_path(r"^.*$", UnknownPathConsumer.as_asgi()))
