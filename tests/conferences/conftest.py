from __future__ import annotations

import pytest

from conferences import services
from tests.conferences.helpers import convene


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Assertions read English msgids; pages and mails follow LANGUAGE_CODE (German by default).
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (e-mails, live events) a service queues, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def scheduled(world, committed):
    """A conference of the world's case whose date was picked from its poll (invitations sent)."""
    conference = convene(world)
    with committed():
        services.poll_pick(world.convenor, conference=conference, slot=conference.poll.slots.first())
    conference.refresh_from_db()
    return conference
