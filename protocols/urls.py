"""Web pages of the protocols app: protocols, agreed actions, and (from protocols.board) the
cooperation board's summaries and meetings."""
from django.urls import include, path

app_name = "protocols"
urlpatterns: list = [
    path("", include("protocols.board.urls")),
]
