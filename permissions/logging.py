"""Keep calendar feed tokens and poll-link tokens out of the product's own logs."""

from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/(?:feeds|poll-link|p)/)[A-Za-z0-9_\-]{16,}")


class RedactFeedTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        redacted = TOKEN_IN_PATH.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
