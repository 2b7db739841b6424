"""The bank account a subsidy is paid to: a Kazakh IBAN and its bank's BIC.

A Kazakh IBAN (ISO 13616) is 20 characters::

    KZ kk bbb cccccccccccccc
       |  |   account: 13 letters or digits
       |  bank code: 3 digits
       check digits: the whole IBAN, rearranged, is 1 modulo 97

The BIC (ISO 9362) is 8 or 11 characters: 4 letters for the bank, the country code (KZ), 2
letters or digits for the location, optionally 3 for the branch. The check digits, the lengths
and the structures are checked by ``schwifty``; a BIC need not be in its bank registry (the
registry of Kazakh banks is not complete), only well formed and Kazakh.

Input is normalised the way people copy an account from a bank statement: whitespace removed,
upper case. Anything but ASCII letters and digits is refused rather than folded, so that the
string stored is the string that was checked. The transparency log never records an IBAN, only
its SHA-256 (``iban_sha256``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from schwifty import BIC, IBAN
from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException

COUNTRY = "KZ"
IBAN_LENGTH = 20
BIC_LENGTHS = (8, 11)


Reason = Literal["type", "empty", "characters", "country", "length", "check_digits", "structure"]


class InvalidBankAccount(ValueError):
    """An IBAN or BIC that is refused: ``field`` is "iban" or "bic", ``message`` says why in
    English and ``reason`` names the check (the pages show a translated text for each)."""

    def __init__(self, field: str, reason: Reason, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason: Reason = reason
        self.message = message


@dataclass(frozen=True)
class BankAccount:
    iban: str
    bic: str


def normalise(value: object, field: str) -> str:
    """``value`` without whitespace, in upper case; refused unless ASCII letters and digits."""
    if not isinstance(value, str):
        raise InvalidBankAccount(field, "type", "must be a string")
    compact = "".join(value.split())
    if not compact:
        raise InvalidBankAccount(field, "empty", "must not be empty")
    if not (compact.isascii() and compact.isalnum()):
        raise InvalidBankAccount(
            field, "characters", "must contain only the Latin letters A-Z and digits 0-9"
        )
    return compact.upper()


def validate_iban(value: object) -> str:
    """The normalised IBAN if ``value`` is a valid Kazakh IBAN, else InvalidBankAccount."""
    iban = normalise(value, "iban")
    if not iban.startswith(COUNTRY):
        raise InvalidBankAccount("iban", "country", "must be a Kazakh IBAN, starting with KZ")
    if len(iban) != IBAN_LENGTH:
        raise InvalidBankAccount(
            "iban", "length", f"must be {IBAN_LENGTH} characters, got {len(iban)} (without spaces)"
        )
    try:
        IBAN(iban)
    except InvalidChecksumDigits:
        raise InvalidBankAccount(
            "iban", "check_digits", "check digits (3rd and 4th characters) do not match the account"
        ) from None
    except SchwiftyException:
        raise InvalidBankAccount(
            "iban",
            "structure",
            "must be KZ, 2 check digits, a 3-digit bank code and 13 letters or digits",
        ) from None
    return iban


def validate_bic(value: object) -> str:
    """The normalised BIC if ``value`` is a well-formed Kazakh BIC, else InvalidBankAccount."""
    bic = normalise(value, "bic")
    if len(bic) not in BIC_LENGTHS:
        raise InvalidBankAccount("bic", "length", f"must be 8 or 11 characters, got {len(bic)}")
    if bic[4:6] != COUNTRY:
        raise InvalidBankAccount(
            "bic", "country", "must be a Kazakh bank's BIC: KZ in the 5th and 6th place"
        )
    try:
        BIC(bic, enforce_swift_compliance=True)
    except SchwiftyException:
        raise InvalidBankAccount(
            "bic",
            "structure",
            "must be 4 letters (the bank), KZ, 2 letters or digits (the place) "
            "and optionally 3 more (the branch)",
        ) from None
    return bic


def bank_account(iban: object, bic: object) -> BankAccount:
    """Both validated: the IBAN's refusal first, then the BIC's."""
    return BankAccount(iban=validate_iban(iban), bic=validate_bic(bic))


def iban_sha256(iban: str) -> str:
    """What the log records of an account: the hex SHA-256 of the normalised IBAN."""
    return hashlib.sha256(iban.encode("ascii")).hexdigest()


def mask_iban(iban: str) -> str:
    """``KZ15 **** **** **** 4050``: the country, check digits and last four for a reader."""
    middle = " ".join("****" for _ in range((len(iban) - 8 + 3) // 4))
    return f"{iban[:4]} {middle} {iban[-4:]}"


def make_iban(bank_code: str, account: str) -> str:
    """A Kazakh IBAN with its check digits computed, for demo data and tests."""
    return validate_iban(IBAN.generate(COUNTRY, bank_code=bank_code, account_code=account).compact)
