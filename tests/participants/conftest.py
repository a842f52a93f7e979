"""Pages are German by default; these tests read English msgids, so they ask for English."""
import pytest


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
