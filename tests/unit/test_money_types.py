from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from subsidy.db import Money, UTCDateTime, quantize_money


class _Dialect:
    def __init__(self, name):
        self.name = name


def test_money_refuses_float():
    with pytest.raises(TypeError):
        Money().process_bind_param(1.5, _Dialect("sqlite"))


def test_money_rounds_half_up_to_the_tiyn():
    assert quantize_money(Decimal("2.345")) == Decimal("2.35")
    assert Money().process_result_value("10", _Dialect("sqlite")) == Decimal("10.00")


def test_timestamps_are_stored_in_utc_and_naive_values_refused():
    almaty = timezone(timedelta(hours=5))
    stored = UTCDateTime().process_bind_param(
        datetime(2026, 1, 1, 10, tzinfo=almaty), _Dialect("sqlite")
    )
    assert stored == datetime(2026, 1, 1, 5)
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), _Dialect("sqlite"))
