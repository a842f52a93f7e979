"""Closed cases lose their content after CASE_RETENTION_YEARS; figures and summaries stay."""
from __future__ import annotations

import pytest
from django.core.management import call_command

from calendars.models import FeedToken
from cases import services as case_services
from cases.models import Case, FamilyMember
from conferences.models import Conference, PollLink
from participants.models import User
from permissions import audit
from permissions.models import AuditEvent, CaseErasure
from operations import retention
from operations.retention import ERASED, retention_apply
from board.figures import Period, compute_figures, period_containing, raw_figures
from protocols.models import AgreedAction, ProtocolItem
from board.models import HalfYearSummary
from tests.retention.conftest import occurrences, snapshot

pytestmark = pytest.mark.django_db


def test_a_case_closed_eleven_years_ago_leaves_no_name_or_text_anywhere_in_the_database(old_case):
    missing_before = [secret for secret in old_case.secrets if not occurrences(secret)]
    assert missing_before == [], "the scan must find every text before the erasure"

    report = retention_apply()

    assert report.erased_cases == [old_case.case.reference]
    assert occurrences("Alt11") == []
    for secret in old_case.secrets:
        assert occurrences(secret) == [], secret


def test_erasure_keeps_rows_dates_kinds_and_statuses(old_case):
    case = old_case.case
    before = list(AgreedAction.objects.filter(case=case).order_by("pk").values("status", "due_on", "completed_on", "created_at", "updated_at"))
    conference_before = Conference.objects.filter(case=case).values("status", "starts_at", "updated_at", "reschedule_count").get()

    retention_apply()

    case.refresh_from_db()
    assert case.reference == "KT-2015-001" and case.status == Case.Status.CLOSED
    assert list(AgreedAction.objects.filter(case=case).order_by("pk").values("status", "due_on", "completed_on", "created_at", "updated_at")) == before
    assert Conference.objects.filter(case=case).values("status", "starts_at", "updated_at", "reschedule_count").get() == conference_before
    item = ProtocolItem.objects.get(protocol__conference__case=case)
    assert (item.title, item.text) == (ERASED, ERASED)
    mother = FamilyMember.objects.get(case=case, relation=FamilyMember.Relation.MOTHER)
    assert (mother.display_name, mother.email, mother.user_id, mother.birth_year) == (ERASED, "", None, None)
    assert Conference.objects.get(case=case).video_link == ""


def test_the_former_parents_account_is_anonymised_and_disabled(old_case):
    retention_apply()

    parent = User.objects.get(pk=old_case.parent_id)
    assert parent.username == f"erased-{parent.pk}"
    assert not parent.is_active and not parent.has_usable_password()
    assert (parent.first_name, parent.last_name, parent.email) == ("", "", "")


def test_the_feed_tokens_and_poll_links_of_an_erased_case_are_deleted(old_case):
    retention_apply()

    assert not FeedToken.objects.filter(case=old_case.case).exists()
    assert not PollLink.objects.filter(invitation__conference__case=old_case.case).exists()


def test_each_erased_case_gets_one_audit_event_and_the_trail_verifies(old_case):
    retention_apply()

    events = AuditEvent.objects.filter(action="retention.erase")
    assert [(e.case_id, e.channel) for e in events] == [(old_case.case.pk, "command")]
    assert audit.verify_all() == []


def test_a_case_closed_nine_years_ago_and_an_open_case_are_untouched(world, old_case, recent_case):
    before = snapshot()
    retention_apply()
    after = snapshot()

    assert occurrences("Neu9")
    assert all(occurrences(secret) for secret in recent_case.secrets if "@" not in secret)
    world.item_everyone.refresh_from_db()
    world.mother.refresh_from_db()
    assert world.item_everyone.text == "Alle Beteiligten sehen diesen Punkt." and world.mother.display_name == "M."
    assert not CaseErasure.objects.filter(case__in=[recent_case.case, world.case]).exists()
    # Only the old case's rows changed: the recent case's protocol item rows are identical.
    recent_items = {str(pk) for pk in ProtocolItem.objects.filter(protocol__conference__case=recent_case.case).values_list("pk", flat=True)}
    table = ProtocolItem._meta.db_table
    assert [r for r in before[table] if r[0] in recent_items] == [r for r in after[table] if r[0] in recent_items]


