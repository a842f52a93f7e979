"""Pages included into the `conferences` namespace by conferences/urls.py."""
from django.urls import path

from conferences import case_views, hold_views

urlpatterns: list = [
    path("cases/", case_views.case_list, name="case_list"),
    path("cases/new/", case_views.case_create, name="case_create"),
    path("cases/<int:pk>/", case_views.case_detail, name="case_detail"),
    path("cases/<int:pk>/team/add/", case_views.case_team_add, name="case_team_add"),
    path("cases/<int:pk>/team/<int:member_pk>/remove/", case_views.case_team_remove, name="case_team_remove"),
    path("cases/<int:pk>/close/", case_views.case_close, name="case_close"),
    path("cases/<int:pk>/family/add/", case_views.case_family_add, name="case_family_add"),
    path("cases/<int:pk>/reopen/", case_views.case_reopen, name="case_reopen"),
    path("cases/<int:pk>/family/<int:member_pk>/edit/", case_views.case_family_edit, name="case_family_edit"),
    path("cases/<int:pk>/family/<int:member_pk>/account/", case_views.case_family_account, name="case_family_account"),
    path("cases/<int:pk>/hold/", hold_views.case_legal_hold, name="case_legal_hold"),
    path("holds/", hold_views.legal_holds, name="legal_holds"),
    path("holds/new/", hold_views.legal_hold_create, name="legal_hold_create"),
    path("holds/<int:pk>/lift/", hold_views.legal_hold_lift, name="legal_hold_lift"),
]
