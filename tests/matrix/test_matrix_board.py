"""Permission matrix for the cooperation board: summaries, board meetings and the summary API.

Only the board members and the coordinator of ``world.network`` see anything; only the
coordinator writes. Everyone else gets 404 for the network's objects (or an empty list), the
anonymous visitor the login page (pages) or 403 (API).
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from board.models import BoardMeeting, BoardMeetingInvitation, HalfYearSummary, YearlyReport
from tests.matrix.roles import ROLES, client_for

URL_NAMES = {
    "board:summary_list",
    "board:summary_compute",
    "board:summary_detail",
    "board:summary_print",
    "board:summary_csv",
    "board:summary_municipality_csv",
    "board:summary_commentary",
    "board:summary_publish",
    "board:summary_discard",
    "board:board_meeting_list",
    "board:board_meeting_schedule",
    "board:board_meeting_detail",
    "board:board_meeting_update",
    "board:board_meeting_cancel",
    "board:board_meeting_minutes",
    "board:board_meeting_respond",
    "board:yearly_report_list",
    "board:yearly_report_compute",
    "board:yearly_report_detail",
    "board:yearly_report_csv",
    "board:yearly_report_publish",
    "board-summary-list",
    "board-summary-detail",
}

pytestmark = pytest.mark.django_db

# The hidden field each form carries of the version it was opened on (``permissions.conflicts``).
STARTED_FROM = {"board:summary_commentary": "version", "board:board_meeting_update": "version",
                "board:board_meeting_minutes": "minutes_version"}


def _started_from(name: str, row, data: dict) -> dict:
    """What the page's form posts: ``data`` and the version it was opened on."""
    field = STARTED_FROM.get(name)
    return {**data, field: getattr(row, field)} if field else data

BOARD = {"board_member", "coordinator"}


@pytest.fixture
def board(world):
    """A draft, a Danish-style published summary and a past meeting of world.network; a meeting
    of the other network."""
    draft = HalfYearSummary.objects.create(network=world.network, year=world.summary.year, half=1, figures={"sections": []},
                                           definitions_version="2026.1", computed_by=world.coordinator)
    with_municipalities = HalfYearSummary.objects.create(
        network=world.network, year=world.summary.year - 1, half=2, status=HalfYearSummary.Status.PUBLISHED,
        definitions_version="2026.1", published_at=timezone.now(),
        figures={"sections": [], "municipalities": {"title": "T", "from": "2024-01-01", "to": "2024-12-31",
                                                    "columns": [{"key": "pregnant_women", "label": "P"}],
                                                    "rows": [{"key": "Aarhus", "label": "Aarhus", "values": {"pregnant_women": "< 5"}}]}},
    )
    start = timezone.now() - dt.timedelta(days=1)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2),
                                          location="Kreishaus", minutes="Vertrauliche Sitzungsnotiz")
    foreign = BoardMeeting.objects.create(network=world.other_network, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    return {"draft": draft, "municipal": with_municipalities, "meeting": meeting, "foreign": foreign}


def page_status(role: str, allowed: set[str], *, visible: set[str] = BOARD, ok: int = 200) -> int:
    """Anonymous → login redirect; invisible object → 404; visible but not allowed → 403."""
    if role == "anonymous":
        return 302
    if role not in visible:
        return 404
    return ok if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_summary_list_shows_published_summaries_to_the_board_and_drafts_to_the_coordinator(client, world, board, role):
    response = client_for(client, world, role).get(reverse("board:summary_list"))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert (reverse("board:summary_detail", args=[world.summary.pk]) in body) == (role in BOARD)
    assert (reverse("board:summary_detail", args=[board["draft"].pk]) in body) == (role == "coordinator")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["board:summary_detail", "board:summary_print", "board:summary_csv"])
def test_published_summary_pages(client, world, board, role, name):
    response = client_for(client, world, role).get(reverse(name, args=[world.summary.pk]))
    assert response.status_code == page_status(role, BOARD)


@pytest.mark.parametrize("role", ROLES)
def test_municipality_csv(client, world, board, role):
    response = client_for(client, world, role).get(reverse("board:summary_municipality_csv", args=[board["municipal"].pk]))
    assert response.status_code == page_status(role, BOARD)
    if response.status_code == 200:
        assert "Aarhus,< 5" in response.content.decode("utf-8-sig")
    # a summary without a municipality report has no such download
    response = client.get(reverse("board:summary_municipality_csv", args=[world.summary.pk]))
    assert response.status_code in (302, 404)


@pytest.mark.parametrize("role", ROLES)
def test_draft_is_seen_by_the_coordinator_only(client, world, board, role):
    response = client_for(client, world, role).get(reverse("board:summary_detail", args=[board["draft"].pk]))
    assert response.status_code == page_status(role, {"coordinator"}, visible={"coordinator"})


