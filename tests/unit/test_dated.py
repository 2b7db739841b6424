from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidy.eligibility.params import DefinitionError, parse_money, parse_positive_int
from subsidy.programs.dated import DatedValue, parse_dated

JULY = date(2026, 7, 1)


def test_a_single_value_is_in_force_on_every_day() -> None:
    rate = parse_dated("45", parse_money, "rate")
    assert rate.value_on(date(1990, 1, 1)) == Decimal("45.00")
    assert rate.value_on(date(2099, 12, 31)) == Decimal("45.00")
    assert rate.changes == [(None, Decimal("45.00"))]
    assert rate.is_single
    assert rate.to_json() == "45.00"


def test_the_latest_start_on_or_before_the_day_is_in_force() -> None:
    rate = parse_dated({date(2026, 1, 1): "45.00", JULY: "50.00"}, parse_money, "rate")
    assert rate.value_on(date(2025, 12, 31)) is None
    assert rate.value_on(date(2026, 1, 1)) == Decimal("45.00")
    assert rate.value_on(JULY - timedelta(days=1)) == Decimal("45.00")
    assert rate.value_on(JULY) == Decimal("50.00")
    assert rate.value_on(date(2030, 1, 1)) == Decimal("50.00")


def test_start_dates_may_be_iso_strings_in_any_order() -> None:
    rate = parse_dated({"2026-07-01": "50", date(2026, 1, 1): "45"}, parse_money, "rate")
    assert rate.changes == [(date(2026, 1, 1), Decimal("45.00")), (JULY, Decimal("50.00"))]
    assert rate.first_start == date(2026, 1, 1)


def test_to_json_keys_dates_in_iso_and_writes_decimals_as_strings() -> None:
    rate = parse_dated({JULY: 50, date(2026, 1, 1): "45.5"}, parse_money, "rate")
    assert rate.to_json() == {"2026-01-01": "45.50", "2026-07-01": "50.00"}
    heads = parse_dated({date(2026, 1, 1): 50}, parse_positive_int, "min")
    assert heads.to_json() == {"2026-01-01": 50}


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ({}, "rate", "at least one start date"),
        ({"soon": "45"}, "rate[soon]", "must be a date"),
        ({"2026-02-30": "45"}, "rate[2026-02-30]", "not a real date"),
        ({"2026-07-01": "45", JULY: "50"}, "rate[2026-07-01]", "given twice"),
        ({JULY: 45.5}, "rate[2026-07-01]", "in quotes"),
        ({JULY: "-1"}, "rate[2026-07-01]", "greater than zero"),
        (45.5, "rate", "in quotes"),
    ],
)
def test_bad_dated_values_are_refused_at_their_path(raw, path: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_dated(raw, parse_money, "rate")
    assert caught.value.path == path
    assert message in caught.value.message


def test_by_date_needs_a_date() -> None:
    with pytest.raises(ValueError):
        DatedValue.by_date({})


@given(
    st.dictionaries(
        st.dates(date(2020, 1, 1), date(2030, 12, 31)),
        st.integers(1, 1000),
        min_size=1,
        max_size=8,
    ),
    st.dates(date(2019, 1, 1), date(2031, 12, 31)),
)
def test_value_on_is_the_value_of_the_latest_start_not_after_the_day(changes, day) -> None:
    dated = DatedValue.by_date(changes)
    started = [start for start in changes if start <= day]
    expected = changes[max(started)] if started else None
    assert dated.value_on(day) == expected
