"""Log records an operator can use, and that leak nothing.

* ``RedactFeedTokens`` keeps calendar feed tokens and poll-link tokens out of every message.
* ``RequestContext`` stamps each record with the id of the request being served.
* ``ChannelsOverCapacity`` raises channels-redis's "channels over capacity" to a warning.
* ``JsonFormatter`` writes one JSON object per line (``LOG_FORMAT=json``): time, level, logger,
  message, request id and the access fields (method, path, status, duration, user id).
"""

from __future__ import annotations

import datetime
import json
import logging

from permissions.requests import current_request_id, redact_path  # redact_path: also for error_reporting

# Fields the access log adds through ``extra=``; copied into JSON lines when present.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "user_id")


class RedactFeedTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        redacted = redact_path(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class RequestContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class ChannelsOverCapacity(logging.Filter):
    """channels-redis logs at INFO that a group message was NOT queued for some channels because
    their queue was full (``channel_capacity``): the sockets of a server process that far behind
    miss that message, which may be the one that narrowed what they may read. An operator must
    see that at the production level (``LOG_LEVEL`` WARNING or INFO): raised to WARNING, saying
    what it means. Its logger is set to INFO so the record reaches this filter; every other
    record of it passes only at the root logger's level, as before."""

    MESSAGE = "%s of %s channels over capacity in group %s"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == self.MESSAGE and record.levelno < logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = self.MESSAGE + ": the sockets of those server processes missed this message"
        return record.levelno >= logging.getLogger().getEffectiveLevel()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = redact_path(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)
