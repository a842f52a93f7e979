"""Web pages of the conferences app."""
from django.urls import path  # noqa: F401

app_name = "conferences"
urlpatterns: list = []
