"""API routes of the conferences app (mounted under /api/); the case API is ``cases.api.urls``."""
from django.urls import include, path

urlpatterns = [
    path("", include("conferences.api.scheduling_urls")),
]
