"""Pages of the offers app: the public directory and the organisation's offers."""
from django.urls import path

from . import contact_views, figure_views, referral_views, track_views, views

app_name = "offers"
urlpatterns: list = [
    path("directory/", views.directory, name="directory"),
    path("directory/<int:pk>/", views.offer_public, name="offer_public"),
    path("directory/<slug:slug>/hsds.json", views.network_hsds_export, name="hsds_export"),
    path("offers/", views.offer_manage_list, name="manage_list"),
    path("offers/new/", views.offer_create, name="offer_create"),
    path("offers/import/", views.offer_import, name="offer_import"),
    path("offers/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("offers/<int:pk>/availability/", views.offer_availability, name="offer_availability"),
    path("offers/<int:pk>/waiting-list/", referral_views.waiting_list, name="waiting_list"),
    path("requests/", referral_views.request_list, name="request_list"),
    path("requests/new/", referral_views.request_create, name="request_create"),
    path("requests/<int:pk>/", referral_views.request_detail, name="request_detail"),
    path("requests/<int:pk>/close/", referral_views.request_close, name="request_close"),
    path("requests/<int:pk>/send-on/", referral_views.request_send_on, name="request_send_on"),
    path("requests/<int:pk>/refer/", referral_views.request_refer, name="request_refer"),
    path("requests/<int:pk>/attach-case/", referral_views.request_attach_case, name="request_attach_case"),
    path("requests/<int:pk>/open-case/", referral_views.request_open_case, name="request_open_case"),
    path("referrals/", referral_views.referral_list, name="referral_list"),
    path("referrals/<int:pk>/", referral_views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/decide/", referral_views.referral_decide, name="referral_decide"),
    path("referrals/<int:pk>/open-case/", referral_views.referral_open_case, name="referral_open_case"),
    path("referrals/<int:pk>/attach-case/", referral_views.referral_attach_case, name="referral_attach_case"),
    path("referrals/<int:pk>/join-case-team/", referral_views.referral_join_case_team, name="referral_join_case_team"),
    path("offers/<int:pk>/enrolments/", track_views.track_enrolments, name="track_enrolments"),
    path("enrolments/<int:pk>/", track_views.enrolment_detail, name="enrolment_detail"),
    path("enrolments/<int:pk>/end/", track_views.enrolment_end, name="enrolment_end"),
    path("enrolments/<int:pk>/attendance/", track_views.enrolment_attendance, name="enrolment_attendance"),
    path("sessions/<int:pk>/cancel/", track_views.session_cancel, name="session_cancel"),
    path("directory/<int:pk>/contact/", contact_views.contact_request_create, name="contact_request_create"),
    path("offers/<int:pk>/contact-requests/", contact_views.contact_requests, name="contact_requests"),
    path("contact-requests/<int:pk>/handle/", contact_views.contact_request_handle, name="contact_request_handle"),
    path("board/partnership/", figure_views.partnership_figures, name="partnership_figures"),
    path("board/partnership/<slug:slug>/<int:year>/municipal-report.csv", figure_views.municipal_report_csv, name="municipal_report_csv"),
]
