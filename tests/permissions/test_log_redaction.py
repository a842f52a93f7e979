"""Feed and poll-link tokens never reach the product's own logs, whichever logger writes."""
from __future__ import annotations

import io
import logging

import pytest

from permissions.logging import RedactFeedTokens

TOKEN = "A" * 43

LOGGERS = ["django.request", "django.server", "django.channels.server", "daphne.server", "conferences.views", ""]


def handlers_reached_by(name: str) -> list[logging.Handler]:
    logger, found = logging.getLogger(name), []
    while logger is not None:
        # pytest's own capture handlers are not the product's logs
        found.extend(h for h in logger.handlers if not type(h).__module__.startswith("_pytest"))
        if not logger.propagate:
            break
        logger = logger.parent
    return found


@pytest.mark.parametrize("name", LOGGERS)
def test_every_handler_a_logger_writes_to_redacts_tokens(name):
    handlers = handlers_reached_by(name)
    assert handlers, f"logger {name!r} reaches no handler"
    for handler in handlers:
        assert any(isinstance(f, RedactFeedTokens) for f in handler.filters), (name, handler)


def test_a_not_found_feed_path_is_logged_without_its_token():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFeedTokens())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("Not Found: %s", f"/feeds/{TOKEN}.ics")
        logger.warning("Not Found: %s", f"/p/{TOKEN}/")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert TOKEN not in output
    assert output.count("[redacted]") == 2
