"""The year's partnership figures (the board's page /board/partnership/ and the municipal report
CSV) and the offers tables of the half-year summaries and the Danish yearly report count the same
families: the year's = the first half year's + the second's. Suppressed each on its own, a cell
hidden in one came back by subtraction from the others (H1 Vejle 7, Odense 9; H2 Vejle "< 5",
Odense "x"; the year Vejle 10, Odense 17: H2's Vejle is 10 - 7 = 3). Each is now suppressed
together with the other periods of the year against what the board already holds."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from board import services, suppression
from board.models import HalfYearSummary
from offers import figures
from tests.offers.test_board_tables import CPH, enrol, partnership  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

YEAR = 2025
ADDITIVE = {("tracks", "served"), ("tracks", "sessions_attended"), ("tracks_by_municipality", "served"),
            ("tracks_by_birth_site", "served"), ("residential", "referred")}
COUNTED = {"tracks": ("served", "completed", "ended_early", "active", "sessions_attended"),
           "tracks_by_municipality": ("served",), "tracks_by_birth_site": ("served",),
           "residential": ("occupied", "waiting", "referred")}


def families(p):
    """The example: H1 Vejle 7, Odense 9; H2 Vejle 3, Odense 8 (and sessions: 8 in H1, 3 in H2)."""
    enrol(p, p["sessions"], 7, municipality="Vejle", on=dt.date(YEAR, 3, 1))
    enrol(p, p["sessions"], 9, municipality="Odense", on=dt.date(YEAR, 3, 1))
    enrol(p, p["sessions"], 3, municipality="Vejle", on=dt.date(YEAR, 9, 1))
    (first, *_rest) = enrol(p, p["sessions"], 8, municipality="Odense", on=dt.date(YEAR, 9, 1))
    for day, month in [(d, 4) for d in range(1, 9)] + [(d, 10) for d in range(1, 4)]:
        start = dt.datetime(YEAR, month, day, 10, tzinfo=CPH)
        first.sessions.create(staff=p["staff"], starts_at=start, ends_at=start + dt.timedelta(hours=1), attended=True)


def publish_half_year(p, half: int) -> HalfYearSummary:
    return services.summary_publish(p["coordinator"], summary=services.summary_compute(
        p["coordinator"], network=p["network"], year=YEAR, half=half))


def publish_first_half_year_before_the_year_ended(p, monkeypatch) -> HalfYearSummary:
    """H1 computed and published in August (the year page of YEAR could not be seen yet)."""
    with monkeypatch.context() as patched:
        patched.setattr(figures, "last_ended_year", lambda network: YEAR - 1)
        summary = publish_half_year(p, 1)
    HalfYearSummary.objects.filter(pk=summary.pk).update(computed_at=dt.datetime(YEAR, 8, 14, tzinfo=CPH),
                                                         published_at=dt.datetime(YEAR, 8, 15, tzinfo=CPH))
    return HalfYearSummary.objects.get(pk=summary.pk)


def year_page_tables(p) -> list[dict]:
    """The year page's (and the CSV's) figures in the tables' form."""
    tracks, residential = figures.track_figures(p["network"], YEAR), figures.residential_figures(p["network"], YEAR)
    return [
        {"key": "tracks", "rows": [{"key": str(t.offer.pk), "values": {
            "served": t.served, "completed": t.completed, "ended_early": t.ended_early, "active": t.active}} for t in tracks]},
        {"key": "tracks_by_municipality", "rows": [{"key": f"{t.offer.pk}:{name}", "values": {"served": v}}
                                                   for t in tracks for name, v in t.by_municipality]},
        {"key": "tracks_by_birth_site", "rows": [{"key": f"{t.offer.pk}:{name}", "values": {"served": v}}
                                                 for t in tracks for name, v in t.by_birth_site]},
        {"key": "residential", "rows": [{"key": str(r.offer.pk), "values": {
            "occupied": r.occupied, "waiting": r.waiting, "referred": r.referred_in_year}} for r in residential]},
    ]