def test_the_half_year_figures_of_an_old_period_stay_the_same(world, old_case):
    period = period_containing(old_case.conference_day)
    raw_before = raw_figures(world.network, period)
    shown_before = compute_figures(world.network, period.year, period.half)
    assert raw_before["conferences"]["held"] == 1, "the old case must count in its period"

    retention_apply()

    assert raw_figures(world.network, period) == raw_before
    assert compute_figures(world.network, period.year, period.half) == shown_before
    closing = period_containing(old_case.case.closed_on)
    assert raw_figures(world.network, Period(closing.year, closing.half))["cases"]["closed"] == 1


def test_a_published_summary_is_unchanged(world, old_case):
    period = period_containing(old_case.conference_day)
    summary = HalfYearSummary.objects.create(
        network=world.network, year=period.year, half=period.half, status=HalfYearSummary.Status.PUBLISHED,
        figures=compute_figures(world.network, period.year, period.half), definitions_version="2026.1",
    )
    row = HalfYearSummary.objects.filter(pk=summary.pk).values().get()

    retention_apply()

    assert HalfYearSummary.objects.filter(pk=summary.pk).values().get() == row


def test_a_second_run_changes_nothing(old_case):
    retention_apply()
    before = snapshot()

    report = retention_apply()

    assert report.erased_cases == [] and report.audit_events_deleted == 0
    assert snapshot() == before


def test_a_dry_run_reports_the_erasure_and_changes_nothing(old_case):
    before = snapshot()

    report = retention_apply(dry_run=True)

    assert report.dry_run and report.erased_cases == [old_case.case.reference]
    assert report.erased_rows["protocol items"] == 1
    assert snapshot() == before


def test_the_command_prints_the_report_and_its_dry_run_changes_nothing(old_case, capsys):
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "DRY RUN" in out and old_case.case.reference in out
    assert not CaseErasure.objects.exists()

    call_command("apply_retention")
    assert "1 erased" in capsys.readouterr().out
    assert CaseErasure.objects.filter(case=old_case.case).exists()


def test_erasure_can_be_switched_off(old_case, settings):
    settings.CASE_RETENTION_YEARS = 0

    report = retention_apply()

    assert report.case_cutoff is None and report.erased_cases == []
    assert occurrences("Alt11")


def test_the_scheduled_task_applies_retention_from_the_worker(old_case):
    from operations import tasks

    result = tasks.apply_retention.call()

    assert result["erased_cases"] == [old_case.case.reference]
    assert AuditEvent.objects.filter(action="retention.erase").get().channel == "task"


def test_a_run_queued_under_the_former_task_name_still_runs(old_case):
    """Queued as ``permissions.tasks.apply_retention`` before the rules moved to operations (issue
    14): the worker resolves the old path and gets the same run and the same result."""
    from django.utils.module_loading import import_string

    old_name = import_string("permissions.tasks.apply_retention")
    assert old_name.module_path == "permissions.tasks.apply_retention"

    result = old_name.call(dry_run=True)
    assert result["erased_cases"] == [old_case.case.reference] and occurrences("Alt11")

    result = old_name.call()
    assert result["erased_cases"] == [old_case.case.reference]
    assert AuditEvent.objects.filter(action="retention.erase").get().channel == "task"


def test_a_case_reopened_after_the_daily_run_found_it_due_keeps_its_content(world, old_case, monkeypatch):
    """The run reads the due cases first and erases them one by one, minutes apart behind a long
    backlog. A caseworker who reopens a case meanwhile (the family needs help again) must find its
    protocols whole: the erasure decides again under the case's lock."""
    real_erase = retention.erase_case

    def reopened_first(case, **kwargs):  # the caseworker's reopening commits before the erasure locks
        case_services.case_reopen(world.convenor, case=Case.objects.get(pk=case.pk), reason="Neue Meldung")
        return real_erase(case, **kwargs)  # (the test's savepoint then rolls the reopening back too)

    monkeypatch.setattr(retention, "erase_case", reopened_first)
    report = retention_apply()

    assert report.erased_cases == []
    assert not CaseErasure.objects.filter(case=old_case.case).exists()
    for secret in old_case.secrets:
        assert occurrences(secret), secret
