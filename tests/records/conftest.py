import pytest


@pytest.fixture(autouse=True)
def _own_anchor_dir(settings, tmp_path):
    """The record names whether audit anchors exist: each test gets an empty anchor folder of its own."""
    settings.AUDIT_ANCHOR_DIR = tmp_path / "anchors"