def csv_tables(p, client) -> list[dict]:
    """The municipal report CSV read back as tables (families served per track and municipality)."""
    client.force_login(p["board"])
    response = client.get(reverse("offers:municipal_report_csv", args=[p["network"].slug, YEAR]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    ids = {track.name: str(track.pk) for track in (p["sessions"], p["course"])}

    def value(text):
        return int(text) if text.isdigit() else text

    tracks, municipalities = [], []
    for row in rows[1:]:
        if not row:
            break
        key = ids[row[0]]
        if row[1] == "all":
            tracks.append({"key": key, "values": {"served": value(row[2])}})
        else:
            municipalities.append({"key": f"{key}:{row[1]}", "values": {"served": value(row[2])}})
    return [{"key": "tracks", "rows": tracks}, {"key": "tracks_by_municipality", "rows": municipalities}]


def shown(document: dict[str, list[dict]]) -> dict:
    return {(period, t["key"], str(row["key"]), column): row["values"][column]
            for period, tables in document.items() for t in tables if t["key"] in COUNTED
            for row in t["rows"] for column in COUNTED[t["key"]] if row["values"].get(column) is not None}


def given_back(documents: list[dict[str, list[dict]]]):
    """The oracle: a cell hidden in any of the documents (each ``{period: tables}``; periods
    "H1", "H2", "year") that some combination of the identities between the periods' cells gives
    back exactly (``board.suppression._given_back``), or None. A row a document leaves out is a
    known zero; a column it does not show is unknown."""
    cells: dict = {}
    for document in documents:
        cells.update(shown(document))
    keys = {cell[1:] for cell in cells}
    periods = ("H1", "H2", "year")

    def cell(period, key):
        return (period, *key)

    relations = []
    tracks = {row for table, row, _ in keys if table == "tracks"}
    for period in periods:
        for track in tracks:
            served = cell(period, ("tracks", track, "served"))
            relations.append(suppression.group([cell(period, ("tracks", track, s)) for s in ("completed", "ended_early", "active")],
                                               served))
            for table in ("tracks_by_municipality", "tracks_by_birth_site"):
                rows = sorted({row for t, row, _ in keys if t == table and row.split(":")[0] == track})
                relations.append(suppression.group([cell(period, (table, row, "served")) for row in rows], served))
    for key in keys:
        table, _row, column = key
        if (table, column) in ADDITIVE:
            relations.append({cell("year", key): 1, cell("H1", key): -1, cell("H2", key): -1})
        elif table == "tracks" and column in ("completed", "ended_early", "active"):
            relations.append({cell("year", key): 1, cell("H2", key): -1, ("enrolled in H1", *key): -1})
        elif table == "residential" and column in ("occupied", "waiting"):
            relations.append({cell("year", key): 1, cell("H2", key): -1})

    def known_zero(c) -> bool:
        """A breakdown row that a document of the period showing that table leaves out."""
        return (c[0] in periods and c[1] != "tracks" and c not in cells
                and any(x[0] == c[0] and x[1] == c[1] for x in cells))

    relations = [{c: k for c, k in relation.items() if not known_zero(c)} for relation in relations]
    hidden = [c for c, v in cells.items() if suppression.is_hidden(v)]
    unknown = sorted({c for relation in relations for c in relation if c not in cells or suppression.is_hidden(cells[c])},
                     key=repr)
    found = suppression._given_back([dict(r) for r in relations if r], unknown, set(hidden))
    return None if found is None else found[0]


def municipality(tables: list[dict], name: str):
    rows = next(t for t in tables if t["key"] == "tracks_by_municipality")["rows"]
    return next((row["values"]["served"] for row in rows if row["key"].endswith(f":{name}")), 0)


def extras(summary) -> list[dict]:
    return summary.figures["extras"]


@pytest.mark.parametrize("first_half_year", ["published in August", "published after the year ended"])
def test_the_year_page_gives_back_no_cell_hidden_in_the_published_half_years(partnership, monkeypatch, first_half_year):
    p = partnership
    families(p)
    if first_half_year == "published in August":
        first = publish_first_half_year_before_the_year_ended(p, monkeypatch)
    else:
        first = publish_half_year(p, 1)
    before = year_page_tables(p)
    second = publish_half_year(p, 2)
    year = year_page_tables(p)
    assert year == before  # the year page stays as it was shown; the later summary yields to it
    h1, h2 = extras(first), extras(second)
    assert given_back([{"H1": h1}, {"H2": h2}, {"year": year}]) is None
    assert h2 and suppression.is_hidden(municipality(h2, "Vejle"))  # the 3 families
    for name in ("Vejle", "Odense"):  # year - H1 = H2 for every shown pair
        pair = (municipality(year, name), municipality(h1, name))
        assert not all(isinstance(v, int) for v in pair) or suppression.is_hidden(municipality(h2, name)) is False


def test_the_municipal_report_gives_back_no_cell_hidden_in_the_published_half_years(partnership, monkeypatch, client):
    p = partnership
    families(p)
    first = publish_first_half_year_before_the_year_ended(p, monkeypatch)
    second = publish_half_year(p, 2)
    report = csv_tables(p, client)
    h1, h2 = extras(first), extras(second)
    assert suppression.is_hidden(municipality(h2, "Vejle"))
    vejle = (municipality(report, "Vejle"), municipality(h1, "Vejle"))
    assert not (isinstance(vejle[0], int) and isinstance(vejle[1], int) and vejle[0] - vejle[1] == 3)
    assert given_back([{"H1": h1}, {"H2": h2}, {"year": report}]) is None


def test_the_yearly_report_gives_back_no_cell_hidden_in_the_published_half_years(partnership, monkeypatch):
    p = partnership
    families(p)
    first = publish_first_half_year_before_the_year_ended(p, monkeypatch)
    second = publish_half_year(p, 2)
    report = services.yearly_report_publish(p["coordinator"], report=services.yearly_report_compute(
        p["coordinator"], network=p["network"], year=YEAR))
    h1, h2, year = extras(first), extras(second), report.figures["extras"]
    sessions = [next(t for t in tables if t["key"] == "tracks")["rows"] for tables in (h1, h2, year)]
    sessions = [next(row["values"]["sessions_attended"] for row in rows if row["label"] == "To samtaler") for rows in sessions]
    assert given_back([{"H1": h1}, {"H2": h2}, {"year": year}, {"year": year_page_tables(p)}]) is None
    assert sessions[1] == "< 5" and not (isinstance(sessions[0], int) and isinstance(sessions[2], int))


def test_a_draft_computed_before_other_figures_of_its_year_were_shown_is_not_published(partnership, monkeypatch):
    """A draft is suppressed against what the board held when it was computed; once it holds
    more of that year (another report, or the year page once the year has ended), a new one."""
    p = partnership
    families(p)
    with monkeypatch.context() as patched:
        patched.setattr(figures, "last_ended_year", lambda network: YEAR - 1)
        early = services.summary_compute(p["coordinator"], network=p["network"], year=YEAR, half=1)
    HalfYearSummary.objects.filter(pk=early.pk).update(computed_at=dt.datetime(YEAR, 12, 20, tzinfo=CPH))
    with pytest.raises(ValidationError, match="Compute a new draft"):
        services.summary_publish(p["coordinator"], summary=HalfYearSummary.objects.get(pk=early.pk))
    second = services.summary_compute(p["coordinator"], network=p["network"], year=YEAR, half=2)
    report = services.yearly_report_compute(p["coordinator"], network=p["network"], year=YEAR)
    services.summary_publish(p["coordinator"], summary=second)
    with pytest.raises(ValidationError, match="Compute a new draft"):
        services.yearly_report_publish(p["coordinator"], report=report)