@pytest.mark.parametrize("role", ROLES)
def test_compute_is_for_the_coordinator(client, world, board, role):
    before = HalfYearSummary.objects.count()
    response = client_for(client, world, role).post(
        reverse("board:summary_compute"), {"network": world.network.pk, "year": world.summary.year, "half": 2})
    expected = {"anonymous": 302, "coordinator": 302}.get(role, 403)
    assert response.status_code == expected
    assert HalfYearSummary.objects.count() == before + (1 if role == "coordinator" else 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,data", [
    ("board:summary_commentary", {"commentary": "Gut."}),
    ("board:summary_publish", {"confirm": "on"}),
    ("board:summary_discard", {"confirm": "on"}),
])
def test_draft_writes_are_for_the_coordinator(client, world, board, role, name, data):
    data = _started_from(name, board["draft"], data)
    response = client_for(client, world, role).post(reverse(name, args=[board["draft"].pk]), data)
    assert response.status_code == page_status(role, {"coordinator"}, visible={"coordinator"}, ok=302)
    changed = not HalfYearSummary.objects.filter(pk=board["draft"].pk, status="draft", commentary="").exists()
    assert changed == (role == "coordinator")


@pytest.mark.parametrize("role", ROLES)
def test_published_summary_cannot_be_changed_by_anyone(client, world, board, role):
    before = HalfYearSummary.objects.get(pk=world.summary.pk)
    client_for(client, world, role).post(reverse("board:summary_commentary", args=[world.summary.pk]), {"commentary": "x"})
    client.post(reverse("board:summary_discard", args=[world.summary.pk]), {"confirm": "on"})
    after = HalfYearSummary.objects.get(pk=world.summary.pk)
    assert (after.commentary, after.figures, after.status) == (before.commentary, before.figures, before.status)


@pytest.mark.parametrize("role", ROLES)
def test_meeting_list(client, world, board, role):
    response = client_for(client, world, role).get(reverse("board:board_meeting_list"))
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert (reverse("board:board_meeting_detail", args=[board["meeting"].pk]) in body) == (role in BOARD)
    assert reverse("board:board_meeting_detail", args=[board["foreign"].pk]) not in body


@pytest.mark.parametrize("role", ROLES)
def test_meeting_detail_and_minutes_are_for_the_board(client, world, board, role):
    response = client_for(client, world, role).get(reverse("board:board_meeting_detail", args=[board["meeting"].pk]))
    assert response.status_code == page_status(role, BOARD)
    if response.status_code == 200:
        assert "Vertrauliche Sitzungsnotiz" in response.content.decode() or not board["meeting"].minutes_recorded_at
    foreign = client.get(reverse("board:board_meeting_detail", args=[board["foreign"].pk]))
    assert foreign.status_code == (302 if role == "anonymous" else 404)


@pytest.mark.parametrize("role", ROLES)
def test_schedule_is_for_the_coordinator(client, world, board, role):
    before = BoardMeeting.objects.count()
    response = client_for(client, world, role).post(reverse("board:board_meeting_schedule"), {
        "network": world.network.pk, "starts_at": "2031-03-04T16:00", "duration_minutes": 120, "location": "Kreishaus",
        "count": 3, "summary": "",
    })
    assert response.status_code == {"anonymous": 302, "coordinator": 302}.get(role, 403)
    assert BoardMeeting.objects.count() == before + (3 if role == "coordinator" else 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,data", [
    ("board:board_meeting_update", {"starts_at": "2031-03-04T16:00", "ends_at": "2031-03-04T18:00", "location": "Neu"}),
    ("board:board_meeting_minutes", {"minutes": "Besprochen.", "decisions": "Beschlossen."}),
    ("board:board_meeting_cancel", {}),
])
def test_meeting_writes_are_for_the_coordinator(client, world, board, role, name, data):
    before = BoardMeeting.objects.get(pk=board["meeting"].pk)
    data = _started_from(name, before, data)
    response = client_for(client, world, role).post(reverse(name, args=[board["meeting"].pk]), data)
    assert response.status_code == page_status(role, {"coordinator"}, ok=302)
    after = BoardMeeting.objects.get(pk=board["meeting"].pk)
    assert (after.updated_at != before.updated_at) == (role == "coordinator")


@pytest.mark.parametrize("role", ROLES)
def test_summary_api_list(client, world, board, role):
    response = client_for(client, world, role).get(reverse("board-summary-list"))
    if role == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == ({world.summary.pk, board["municipal"].pk} if role in BOARD else set())


