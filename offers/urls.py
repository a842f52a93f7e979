"""Pages of the offers app: the public directory and the organisation's offers."""
from django.urls import path

from . import views

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
]
