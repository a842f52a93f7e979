"""Pages of the cooperation board (half-year summaries, board meetings); names live in the
``protocols`` namespace (included from ``protocols/urls.py``)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
