"""Django's ``EMAIL_BACKEND``: every e-mail the service sends (``send_mail``, ``EmailMessage.send``,
allauth's password reset and address confirmation, the admin's letters) becomes a pending outbox
row instead of talking to the mail server.

The row is written in the caller's transaction, so a rolled-back change sends nothing, and it is
handed to the worker after commit; ``services.mail_deliver`` then sends it through the real
transport (``OUTBOX_TRANSPORT_BACKEND``) with retries and back-off, exactly once. A mail server that
is down therefore loses no message: it waits as ``pending`` and goes out once the server is back.

``fail_silently`` covers problems with the message itself (as Django's backends do); a database
error is always raised — the caller's transaction is broken by then anyway, and saying nothing
would be a lost e-mail.
"""
from __future__ import annotations

import logging
import uuid

from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError

from .models import Kind

logger = logging.getLogger("fallkonferenz.outbox")


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from .services import mail_queue

        queued = 0
        for message in email_messages:
            try:
                # One row per message: the key is random (every send is a new message), the stored
                # bytes carry the Message-ID that every attempt repeats.
                if mail_queue(message, key=f"mail:{uuid.uuid4().hex}", kind=Kind.MAIL) is not None:
                    queued += 1
            except DatabaseError:
                raise
            except Exception:
                if not self.fail_silently:
                    raise
                logger.exception("outbox: a message could not be queued")
        return queued
