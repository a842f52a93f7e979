from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Assertions read English msgids; pages and mails follow LANGUAGE_CODE (German by default).
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (e-mails, live events) a service queues, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
