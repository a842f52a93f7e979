"""A queued message as Django's mail backends expect it, rebuilt from the stored MIME bytes.

Every attempt sends the bytes made when the message was queued (same Date and Message-ID), so a
recipient's mail system sees one message however often the server was unreachable.
"""
from __future__ import annotations

import email
from email.header import decode_header, make_header
from email.message import Message

from django.core.mail import EmailMessage
from django.core.mail.message import MIMEMixin


class _StoredMIME(MIMEMixin, Message):
    """A parsed message that serialises like Django's own (``as_bytes(linesep=...)``)."""


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    return payload.decode(part.get_content_charset() or "utf-8", "replace")


class StoredMessage(EmailMessage):
    def __init__(self, raw: bytes, *, from_email: str, recipients: list[str]):
        self._parsed = email.message_from_bytes(raw, _class=_StoredMIME)
        subject = str(make_header(decode_header(self._parsed.get("Subject", ""))))
        texts = [part for part in self._parsed.walk() if part.get_content_maintype() == "text"]
        body = _text(texts[0]) if texts else ""
        super().__init__(subject=subject, body=body, from_email=from_email, to=list(recipients))
        # What the message shows besides its plain text (HTML, text/calendar), as on
        # EmailMultiAlternatives.
        self.alternatives = [(_text(part), part.get_content_type()) for part in texts[1:]]

    def message(self, *, policy=None):
        return self._parsed

    def recipients(self) -> list[str]:
        return list(self.to)


def serialise(message: EmailMessage) -> bytes:
    return message.message().as_bytes(linesep="\r\n")
