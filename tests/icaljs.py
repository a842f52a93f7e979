"""Reading our calendar output with ical.js, the parser of Thunderbird and Nextcloud.

``tests/icaljs_read.mjs`` runs under Node.js with the vendored ical.js (``tests/vendor/icaljs``,
no npm at test time). One node process serves a whole test module (the ``icaljs`` fixture):
each ``read`` sends one .ics as a line of base64 and gets back what ical.js read — per component
uid, texts, start/end as UTC instants (through the object's own VTIMEZONEs, registered with
``ICAL.TimezoneService`` as Thunderbird does) or dates, status, sequence, organizer and
attendees, alarms, recurrence — and every problem it met. A module uses it with
``from tests.icaljs import icaljs  # noqa: F401`` (a fixture).
"""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

# Text that calendar parsers get wrong: umlauts, ß, æøå, emoji (4 octets), the TEXT specials
# (comma, semicolon, backslash), and, at 200 characters, lines folded in the middle of runs of
# multi-byte characters.
PLACE = "Mødrehjælpen, Ærøskøbing; Hofgebäude \\ 2. Stock, Straße 5 🏠 " + "æøåßü🙂Ø" * 20
NAME = "Kreis Düren – Ærø, Süd; Nord \\ Øst 🎉"
LANGUAGES = "Arabisch, Türkisch; Dansk 🙂"

SCRIPT = Path(__file__).with_name("icaljs_read.mjs")
NODE = shutil.which("node")
UTC = dt.timezone.utc


class IcalJs:
    def __init__(self, node: str):
        self.process = subprocess.Popen([node, str(SCRIPT), "--lines"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)

    def read(self, ics: bytes | str) -> dict:
        """What ical.js reads from one calendar object; fails the test on any problem it met."""
        reading = self.read_leniently(ics)
        assert reading["problems"] == [], reading["problems"]
        return reading

    def read_leniently(self, ics: bytes | str) -> dict:
        if isinstance(ics, str):
            ics = ics.encode("utf-8")
        self.process.stdin.write(base64.b64encode(ics).decode("ascii") + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"ical.js reader ended: {self.process.stderr.read()}")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def icaljs():
    if NODE is None:
        pytest.skip("node (Node.js) is not installed: the ical.js tests (Thunderbird's and Nextcloud's parser) need it")
    reader = IcalJs(NODE)
    yield reader
    reader.close()


def next_dst_sunday(zone) -> dt.date:
    """The next day (from the day after tomorrow) on which the clocks of ``zone`` change."""
    day_ = timezone.localdate() + dt.timedelta(days=2)
    while dt.datetime(day_.year, day_.month, day_.day, tzinfo=zone).utcoffset() == \
            dt.datetime(day_.year, day_.month, day_.day, 12, tzinfo=zone).utcoffset():
        day_ += dt.timedelta(days=1)
    return day_


def instant(value: dict | None) -> dt.datetime:
    """A time ical.js read, as an aware UTC datetime (fails on a date or a floating time)."""
    assert value is not None and "utc" in value, value
    return dt.datetime.strptime(value["utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def day(value: dict | None) -> dt.date:
    """A DATE ical.js read (fails on a date-time)."""
    assert value is not None and set(value) == {"date"}, value
    return dt.date.fromisoformat(value["date"])


def component(reading: dict, uid: str) -> dict:
    found = [c for c in reading["components"] if c["uid"] == uid]
    assert len(found) == 1, (uid, [c["uid"] for c in reading["components"]])
    return found[0]


def calendar_part(message) -> tuple[bytes, str]:
    """The text/calendar part of an outgoing e-mail as a mail client gets it (the message as
    sent, parsed again, the part's transfer encoding undone), and its ``method`` parameter."""
    sent = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    parts = [part for part in sent.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [part.get_content_type() for part in sent.walk()]
    assert parts[0].get_content_charset() == "utf-8"
    return parts[0].get_payload(decode=True), parts[0].get_param("method")
