"""Web pages of the conferences app: scheduling, RSVP, poll links (scheduling_urls); the case pages are ``cases.urls``."""
from django.urls import include, path

app_name = "conferences"
urlpatterns: list = [
    path("", include("conferences.scheduling_urls")),
]
