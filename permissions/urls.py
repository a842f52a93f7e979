"""Web pages of the permissions app."""
from django.urls import path  # noqa: F401

app_name = "permissions"
urlpatterns: list = []
