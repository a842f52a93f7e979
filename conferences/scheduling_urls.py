"""Scheduling pages, poll links and the conference download (in the `conferences` namespace).
Calendar subscriptions and feeds live in ``calendars/urls.py``.

Poll links (``p/<token>/``) carry secrets in the path; ``permissions.logging.RedactFeedTokens``
keeps them out of the logs.
"""
from django.urls import path

from . import outbox_views, views

urlpatterns: list = [
    path("cases/<int:case_pk>/conferences/new/", views.conference_create, name="conference_create"),
    path("conferences/<int:pk>/", views.conference_detail, name="conference_detail"),
    path("conferences/<int:pk>/poll/", views.conference_poll, name="conference_poll"),
    path("conferences/<int:pk>/poll/grid/", views.poll_grid, name="poll_grid"),
    path("conferences/<int:pk>/poll/pick/", views.poll_pick, name="poll_pick"),
    path("conferences/<int:pk>/invitations/<int:invitation_pk>/poll-link/", views.poll_link_create, name="poll_link_create"),
    path("conferences/<int:pk>/invitations/<int:invitation_pk>/remove/", views.invitation_remove, name="invitation_remove"),
    path("conferences/<int:pk>/invitations/add/", views.invitation_add, name="invitation_add"),
    path("conferences/<int:pk>/invitations/<int:invitation_pk>/letter/", views.invitation_letter, name="invitation_letter"),
    path("conferences/<int:pk>/outbox/", outbox_views.conference_outbox, name="conference_outbox"),
    path("conferences/<int:pk>/rsvp/", views.conference_rsvp, name="conference_rsvp"),
    path("conferences/<int:pk>/move/", views.conference_move, name="conference_move"),
    path("conferences/<int:pk>/cancel/", views.conference_cancel, name="conference_cancel"),
    path("conferences/<int:pk>/reports/<int:report_pk>/", views.report_submit, name="report_submit"),
    path("conferences/<int:pk>/conference.ics", views.conference_ics, name="conference_ics"),
    path("p/<str:token>/", views.poll_link_vote, name="poll_link_vote"),
]
