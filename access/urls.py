"""Web pages of access: the audit log, a parent's data log, explicit grants (paths unchanged since issue 14)."""
from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("my-data/", views.my_data, name="my_data"),
    path("access/grants/", views.grants, name="grants"),
    path("access/grants/<str:kind>/new/", views.grant_create, name="grant_create"),
    path("access/grants/<str:kind>/<int:pk>/withdraw/", views.grant_withdraw, name="grant_withdraw"),
    path("audit/grants/", views.dpo_grants, name="dpo_grants"),
]
