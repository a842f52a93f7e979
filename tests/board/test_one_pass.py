"""The summary's action counts for both half years come from one pass over the actions
(``action_counts``, issue 13). These tests hold the one-pass counts against the former
per-half-year computation (kept below, verbatim in its logic, as the reference) on a varied,
seeded network, and pin the summary's SQL count so that it cannot grow with the rows.
"""
from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext

from cases.models import Case, FamilyMember
from conferences.models import Conference
from participants.models import Network, Organisation, OrganisationKind, User
from board.figures import ACTION_MEASURES, Period, _action_group, action_counts, compute_figures, raw_figures
from protocols.models import ActionNote, AgreedAction, Protocol, ProtocolItem

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
Status = AgreedAction.Status


def per_period_reference(network, period: Period, tz) -> dict[str, dict[str, int]]:
    """The computation before issue 13: one grouped query per half year, the history read
    through three correlated EXISTS tests per action."""
    start_dt, end_dt = period.bounds(tz)
    notes = ActionNote.objects.filter(action=OuterRef("pk")).order_by()
    later_before_end = ActionNote.objects.filter(action=OuterRef("action"), created_at__lt=end_dt).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")))
    closed_by_history = notes.filter(created_at__lt=end_dt, status__in=[Status.DONE, Status.DROPPED]).filter(
        ~Exists(later_before_end))
    actions = AgreedAction.objects.filter(case__network=network).order_by().annotate(
        _group=_action_group(),
        _has_history=Exists(notes),
        _closed_at_end=Exists(closed_by_history),
        _dropped_in_period=Exists(notes.filter(status=Status.DROPPED, created_at__gte=start_dt, created_at__lt=end_dt)),
    )
    created_before_end = Q(created_at__lt=end_dt)
    due_by_end = Q(due_on__lte=period.end)
    done_by_end = Q(status=Status.DONE, completed_on__lte=period.end)
    dropped_by_end = Q(status=Status.DROPPED, updated_at__lt=end_dt)
    fallback_open = created_before_end & ~(done_by_end | dropped_by_end)
    rows = actions.values("_group", "_has_history", "_closed_at_end", "_dropped_in_period").annotate(
        n=Count("pk"),
        agreed=Count("pk", filter=Q(created_at__gte=start_dt, created_at__lt=end_dt)),
        done=Count("pk", filter=Q(status=Status.DONE, completed_on__gte=period.start, completed_on__lte=period.end)),
        created_before_end=Count("pk", filter=created_before_end),
        due_before_end=Count("pk", filter=created_before_end & due_by_end),
        fallback_dropped=Count("pk", filter=Q(status=Status.DROPPED, updated_at__gte=start_dt, updated_at__lt=end_dt)),
        fallback_open=Count("pk", filter=fallback_open),
        fallback_overdue=Count("pk", filter=fallback_open & due_by_end),
    )
    by_group: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = by_group.setdefault(row["_group"], {measure: 0 for measure in ACTION_MEASURES})
        counts["agreed"] += row["agreed"]
        counts["done"] += row["done"]
        if not row["_has_history"]:
            counts["dropped"] += row["fallback_dropped"]
            counts["open"] += row["fallback_open"]
            counts["overdue"] += row["fallback_overdue"]
            continue
        if row["_dropped_in_period"]:
            counts["dropped"] += row["n"]
        if not row["_closed_at_end"]:
            counts["open"] += row["created_before_end"]
            counts["overdue"] += row["due_before_end"]
    return by_group


