"""Pages of the privacy app: the data-protection officer's file, and reads under restriction."""
from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("dpo/", views.dashboard, name="dashboard"),
    path("dpo/verify/", views.verify_trail, name="verify_trail"),
    path("dpo/requests/", views.request_list, name="request_list"),
    path("dpo/requests/new/", views.request_create, name="request_create"),
    path("dpo/requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("dpo/requests/<int:pk>/extend/", views.request_extend, name="request_extend"),
    path("dpo/requests/<int:pk>/close/", views.request_close, name="request_close"),
    path("dpo/requests/<int:pk>/restrict/", views.request_restrict, name="request_restrict"),
    path("dpo/requests/<int:pk>/export/", views.request_export, name="request_export"),
    path("dpo/restrictions/<int:pk>/lift/", views.restriction_lift, name="restriction_lift"),
    path("restrictions/", views.restrictions, name="restrictions"),
    path("restrictions/<int:pk>/read/", views.restricted_read, name="restricted_read"),
]
