"""The quarantine directory holds raw messages about families: only the service's user may enter
it, also when it existed before with a wider mode (made by hand, by a deploy script, or by an
older version that created it as a parent of ``retry/``)."""
from __future__ import annotations

import datetime as dt
import logging
import os
import stat

import pytest

from conferences import mail_quarantine

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_directory_open_to_others_is_tightened(tmp_path, caplog):
    directory = tmp_path / "mail-quarantine"
    directory.mkdir()
    directory.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="conferences.mail_quarantine"):
        path = mail_quarantine.store(directory, b"Message-ID: <a@b>\r\n\r\nx", digest="a" * 64, now=NOW)
    assert mode(directory) == 0o700 and mode(path) == 0o600
    assert any("was open to others (mode 755); set to 0700" in r.getMessage() for r in caplog.records)


def test_a_retry_marker_leaves_the_quarantine_directory_and_its_retry_folder_private(tmp_path):
    directory = tmp_path / "mail-quarantine"
    mail_quarantine.retry_mark(directory, "c" * 64)  # the first thing ever written there
    assert mode(directory) == 0o700 and mode(directory / "retry") == 0o700


def test_an_open_retry_folder_is_tightened_too(tmp_path):
    directory = tmp_path / "mail-quarantine"
    (directory / "retry").mkdir(parents=True)
    directory.chmod(0o750)
    (directory / "retry").chmod(0o777)
    mail_quarantine.retry_mark(directory, "c" * 64)
    assert mode(directory) == 0o700 and mode(directory / "retry") == 0o700


def test_an_open_directory_of_another_user_is_refused_and_nothing_is_written(tmp_path, monkeypatch, caplog):
    directory = tmp_path / "mail-quarantine"
    directory.mkdir()
    directory.chmod(0o755)
    someone_else = os.geteuid() + 1
    monkeypatch.setattr(mail_quarantine.os, "geteuid", lambda: someone_else)
    with caplog.at_level(logging.ERROR, logger="conferences.mail_quarantine"), pytest.raises(PermissionError):
        mail_quarantine.store(directory, b"Message-ID: <a@b>\r\n\r\nx", digest="a" * 64, now=NOW)
    assert list(directory.iterdir()) == [] and mode(directory) == 0o755
    assert any("refused" in r.getMessage() for r in caplog.records)


def test_a_private_directory_of_another_user_is_refused_too(tmp_path, monkeypatch):
    """Its owner could list, rename or delete the raw messages this service keeps there (review r1)."""
    directory = tmp_path / "mail-quarantine"
    directory.mkdir(mode=0o700)
    someone_else = os.geteuid() + 1
    monkeypatch.setattr(mail_quarantine.os, "geteuid", lambda: someone_else)
    with pytest.raises(PermissionError):
        mail_quarantine.store(directory, b"Message-ID: <a@b>\r\n\r\nx", digest="a" * 64, now=NOW)
    assert list(directory.iterdir()) == []


def test_a_symbolic_link_in_place_of_the_directory_is_refused_and_its_target_left_alone(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o755)
    directory = tmp_path / "mail-quarantine"
    directory.symlink_to(target, target_is_directory=True)
    with pytest.raises(PermissionError):
        mail_quarantine.store(directory, b"Message-ID: <a@b>\r\n\r\nx", digest="a" * 64, now=NOW)
    assert list(target.iterdir()) == [] and mode(target) == 0o755


def test_a_retry_marker_that_cannot_be_looked_for_counts_as_none(tmp_path, monkeypatch, caplog):
    directory = tmp_path / "mail-quarantine"
    real_exists = mail_quarantine.Path.exists

    def exists(self, *args, **kwargs):
        if str(self).startswith(str(directory)):
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self, *args, **kwargs)

    monkeypatch.setattr(mail_quarantine.Path, "exists", exists)
    with caplog.at_level(logging.ERROR, logger="conferences.mail_quarantine"):
        assert mail_quarantine.retried_before(directory, "c" * 64) is False
    assert any("retry marker" in r.getMessage() for r in caplog.records)