def build(name: str, cases: int, seed: int) -> Network:
    """A network with actions around the half-year boundaries of 2025: every responsible group
    (each organisation kind, a parent), every status, actions with and without notes,
    notes after the period, several notes at the same instant (order by pk), reopened actions,
    instants on the boundaries in Berlin time (midnight, DST changes)."""
    rnd = random.Random(seed)
    network = Network.objects.create(name=name, slug=name.lower(), case_reference_prefix=name[:2].upper())
    orgs = [Organisation.objects.create(network=network, name=f"{name} {kind.value}", kind=kind) for kind in OrganisationKind]
    user = User.objects.create(username=f"{name}-caseworker")
    boundaries = [dt.datetime(2024, 7, 1, tzinfo=BERLIN), dt.datetime(2025, 1, 1, tzinfo=BERLIN),
                  dt.datetime(2025, 7, 1, tzinfo=BERLIN), dt.datetime(2026, 1, 1, tzinfo=BERLIN)]

    def instant():
        if rnd.random() < 0.3:  # on a boundary, or just before it
            return rnd.choice(boundaries) - rnd.choice([dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta(hours=1)])
        return dt.datetime(2024, 6, 1, tzinfo=BERLIN) + dt.timedelta(minutes=rnd.randrange(0, 60 * 24 * 650))

    for c in range(cases):
        case = Case.objects.create(network=network, reference=f"{name[:2].upper()}-2025-{c:03d}", lead_organisation=orgs[0],
                                   lead_caseworker=user, opened_on=dt.date(2024, 6, 1))
        mother = FamilyMember.objects.create(case=case, relation="mother", display_name="M")
        conference = Conference.objects.create(case=case, convenor=user, status=Conference.Status.HELD,
                                               starts_at=dt.datetime(2024, 6, 5, 10, tzinfo=BERLIN),
                                               ends_at=dt.datetime(2024, 6, 5, 11, tzinfo=BERLIN))
        item = ProtocolItem.objects.create(protocol=Protocol.objects.create(conference=conference), title="V", created_by=user)
        for _ in range(12):
            created = instant()
            status = rnd.choice(list(Status))
            responsible = rnd.random()
            completed = (created + dt.timedelta(days=rnd.randrange(0, 200))).date() if status == Status.DONE else None
            action = AgreedAction.objects.create(
                case=case, item=item, title="A", created_at=created, status=status, completed_on=completed,
                due_on=(created + dt.timedelta(days=rnd.randrange(-10, 120))).date(),
                responsible_family_member=mother if responsible < 0.2 else None,
                responsible_organisation=None if responsible < 0.2 else rnd.choice(orgs),
            )
            AgreedAction.objects.filter(pk=action.pk).update(updated_at=max(created, instant()))
            when = created
            for _ in range(rnd.choice([0, 0, 1, 2, 3, 4])):
                if rnd.random() < 0.7:  # otherwise at the same instant as the note before
                    when = max(when, instant()) if rnd.random() < 0.5 else when + dt.timedelta(days=rnd.randrange(1, 90))
                ActionNote.objects.create(action=action, author=user, status=rnd.choice(list(Status)), created_at=when)
    return network


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_both_half_years_in_one_pass_equal_the_former_per_half_year_computation(seed):
    network = build("Varied", cases=6, seed=seed)
    build("Other", cases=2, seed=seed + 100)  # another network's actions and notes must not count
    periods = [Period(2025, 2), Period(2025, 1), Period(2024, 2)]
    one_pass = action_counts(network, periods, BERLIN)
    for period in periods:
        expected = per_period_reference(network, period, BERLIN)
        assert one_pass[period] == expected, period
    # the data is varied enough to exercise every measure in the half year under test
    totals = {m: sum(g[m] for g in one_pass[Period(2025, 2)].values()) for m in ACTION_MEASURES}
    assert all(totals.values()), totals
    assert "parents" in one_pass[Period(2025, 2)]
    # and the figures of a period alone are the same as computed beside the previous one
    assert raw_figures(network, Period(2025, 2))["actions"]["by_group"] == one_pass[Period(2025, 2)]


def test_the_summary_runs_the_same_number_of_queries_for_few_and_many_rows():
    small = build("Small", cases=1, seed=7)
    large = build("Large", cases=8, seed=8)
    assert AgreedAction.objects.filter(case__network=large).count() == 8 * AgreedAction.objects.filter(case__network=small).count()
    with CaptureQueriesContext(connection) as few:
        compute_figures(small, 2025, 2)
    with CaptureQueriesContext(connection) as many:
        compute_figures(large, 2025, 2)
    assert len(few.captured_queries) == len(many.captured_queries)
    if connection.vendor == "postgresql":
        # the actions of both half years come from the board's tally: no statement reads a note
        assert not [q["sql"] for q in many.captured_queries if "protocols_actionnote" in q["sql"]]
    else:
        # the actions of both half years are counted by one statement reading the notes once
        action_queries = [q["sql"] for q in many.captured_queries if "LEAD(" in q["sql"]]
        assert len(action_queries) == 1
