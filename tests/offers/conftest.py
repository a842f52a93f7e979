import pytest

from tests.offers.offer_world import build_offer_world


@pytest.fixture
def offers(world):
    return build_offer_world(world)
