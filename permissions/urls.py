"""Web pages of the permissions app."""
from django.urls import path

from permissions import views

app_name = "permissions"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("my-data/", views.my_data, name="my_data"),
]
