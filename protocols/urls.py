"""Web pages of the protocols app: protocols, agreed actions, and (from protocols.board) the
cooperation board's summaries and meetings."""
from django.urls import path

from protocols import views

app_name = "protocols"
urlpatterns: list = [
    path("conferences/<int:conference_pk>/protocol/open/", views.protocol_open, name="protocol_open"),
    path("protocols/<int:pk>/", views.protocol_detail, name="protocol_detail"),
    path("protocols/<int:pk>/print/", views.protocol_print, name="protocol_print"),
    path("protocols/<int:pk>/items/new/", views.item_create, name="item_create"),
    path("protocols/<int:pk>/next-review/", views.next_review, name="next_review"),
    path("protocols/<int:pk>/parent-summary/", views.parent_summary, name="parent_summary"),
    path("protocols/<int:pk>/release/", views.protocol_release, name="protocol_release"),
    path("protocols/<int:pk>/finalise/", views.protocol_finalise, name="protocol_finalise"),
    path("protocols/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("protocols/<int:pk>/acknowledge/", views.protocol_acknowledge, name="protocol_acknowledge"),
    path("protocols/items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("protocols/items/<int:pk>/actions/new/", views.action_create, name="action_create"),
    path("protocols/items/<int:pk>/review/", views.item_review, name="item_review"),
    path("protocols/items/<int:pk>/corrections/new/", views.correction_propose, name="correction_propose"),
    path("protocols/items/<int:pk>/amendments/new/", views.amendment_create, name="amendment_create"),
    path("protocols/corrections/<int:pk>/decide/", views.correction_decide, name="correction_decide"),
    path("actions/", views.my_actions, name="my_actions"),
    path("my-agreements/", views.my_agreements, name="my_agreements"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("actions/<int:pk>/remove/", views.action_remove, name="action_remove"),
    path("actions/<int:pk>/reassign/", views.action_reassign, name="action_reassign"),
]
