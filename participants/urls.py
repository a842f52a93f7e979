"""Web pages of the participants app (consents and legal bases: ``cases.urls``)."""
from django.urls import path

from participants import views

app_name = "participants"
urlpatterns: list = [
    path("organisation/members/", views.organisation_members, name="organisation_members"),
]
