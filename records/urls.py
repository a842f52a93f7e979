"""Pages of the data-protection officer's file: the record of processing activities and the
impact assessment."""
from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("dpo/records/", views.index, name="index"),
    path("dpo/records/<slug:network>/", views.record, name="record"),
    path("dpo/records/<slug:network>/versions/", views.versions, name="versions"),
    path("dpo/records/<slug:network>/versions/<int:version>/", views.version, name="version"),
    path("dpo/records/<slug:network>/versions/<int:version>/download.<str:fmt>", views.download, name="download"),
    path("dpo/dpia/<slug:network>/<str:template>/", views.dpia, name="dpia"),
    path("dpo/dpia/<slug:network>/<str:template>/print.html", views.dpia_print, name="dpia_print"),
    path("dpo/dpia/<slug:network>/<str:template>/<slug:section>/edit/", views.dpia_edit, name="dpia_edit"),
    path("dpo/dpia/<slug:network>/<str:template>/<slug:section>/history/", views.dpia_history, name="dpia_history"),
]
