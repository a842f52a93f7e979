"""Web pages of the cases app: cases, their team and family, legal holds, consents and legal bases
(paths unchanged by the move from ``conferences`` and ``participants``, issue 14)."""
from django.urls import path

from cases import consent_views, hold_views, views as case_views

app_name = "cases"
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
    path("cases/<int:pk>/family/<int:member_pk>/access/withdraw/", case_views.case_family_access_withdraw,
         name="case_family_access_withdraw"),
    path("account/link-case/", case_views.access_code_enter, name="access_code_enter"),
    path("cases/<int:pk>/hold/", hold_views.case_legal_hold, name="case_legal_hold"),
    path("holds/", hold_views.legal_holds, name="legal_holds"),
    path("holds/new/", hold_views.legal_hold_create, name="legal_hold_create"),
    path("holds/<int:pk>/lift/", hold_views.legal_hold_lift, name="legal_hold_lift"),
    path("cases/<int:case_pk>/consents/", consent_views.case_consents, name="case_consents"),
    path("cases/<int:case_pk>/consents/new/", consent_views.consent_create, name="consent_create"),
    path("cases/<int:case_pk>/legal-bases/new/", consent_views.disclosure_basis_create, name="disclosure_basis_create"),
    path("cases/<int:case_pk>/consents/give/", consent_views.consent_give, name="consent_give"),
    path("consents/<int:pk>/revoke/", consent_views.consent_revoke, name="consent_revoke"),
    path("legal-bases/<int:pk>/end/", consent_views.disclosure_basis_end, name="disclosure_basis_end"),
    path("consents/<int:pk>/object/", consent_views.consent_object, name="consent_object"),
    path("my-consents/", consent_views.my_consents, name="my_consents"),
]
