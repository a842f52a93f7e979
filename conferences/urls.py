"""Web pages of the conferences app: cases (case_urls) and scheduling, RSVP, poll links (scheduling_urls)."""
from django.urls import include, path

app_name = "conferences"
urlpatterns: list = [
    path("", include("conferences.case_urls")),
    path("", include("conferences.scheduling_urls")),
]
