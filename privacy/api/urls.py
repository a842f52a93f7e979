"""API routes of the privacy app (mounted under /api/)."""
from django.urls import path

from privacy.api import views

urlpatterns = [
    path("restricted-reads/", views.RestrictedReadView.as_view(), name="restricted-read"),
]
