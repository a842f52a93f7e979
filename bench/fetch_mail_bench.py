"""``manage.py fetch_mail`` reading calendar answers from a real IMAP mailbox (Debian's dovecot,
started here on a free local port): messages per second and SQL statements per reply, with 200
and then 2,000 invitations in the database (the statements per reply must not grow).

Each round appends Outlook-, Gmail- and Apple-shaped REPLY messages (tests/conferences/mail) to
the INBOX — one per invitation, answering the REQUEST the service built for it — and times one
``fetch_mail`` run that records them all and moves them to the done folder.

Run: ``.venv/bin/python bench/fetch_mail_bench.py [--replies N]`` (throwaway SQLite file under
/tmp; needs dovecot: ``apt-get install dovecot-imapd``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = Path("/tmp/fallkonferenz-bench-fetch-mail.sqlite3")
sys.path.insert(0, str(ROOT))
os.environ.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{DB_FILE}", "DJANGO_SETTINGS_MODULE": "config.settings",
                   "MFA_REQUIRED_FOR_PROFESSIONALS": "false", "LOG_LEVEL": "WARNING", "EMAIL_URL": "locmem:"})
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from conferences import imip  # noqa: E402
from conferences.models import CalendarReply, Conference, Invitation  # noqa: E402
from tests import imap_server  # noqa: E402
from tests.conferences.mailfixtures import CLIENTS, answer_to  # noqa: E402
from tests.world import build_world  # noqa: E402


def add_invitations(world, total: int) -> list[Invitation]:
    """Scheduled conferences of the world's case until the counsellor holds ``total`` invitations."""
    have = Invitation.objects.filter(user=world.counsellor).count()
    start = timezone.now() + dt.timedelta(days=30)
    conferences = Conference.objects.bulk_create([
        Conference(case=world.case, convenor=world.convenor, status=Conference.Status.SCHEDULED,
                   starts_at=start + dt.timedelta(hours=i), ends_at=start + dt.timedelta(hours=i, minutes=90))
        for i in range(total - have)
    ])
    Invitation.objects.bulk_create([Invitation(conference=c, user=world.counsellor, organisation=world.counselling)
                                    for c in conferences])
    return list(Invitation.objects.filter(user=world.counsellor, rsvp=Invitation.Rsvp.NEEDS_ACTION)
                .select_related("conference__case__network", "conference__convenor", "user", "organisation"))


def replies(invitations: list[Invitation], count: int) -> list[bytes]:
    found = []
    for n, invitation in enumerate(invitations[:count]):
        request = imip.build_message(invitation.conference, invitation, method=imip.REQUEST)
        found.append(answer_to(request, client=CLIENTS[n % len(CLIENTS)], partstat=("ACCEPTED", "DECLINED", "TENTATIVE")[n % 3]))
    return found


def run_round(world, server, *, invitations_total: int, count: int) -> tuple[float, float, int]:
    invitations = add_invitations(world, invitations_total)
    messages = replies(invitations, count)
    server.append(*messages)
    before = CalendarReply.objects.filter(outcome=CalendarReply.Outcome.APPLIED).count()
    out = io.StringIO()
    statements = []

    def counted(execute, sql, params, many, context):
        statements.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        started = time.perf_counter()
        call_command("fetch_mail", stdout=out)
        elapsed = time.perf_counter() - started
    applied = CalendarReply.objects.filter(outcome=CalendarReply.Outcome.APPLIED).count() - before
    assert applied == count, (applied, out.getvalue())
    assert server.count("INBOX") == 0
    return count / elapsed, len(statements) / count, applied


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=1000)
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    world = build_world()
    try:
        server = imap_server.start()
    except RuntimeError as exc:
        sys.exit(f"no IMAP server: {exc}")
    settings.IMAP_URL = server.url()
    try:
        print(f"{'invitations':>11} | {'replies':>7} | {'messages/s':>10} | {'SQL/reply':>9}")
        small = max(args.replies // 5, 10)
        rows = [(200, small), (2000, args.replies)]
        per_reply = []
        for total, count in rows:
            rate, sql, applied = run_round(world, server, invitations_total=max(total, count + 10), count=count)
            per_reply.append(sql)
            print(f"{max(total, count + 10):>11} | {applied:>7} | {rate:>10.1f} | {sql:>9.2f}")
    finally:
        server.stop()
    print("SQL per reply constant in the number of invitations" if max(per_reply) - min(per_reply) < 0.5
          else "SQL PER REPLY GROWS WITH INVITATIONS")


if __name__ == "__main__":
    main()