@pytest.mark.parametrize("role", ROLES)
def test_summary_api_detail(client, world, board, role):
    response = client_for(client, world, role).get(reverse("board-summary-detail", args=[world.summary.pk]))
    if role == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == (200 if role in BOARD else 404)
    # drafts never leave through the API, not even to the coordinator
    assert client.get(reverse("board-summary-detail", args=[board["draft"].pk])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_summary_api_is_read_only(client, world, board, role):
    response = client_for(client, world, role).post(reverse("board-summary-list"), {"year": 2020}, content_type="application/json")
    assert response.status_code in ((401, 403) if role == "anonymous" else (405,))


# --- Danish yearly reports --------------------------------------------------------------------

@pytest.fixture
def yearly(world):
    """world.network turned Danish, with a published and a draft yearly report; a published
    report of the other (Danish) network."""
    world.network.country = "DK"
    world.network.save(update_fields=["country"])
    figures = {"definitions_version": "2026.1", "title": "T", "from": "2025-01-01", "to": "2025-12-31",
               "columns": [{"key": "pregnant_women", "label": "P"}],
               "rows": [{"key": "Aarhus", "label": "Aarhus", "values": {"pregnant_women": "< 5"}}]}
    published = YearlyReport.objects.create(network=world.network, year=2025, status=YearlyReport.Status.PUBLISHED,
                                            figures=figures, definitions_version="2026.1", published_at=timezone.now())
    draft = YearlyReport.objects.create(network=world.network, year=2024, figures=figures, definitions_version="2026.1")
    foreign = YearlyReport.objects.create(network=world.other_network, year=2025, status=YearlyReport.Status.PUBLISHED,
                                          figures=figures, definitions_version="2026.1", published_at=timezone.now())
    return {"published": published, "draft": draft, "foreign": foreign}


@pytest.mark.parametrize("role", ROLES)
def test_yearly_report_list_shows_published_years_to_the_board_and_drafts_to_the_coordinator(client, world, yearly, role):
    response = client_for(client, world, role).get(reverse("board:yearly_report_list"))
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert (reverse("board:yearly_report_detail", args=[yearly["published"].pk]) in body) == (role in BOARD)
    assert (reverse("board:yearly_report_detail", args=[yearly["draft"].pk]) in body) == (role == "coordinator")
    assert reverse("board:yearly_report_detail", args=[yearly["foreign"].pk]) not in body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["board:yearly_report_detail", "board:yearly_report_csv"])
def test_published_yearly_report_pages(client, world, yearly, role, name):
    response = client_for(client, world, role).get(reverse(name, args=[yearly["published"].pk]))
    assert response.status_code == page_status(role, BOARD)
    if response.status_code == 200 and name.endswith("csv"):
        assert "Aarhus,< 5" in response.content.decode("utf-8-sig")
    assert client.get(reverse(name, args=[yearly["foreign"].pk])).status_code == (302 if role == "anonymous" else 404)
    draft = client.get(reverse(name, args=[yearly["draft"].pk]))
    assert draft.status_code == page_status(role, {"coordinator"}, visible={"coordinator"})


@pytest.mark.parametrize("role", ROLES)
def test_yearly_report_compute_is_for_the_coordinator(client, world, yearly, role):
    before = YearlyReport.objects.count()
    response = client_for(client, world, role).post(reverse("board:yearly_report_compute"),
                                                     {"network": world.network.pk, "year": 2025})
    assert response.status_code == {"anonymous": 302, "coordinator": 302}.get(role, 403)
    assert YearlyReport.objects.count() == before + (1 if role == "coordinator" else 0)


@pytest.mark.parametrize("role", ROLES)
def test_yearly_report_publish_is_for_the_coordinator(client, world, yearly, role):
    response = client_for(client, world, role).post(reverse("board:yearly_report_publish", args=[yearly["draft"].pk]))
    assert response.status_code == page_status(role, {"coordinator"}, visible={"coordinator"}, ok=302)
    published = YearlyReport.objects.filter(pk=yearly["draft"].pk, status=YearlyReport.Status.PUBLISHED).exists()
    assert published == (role == "coordinator")
    # the foreign network's report is out of reach for everyone here
    assert client.post(reverse("board:yearly_report_publish", args=[yearly["foreign"].pk])).status_code in (302, 404)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_invited_board_member_answers_an_invitation(client, world, role):
    start = timezone.now() + dt.timedelta(days=30)
    meeting = BoardMeeting.objects.create(network=world.network, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    invitation = BoardMeetingInvitation.objects.create(meeting=meeting, user=world.board_member)
    response = client_for(client, world, role).post(reverse("board:board_meeting_respond", args=[meeting.pk]),
                                                     {"response": "accepted"})
    # the coordinator sees the meeting but holds no invitation: 403
    assert response.status_code == page_status(role, {"board_member"}, ok=302)
    invitation.refresh_from_db()
    assert (invitation.response == "accepted") == (role == "board_member")
