"""Pages of the cooperation board (half-year summaries, yearly reports, board meetings), in the
``board`` namespace; the paths are those the board had under ``protocols`` (``/board/...``)."""
from django.urls import path

from board import views

app_name = "board"

urlpatterns: list = [
    path("board/summaries/", views.summary_list, name="summary_list"),
    path("board/summaries/compute/", views.summary_compute, name="summary_compute"),
    path("board/summaries/<int:pk>/", views.summary_detail, name="summary_detail"),
    path("board/summaries/<int:pk>/print/", views.summary_print, name="summary_print"),
    path("board/summaries/<int:pk>/summary.csv", views.summary_csv, name="summary_csv"),
    path("board/summaries/<int:pk>/municipalities.csv", views.summary_municipality_csv, name="summary_municipality_csv"),
    path("board/summaries/<int:pk>/commentary/", views.summary_commentary, name="summary_commentary"),
    path("board/summaries/<int:pk>/publish/", views.summary_publish, name="summary_publish"),
    path("board/summaries/<int:pk>/discard/", views.summary_discard, name="summary_discard"),
    path("board/yearly-reports/", views.yearly_report_list, name="yearly_report_list"),
    path("board/yearly-reports/compute/", views.yearly_report_compute, name="yearly_report_compute"),
    path("board/yearly-reports/<int:pk>/", views.yearly_report_detail, name="yearly_report_detail"),
    path("board/yearly-reports/<int:pk>/report.csv", views.yearly_report_csv, name="yearly_report_csv"),
    path("board/yearly-reports/<int:pk>/publish/", views.yearly_report_publish, name="yearly_report_publish"),
    path("board/meetings/", views.board_meeting_list, name="board_meeting_list"),
    path("board/meetings/schedule/", views.board_meeting_schedule, name="board_meeting_schedule"),
    path("board/meetings/<int:pk>/", views.board_meeting_detail, name="board_meeting_detail"),
    path("board/meetings/<int:pk>/update/", views.board_meeting_update, name="board_meeting_update"),
    path("board/meetings/<int:pk>/cancel/", views.board_meeting_cancel, name="board_meeting_cancel"),
    path("board/meetings/<int:pk>/respond/", views.board_meeting_respond, name="board_meeting_respond"),
    path("board/meetings/<int:pk>/minutes/", views.board_meeting_minutes, name="board_meeting_minutes"),
]
