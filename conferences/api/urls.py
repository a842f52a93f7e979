"""API routes of the conferences app (mounted under /api/)."""
from django.urls import include, path

urlpatterns = [
    path("", include("conferences.api.case_urls")),
    path("", include("conferences.api.scheduling_urls")),
]
