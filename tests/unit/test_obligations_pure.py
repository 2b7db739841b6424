"""Properties of the pure obligation arithmetic (subsidy.eligibility.obligations): the pro-rata
recovery to the tiyn, checked against an exact computation with fractions; when a keep_animals
breach shows and what it names; whole months added to a date; and the program file's
``obligations`` refused with the path of the bad field."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from subsidy.eligibility.obligations import (
    MAX_MONTHS,
    Obligation,
    add_months,
    keep_animals_breach,
    keep_animals_ends_on,
    parse_obligations,
    parse_recovery_days,
    recovery_amount,
)
from subsidy.eligibility.params import DefinitionError

# Money as stored: whole tiyn, up to a trillion tenge.
tiyn = st.integers(min_value=1, max_value=10**14)
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 12, 31))
months = st.integers(min_value=1, max_value=MAX_MONTHS)
shift = st.integers(min_value=-MAX_MONTHS * 3, max_value=MAX_MONTHS * 3)


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@st.composite
def shares(draw):
    """(claimed, left) with 1 <= left <= claimed."""
    claimed = draw(st.integers(min_value=1, max_value=5000))
    return claimed, draw(st.integers(min_value=1, max_value=claimed))


def exact_tiyn(cents: int, left: int, claimed: int) -> int:
    """paid x left / claimed in tiyn, rounded half up, computed exactly."""
    value = Fraction(cents * left, claimed)
    return int((value + Fraction(1, 2)).__floor__())


# --- recovery_amount ----------------------------------------------------------------------------


@given(tiyn, shares())
def test_recovery_is_exact_to_the_tiyn_half_up(cents, share):
    claimed, left = share
    amount = recovery_amount(money(cents), left, claimed)
    assert amount == money(exact_tiyn(cents, left, claimed))
    assert amount.as_tuple().exponent == -2


@given(tiyn, shares())
def test_recovery_is_never_above_what_was_paid(cents, share):
    claimed, left = share
    amount = recovery_amount(money(cents), left, claimed)
    assert Decimal(0) <= amount <= money(cents)


@given(tiyn, st.integers(min_value=1, max_value=5000))
def test_all_animals_gone_recovers_everything(cents, claimed):
    assert recovery_amount(money(cents), claimed, claimed) == money(cents)


@given(tiyn, shares())
def test_recovery_grows_with_the_animals_gone(cents, share):
    claimed, left = share
    assume(left < claimed)
    paid = money(cents)
    assert recovery_amount(paid, left, claimed) <= recovery_amount(paid, left + 1, claimed)


@given(tiyn, shares(), shares())
def test_recovery_is_monotone_in_left_for_any_two(cents, first, second):
    claimed = max(first[0], second[0])
    low, high = sorted((min(first[1], claimed), min(second[1], claimed)))
    paid = money(cents)
    assert recovery_amount(paid, low, claimed) <= recovery_amount(paid, high, claimed)


def test_half_a_tiyn_rounds_up():
    assert recovery_amount(Decimal("0.01"), 1, 2) == Decimal("0.01")
    assert recovery_amount(Decimal("0.03"), 1, 2) == Decimal("0.02")  # 0.015
    assert recovery_amount(Decimal("0.05"), 1, 2) == Decimal("0.03")  # 0.025, not to even
    assert recovery_amount(Decimal("100.00"), 1, 3) == Decimal("33.33")
    assert recovery_amount(Decimal("100.00"), 2, 3) == Decimal("66.67")


@pytest.mark.parametrize(("left", "claimed"), [(0, 4), (5, 4), (-1, 4), (1, 0), (0, 0)])
def test_a_share_outside_one_to_claimed_is_an_error(left, claimed):
    with pytest.raises(ValueError):
        recovery_amount(Decimal("100.00"), left, claimed)


# --- keep_animals_breach ------------------------------------------------------------------------

animal_ids = st.lists(
    st.from_regex(r"KZ[0-9]{4}", fullmatch=True), min_size=0, max_size=30, unique=True
)


@st.composite
def herds(draw):
    """(claimed, held): held mixes some claimed animals with others never claimed."""
    claimed = draw(animal_ids)
    kept = draw(st.lists(st.sampled_from(claimed), unique=True)) if claimed else []
    others = draw(st.lists(st.from_regex(r"KZX[0-9]{3}", fullmatch=True), max_size=5))
    return claimed, kept + others


def breach(claimed, held, cents, paid_on, length, as_of):
    return keep_animals_breach(
        claimed=claimed,
        held=held,
        paid=money(cents),
        paid_on=paid_on,
        months=length,
        extract_as_of=as_of,
    )


@given(herds(), tiyn, days, months, st.integers(min_value=0, max_value=5000))
def test_no_breach_after_the_obligation_ended(herd, cents, paid_on, length, later):
    claimed, held = herd
    ends = keep_animals_ends_on(paid_on, length)
    assert breach(claimed, held, cents, paid_on, length, ends + timedelta(days=1 + later)) is None
    assert breach(claimed, [], cents, paid_on, length, ends + timedelta(days=1 + later)) is None


@given(herds(), tiyn, days, months, st.integers(min_value=1, max_value=5000))
def test_no_breach_before_the_payment(herd, cents, paid_on, length, earlier):
    claimed, _ = herd
    assert breach(claimed, [], cents, paid_on, length, paid_on - timedelta(days=earlier)) is None


@given(herds(), tiyn, days, months, st.data())
def test_within_the_obligation_the_breach_names_exactly_the_claimed_animals_gone(
    herd, cents, paid_on, length, data
):
    claimed, held = herd
    ends = keep_animals_ends_on(paid_on, length)
    as_of = data.draw(st.dates(min_value=paid_on, max_value=ends))
    found = breach(claimed, held, cents, paid_on, length, as_of)
    gone = set(claimed) - set(held)
    if not gone:
        assert found is None
        return
    assert found is not None
    assert set(found.left) <= set(claimed)
    assert found.left == tuple(sorted(gone))
    assert found.claimed == len(set(claimed))
    assert found.amount == recovery_amount(money(cents), len(gone), len(set(claimed)))
    assert found.amount <= money(cents)


@given(herds(), tiyn, days, months)
def test_the_first_and_last_days_of_the_obligation_count(herd, cents, paid_on, length):
    claimed, _ = herd
    assume(claimed)
    for as_of in (paid_on, keep_animals_ends_on(paid_on, length)):
        found = breach(claimed, [], cents, paid_on, length, as_of)
        assert found is not None and found.amount == money(cents)


@given(tiyn, days, months)
def test_nothing_claimed_is_no_breach(cents, paid_on, length):
    assert breach([], [], cents, paid_on, length, paid_on) is None


# --- add_months ---------------------------------------------------------------------------------


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@given(days, shift)
def test_add_months_lands_in_the_right_month_never_past_its_end(day, n):
    result = add_months(day, n)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == n
    assert result.day == min(day.day, last_day(result.year, result.month))
    assert result.day <= last_day(result.year, result.month)


@given(days)
def test_add_zero_months_is_the_same_day(day):
    assert add_months(day, 0) == day


@given(days, shift)
def test_add_months_back_is_an_inverse_within_clamping(day, n):
    back = add_months(add_months(day, n), -n)
    assert (back.year, back.month) == (day.year, day.month)
    assert back.day <= day.day
    if day.day <= 28:
        assert back == day
    else:  # clamped to the shorter month's end, at most the 31st becoming the 28th
        assert back.day >= 28


@given(days, days, shift)
def test_add_months_keeps_the_order_of_days(first, second, n):
    low, high = sorted((first, second))
    assert add_months(low, n) <= add_months(high, n)


@given(days, months)
def test_the_obligation_ends_after_the_payment(day, n):
    assert keep_animals_ends_on(day, n) > day
    assert keep_animals_ends_on(day, n) == add_months(day, n)


def test_add_months_examples():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 6, 15), 12) == date(2027, 6, 15)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)


# --- parse_obligations --------------------------------------------------------------------------


def refused(raw) -> DefinitionError:
    with pytest.raises(DefinitionError) as error:
        parse_obligations(raw, "obligations")
    return error.value


def test_keep_animals_parses():
    assert parse_obligations(
        [{"obligation": "keep_animals", "params": {"months": 12}}], "obligations"
    ) == (Obligation("keep_animals", {"months": 12}),)
    assert parse_obligations([], "obligations") == ()


@given(months)
def test_any_months_from_one_to_the_maximum_parse(n):
    [obligation] = parse_obligations(
        [{"obligation": "keep_animals", "params": {"months": n}}], "obligations"
    )
    assert obligation.params == {"months": n}
    assert obligation.to_json() == {"obligation": "keep_animals", "params": {"months": n}}


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ([{"obligation": "keep_cows", "params": {"months": 12}}], "obligations[0].obligation"),
        ([{"params": {"months": 12}}], "obligations[0].obligation"),
        (
            [{"obligation": "keep_animals", "params": {"months": 12, "heads": 3}}],
            "obligations[0].params.heads",
        ),
        ([{"obligation": "keep_animals", "params": {}}], "obligations[0].params.months"),
        ([{"obligation": "keep_animals"}], "obligations[0].params.months"),
        ([{"obligation": "keep_animals", "params": {"months": 0}}], "obligations[0].params.months"),
        (
            [{"obligation": "keep_animals", "params": {"months": 121}}],
            "obligations[0].params.months",
        ),
        (
            [{"obligation": "keep_animals", "params": {"months": "12"}}],
            "obligations[0].params.months",
        ),
        (
            [{"obligation": "keep_animals", "params": {"months": True}}],
            "obligations[0].params.months",
        ),
        (
            [
                {"obligation": "keep_animals", "params": {"months": 12}},
                {"obligation": "keep_animals", "params": {"months": 6}},
            ],
            "obligations[1].obligation",
        ),
        ([{"obligation": "keep_animals", "params": {"months": 12}, "x": 1}], "obligations[0].x"),
        (["keep_animals"], "obligations[0]"),
        ({"obligation": "keep_animals"}, "obligations"),
        ("keep_animals", "obligations"),
    ],
)
def test_a_bad_obligation_is_refused_with_its_path(raw, path):
    error = refused(raw)
    assert error.path == path
    assert str(error).startswith(f"{path}: ")


def test_refusals_say_what_is_wrong():
    assert "keep_animals" in refused([{"obligation": "keep_cows"}]).message
    assert (
        "given twice"
        in refused([{"obligation": "keep_animals", "params": {"months": 1}}] * 2).message
    )
    assert "120" in refused([{"obligation": "keep_animals", "params": {"months": 121}}]).message


@given(st.integers(min_value=MAX_MONTHS + 1, max_value=10**6) | st.integers(max_value=0))
def test_months_outside_one_to_the_maximum_are_refused(n):
    assert refused([{"obligation": "keep_animals", "params": {"months": n}}]).path == (
        "obligations[0].params.months"
    )


@given(st.integers(min_value=1, max_value=365))
def test_recovery_days_from_one_to_a_year_parse(n):
    assert parse_recovery_days(n, "recovery_days") == n


@pytest.mark.parametrize("raw", [0, -1, 366, "30", 30.0, True, None])
def test_recovery_days_outside_one_to_a_year_are_refused(raw):
    with pytest.raises(DefinitionError) as error:
        parse_recovery_days(raw, "recovery_days")
    assert error.value.path == "recovery_days"
