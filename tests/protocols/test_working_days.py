"""Working-day deadlines skip the public holidays of the network's country and state."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from participants.models import Network
from participants.working_days import add_working_days


def network(country: str = "DE", region: str = "") -> Network:
    return Network(name="N", slug="n", country=country, holiday_region=region)


def test_easter_does_not_shorten_a_correction_window_in_north_rhine_westphalia():
    # Thursday before Easter 2027: Good Friday and Easter Monday are holidays, so one working day later is Tuesday.
    assert add_working_days(dt.date(2027, 3, 25), 1, network=network("DE", "NW")) == dt.date(2027, 3, 30)
    assert add_working_days(dt.date(2027, 3, 25), 1) == dt.date(2027, 3, 26)  # without a network: weekends only


def test_a_state_holiday_counts_only_in_its_state():
    # 20 September is Children's Day in Thuringia, not in North Rhine-Westphalia (a Monday in 2027).
    assert add_working_days(dt.date(2027, 9, 17), 1, network=network("DE", "TH")) == dt.date(2027, 9, 21)
    assert add_working_days(dt.date(2027, 9, 17), 1, network=network("DE", "NW")) == dt.date(2027, 9, 20)


def test_danish_christmas_days_are_not_working_days():
    # 24 December 2026 is a Thursday; 25 and 26 December are public holidays in Denmark, the 26th a Saturday.
    assert add_working_days(dt.date(2026, 12, 24), 1, network=network("DK")) == dt.date(2026, 12, 28)


def test_a_network_refuses_a_region_its_country_does_not_have():
    with pytest.raises(ValidationError) as exc:
        Network(name="N", slug="n", country="DE", holiday_region="XX", time_zone="Europe/Berlin").clean()
    assert "holiday_region" in exc.value.message_dict
