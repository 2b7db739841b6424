"""Kazakh individual and business identification numbers (IIN / ЖСН and BIN / БСН).

Both are 12 digits whose last digit is a control digit over the first eleven
(Rules for forming the identification number, Government decree No. 406 of
22 May 2007; summarised in the OECD "Kazakhstan TIN" sheet).

IIN, for a natural person (including an individual entrepreneur working alone
and a peasant farm registered on its head's IIN)::

    YY MM DD  C  NNNN  K
    birth     |  serial control
              century and sex: 1/2 born 1800-1899, 3/4 1900-1999, 5/6 2000-2099;
              odd = male, even = female

0 and 7-9 are not assigned by the rules, so they are refused: without them the
century, and so the birth date, cannot be known.

BIN, for a legal entity, its branch or representative office, and an individual
entrepreneur in joint entrepreneurship (ИП(С))::

    YY MM  T  A  NNNNN  K
    registration year and month (01-12)
           type: 4 resident legal entity, 5 non-resident legal entity,
                 6 individual entrepreneur in joint entrepreneurship (ИП(С))
              attribute: 0 head organisation, 1 branch, 2 representative office,
                         3 peasant (farm) holding in joint entrepreneurship

Telling them apart: the 5th digit is the tens of the birth day (0-3) in an IIN
and the entity type (4-6) in a BIN, so the two ranges never overlap.

Validation is strict on purpose: exactly 12 ASCII digits, nothing stripped, so
that the string a caller stores is the string that was checked.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

ID_LENGTH = 12
_DIGITS = re.compile(r"[0-9]+")
_FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

# 7th IIN digit -> first year of the birth century.
_CENTURY_START = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}

BIN_TYPES = {
    4: "resident legal entity",
    5: "non-resident legal entity",
    6: "individual entrepreneur in joint entrepreneurship",
}
BIN_ATTRIBUTES = {
    0: "head organisation",
    1: "branch",
    2: "representative office",
    3: "peasant (farm) holding in joint entrepreneurship",
}

IdKind = Literal["iin", "bin"]


class InvalidId(ValueError):
    """An IIN or BIN that is malformed; ``message`` says what is wrong, in English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def control_digit(first11: str) -> int | None:
    """The control digit for 11 leading digits, or None when no digit is valid.

    The weighted sum modulo 11 is the control digit; a remainder of 10 means a
    second pass with shifted weights, and a second 10 means these 11 digits can
    never form a valid number (the register skips such serials).
    """
    if len(first11) != ID_LENGTH - 1 or not _DIGITS.fullmatch(first11):
        raise InvalidId("the control digit is computed over exactly 11 digits")
    digits = [int(char) for char in first11]
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def validate_iin(value: object) -> str:
    """Return ``value`` unchanged if it is a valid IIN, else raise InvalidId."""
    number = _twelve_digits(value)
    if number[4] not in "0123":
        raise InvalidId("is not an IIN: the 5th digit (tens of the birth day) must be 0-3")
    _birth_date(number)
    _check_control(number)
    return number


def validate_bin(value: object) -> str:
    """Return ``value`` unchanged if it is a valid BIN, else raise InvalidId."""
    number = _twelve_digits(value)
    if not 1 <= int(number[2:4]) <= 12:
        raise InvalidId("registration month (digits 3-4) must be 01-12")
    if int(number[4]) not in BIN_TYPES:
        raise InvalidId("5th digit (entity type) must be 4, 5 or 6")
    if int(number[5]) not in BIN_ATTRIBUTES:
        raise InvalidId("6th digit (entity attribute) must be 0, 1, 2 or 3")
    _check_control(number)
    return number


def id_kind(value: object) -> IdKind:
    """Say whether ``value`` is an IIN or a BIN, validating it fully."""
    number = _twelve_digits(value)
    if number[4] in "0123":
        validate_iin(number)
        return "iin"
    if number[4] in "456":
        validate_bin(number)
        return "bin"
    raise InvalidId("5th digit must be 0-3 (IIN: birth day) or 4-6 (BIN: entity type)")


def is_valid_iin_bin(value: object) -> bool:
    try:
        id_kind(value)
    except InvalidId:
        return False
    return True


def iin_birth_date(value: object) -> date:
    """The birth date encoded in a valid IIN."""
    return _birth_date(validate_iin(value))


def make_iin(birth: date, female: bool, serial: int) -> str | None:
    """Build an IIN, or None when this serial gives no valid control digit.

    For demo data and tests: real IINs are issued by the register only.
    """
    start = birth.year // 100 * 100
    offsets = {1800: 1, 1900: 3, 2000: 5}
    if start not in offsets:
        raise ValueError("birth year must be 1800-2099")
    if not 0 <= serial <= 9999:
        raise ValueError("serial must be 0-9999")
    century = offsets[start] + int(female)
    return _with_control(f"{birth:%y%m%d}{century}{serial:04d}")


def make_bin(year: int, month: int, type_digit: int, attribute: int, serial: int) -> str | None:
    """Build a BIN, or None when this serial gives no valid control digit.

    ``year`` may be given in full (2015) or as two digits; only the last two are kept.
    """
    if not 1 <= month <= 12:
        raise ValueError("month must be 1-12")
    if type_digit not in BIN_TYPES:
        raise ValueError("type_digit must be 4, 5 or 6")
    if attribute not in BIN_ATTRIBUTES:
        raise ValueError("attribute must be 0-3")
    if not 0 <= serial <= 99999:
        raise ValueError("serial must be 0-99999")
    return _with_control(f"{year % 100:02d}{month:02d}{type_digit}{attribute}{serial:05d}")


def _with_control(first11: str) -> str | None:
    control = control_digit(first11)
    return None if control is None else f"{first11}{control}"


def _twelve_digits(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidId("must be a string of 12 digits")
    if value != value.strip() or " " in value:
        raise InvalidId("must be 12 digits without spaces")
    if len(value) != ID_LENGTH:
        raise InvalidId(f"must be 12 digits, got {len(value)} characters")
    # A regex over [0-9], not str.isdigit(): that also accepts "²" and Arabic-Indic digits.
    if not _DIGITS.fullmatch(value):
        raise InvalidId("must contain only the digits 0-9")
    return value


def _birth_date(number: str) -> date:
    century = int(number[6])
    if century not in _CENTURY_START:
        raise InvalidId("7th digit (century and sex) must be 1-6")
    year = _CENTURY_START[century] + int(number[0:2])
    try:
        born = date(year, int(number[2:4]), int(number[4:6]))
    except ValueError:
        raise InvalidId("birth date (digits 1-6) is not a real date") from None
    # A typo in the century digit (5 for 3) easily lands in the future.
    if born > date.today():
        raise InvalidId("birth date (digits 1-6 with the 7th) is in the future")
    return born


def _check_control(number: str) -> None:
    expected = control_digit(number[:11])
    if expected is None:
        raise InvalidId("first 11 digits admit no valid control digit")
    if expected != int(number[11]):
        raise InvalidId("control digit (12th) does not match")
