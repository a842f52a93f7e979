"""Pages included into the `conferences` namespace by conferences/urls.py."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
