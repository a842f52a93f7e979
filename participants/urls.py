"""Web pages of the participants app: consents and legal bases for disclosure."""
from django.urls import path

from participants import consent_views, views

app_name = "participants"
urlpatterns: list = [
    path("cases/<int:case_pk>/consents/", consent_views.case_consents, name="case_consents"),
    path("cases/<int:case_pk>/consents/new/", consent_views.consent_create, name="consent_create"),
    path("cases/<int:case_pk>/legal-bases/new/", consent_views.disclosure_basis_create, name="disclosure_basis_create"),
    path("cases/<int:case_pk>/consents/give/", consent_views.consent_give, name="consent_give"),
    path("consents/<int:pk>/revoke/", consent_views.consent_revoke, name="consent_revoke"),
    path("consents/<int:pk>/object/", consent_views.consent_object, name="consent_object"),
    path("my-consents/", consent_views.my_consents, name="my_consents"),
    path("organisation/members/", views.organisation_members, name="organisation_members"),
]
