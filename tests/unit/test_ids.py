from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from subsidy.applicants.ids import (
    InvalidId,
    control_digit,
    id_kind,
    iin_birth_date,
    is_valid_iin_bin,
    make_bin,
    make_iin,
    validate_bin,
    validate_iin,
)

KNOWN_IIN = "061211600012"  # needs the second weight pass
KNOWN_BINS = ("940140000385", "990140004654")


def test_known_iin_is_valid() -> None:
    assert validate_iin(KNOWN_IIN) == KNOWN_IIN
    assert id_kind(KNOWN_IIN) == "iin"
    assert iin_birth_date(KNOWN_IIN) == date(2006, 12, 11)


@pytest.mark.parametrize("value", KNOWN_BINS)
def test_known_bins_are_valid(value: str) -> None:
    assert validate_bin(value) == value
    assert id_kind(value) == "bin"
    assert is_valid_iin_bin(value)


def test_known_iin_uses_the_second_weight_pass() -> None:
    first_pass = sum(int(d) * w for d, w in zip(KNOWN_IIN[:11], range(1, 12), strict=True))
    assert first_pass % 11 == 10
    assert control_digit(KNOWN_IIN[:11]) == 2


def test_serial_without_a_control_digit_is_refused() -> None:
    # About one serial in 121 leaves 10 in both passes; the register never issues those.
    birth = date(1985, 7, 14)
    serial = next(s for s in range(10_000) if make_iin(birth, False, s) is None)
    first11 = f"{birth:%y%m%d}3{serial:04d}"
    assert control_digit(first11) is None
    for last in "0123456789":
        with pytest.raises(InvalidId, match="no valid control digit"):
            validate_iin(first11 + last)


def test_control_digit_needs_eleven_digits() -> None:
    with pytest.raises(InvalidId):
        control_digit("1234567890")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("06121160001", "must be 12 digits"),
        ("0612116000120", "must be 12 digits"),
        ("", "must be 12 digits"),
        ("06121160001A", "only the digits"),
        ("０６１２１１６０００１２", "only the digits"),  # full-width digits
        ("06121160001²", "only the digits"),
        (" 061211600012", "without spaces"),
        ("061211600012\n", "without spaces"),
        ("0612 1160001", "without spaces"),
        ("061311600012", "not a real date"),  # month 13
        ("060231600012", "not a real date"),  # 31 February
        ("070229300012", "not a real date"),  # 29 February 1907, not a leap year
        ("061211000012", "7th digit"),  # century digit 0
        ("061211700012", "7th digit"),
        ("061211900012", "7th digit"),
        ("991211600012", "in the future"),  # born 2099
        ("061211600013", "control digit"),
        ("941340000385", "month"),  # BIN month 13
        ("940040000385", "month"),  # BIN month 00
        ("940170000385", "5th digit"),  # type 7
        ("940194000385", "5th digit"),  # type 9
        ("940149000385", "6th digit"),  # attribute 9
        ("940140000384", "control digit"),
    ],
)
def test_invalid_ids_are_refused_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(InvalidId, match=message) as raised:
        id_kind(value)
    assert raised.value.message == str(raised.value)
    assert not is_valid_iin_bin(value)


@pytest.mark.parametrize("value", [None, 61211600012, b"061211600012"])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidId, match="string"):
        id_kind(value)
    assert not is_valid_iin_bin(value)


def test_invalid_id_is_a_value_error() -> None:
    assert issubclass(InvalidId, ValueError)


def test_iin_is_not_a_bin_and_back() -> None:
    with pytest.raises(InvalidId):
        validate_bin(KNOWN_IIN)
    with pytest.raises(InvalidId, match="not an IIN"):
        validate_iin(KNOWN_BINS[0])


def test_make_iin_encodes_century_and_sex() -> None:
    cases = [
        (date(1899, 1, 2), False, "1"),
        (date(1899, 1, 2), True, "2"),
        (date(1975, 6, 30), False, "3"),
        (date(1975, 6, 30), True, "4"),
        (date(2001, 2, 28), False, "5"),
        (date(2001, 2, 28), True, "6"),
    ]
    for birth, female, digit in cases:
        value = next(v for s in range(100) if (v := make_iin(birth, female, s)) is not None)
        assert value[6] == digit
        assert value[:6] == birth.strftime("%y%m%d")
        assert iin_birth_date(value) == birth


def test_make_bin_lays_out_the_fields() -> None:
    value = next(v for s in range(100) if (v := make_bin(2015, 3, 4, 0, s)) is not None)
    assert value[:6] == "150340"
    assert id_kind(value) == "bin"


@pytest.mark.parametrize(
    "args",
    [
        (2015, 13, 4, 0, 1),  # month
        (2015, 0, 4, 0, 1),
        (2015, 3, 7, 0, 1),  # type
        (2015, 3, 4, 4, 1),  # attribute
        (2015, 3, 4, 0, -1),  # serial
        (2015, 3, 4, 0, 100_000),
    ],
)
def test_make_bin_refuses_bad_fields(args: tuple[int, int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        make_bin(*args)


def test_make_iin_refuses_bad_fields() -> None:
    with pytest.raises(ValueError):
        make_iin(date(1799, 12, 31), False, 1)
    with pytest.raises(ValueError):
        make_iin(date(1990, 1, 1), False, 10_000)


births = st.dates(min_value=date(1800, 1, 1), max_value=date(2024, 12, 31))


@st.composite
def valid_iins(draw: st.DrawFn) -> str:
    value = make_iin(draw(births), draw(st.booleans()), draw(st.integers(0, 9999)))
    assume(value is not None)
    assert value is not None
    return value


@st.composite
def valid_bins(draw: st.DrawFn) -> str:
    value = make_bin(
        draw(st.integers(1990, 2030)),
        draw(st.integers(1, 12)),
        draw(st.sampled_from((4, 5, 6))),
        draw(st.integers(0, 3)),
        draw(st.integers(0, 99_999)),
    )
    assume(value is not None)
    assert value is not None
    return value


@given(valid_iins())
def test_generated_iins_validate(value: str) -> None:
    assert validate_iin(value) == value
    assert id_kind(value) == "iin"


@given(valid_bins())
def test_generated_bins_validate(value: str) -> None:
    assert validate_bin(value) == value
    assert id_kind(value) == "bin"


@given(st.one_of(valid_iins(), valid_bins()))
def test_every_other_control_digit_is_refused(value: str) -> None:
    for wrong in "0123456789".replace(value[11], ""):
        with pytest.raises(InvalidId, match="control digit"):
            id_kind(value[:11] + wrong)


@given(st.text(max_size=14))
def test_arbitrary_text_never_crashes(value: str) -> None:
    # Either valid or refused with InvalidId, never another exception.
    assert is_valid_iin_bin(value) in (True, False)
