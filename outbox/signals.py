"""Sent after commit when a message failed for good (``sender``: the OutboxMessage class,
``message``: the row). Upper apps subscribe to tell a person; the outbox knows no one."""
from django.dispatch import Signal

mail_failed = Signal()
