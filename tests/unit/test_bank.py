"""Kazakh IBANs and BICs (subsidy.applicants.bank): the check digits are computed here by hand,
ISO 13616's modulo 97, independently of the library the module checks them with."""

from __future__ import annotations

import hashlib

import pytest

from subsidy.applicants.bank import (
    InvalidBankAccount,
    bank_account,
    iban_sha256,
    make_iban,
    mask_iban,
    validate_bic,
    validate_iban,
)


def _check_digits(country: str, bban: str) -> str:
    """ISO 13616: move the country and 00 to the end, letters to 10-35, 98 - (that mod 97)."""
    rearranged = f"{bban}{country}00"
    number = int("".join(str(int(char, 36)) for char in rearranged))
    return f"{98 - number % 97:02d}"


def _kz(bban: str) -> str:
    return f"KZ{_check_digits('KZ', bban)}{bban}"


# 3-digit bank code, 13-character account.
VALID = _kz("125KZT5004100100")
VALID_DIGITS = _kz("8560000000123456")


def test_hand_computed_check_digits_agree_with_the_library():
    assert VALID == "KZ86125KZT5004100100"  # the example of SWIFT's IBAN registry
    assert make_iban("125", "KZT5004100100") == VALID
    assert make_iban("856", "0000000123456") == VALID_DIGITS
    assert _check_digits("DE", "370400440532013000") == "89"  # ISO 13616's own example


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (VALID, VALID),
        ("KZ86 125K ZT50 0410 0100", VALID),
        ("kz86125kzt5004100100", VALID),
        (" KZ86\t125KZT5004100100\u00a0", VALID),
        (VALID_DIGITS, VALID_DIGITS),
    ],
)
def test_a_valid_iban_is_normalised(typed, stored):
    assert validate_iban(typed) == stored


def _bad_check_digits(iban: str) -> str:
    wrong = (int(iban[2:4]) + 1) % 97 or 2
    return f"{iban[:2]}{wrong:02d}{iban[4:]}"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (_bad_check_digits(VALID), "check_digits"),
        (_bad_check_digits(VALID_DIGITS), "check_digits"),
        (VALID[:10] + VALID[11] + VALID[10] + VALID[12:], "check_digits"),  # two swapped
        ("DE89370400440532013000", "country"),  # valid, but German
        (_kz("125KZT500410010"), "length"),
        (VALID + "0", "length"),
        (_kz("ABCKZT5004100100"), "structure"),  # the bank code is 3 digits
        ("KZAB125KZT5004100100", "structure"),  # letters for check digits
        ("KZ86125KZT50041001-0", "characters"),
        ("KZ86125KZT500410010Ø", "characters"),
        ("KZ86125KZT50041001ß", "characters"),  # not folded to "SS"
        ("", "empty"),
        ("   ", "empty"),
        (None, "type"),
        (15, "type"),
    ],
)
def test_a_wrong_iban_is_refused_with_its_reason(value, reason):
    with pytest.raises(InvalidBankAccount) as refused:
        validate_iban(value)
    assert (refused.value.field, refused.value.reason) == ("iban", reason)
    assert str(refused.value).startswith("iban: ")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("KCJBKZKX", "KCJBKZKX"),  # in the library's registry
        ("HSBKKZKX", "HSBKKZKX"),
        ("kcjb kz kx", "KCJBKZKX"),
        ("KCJBKZKXXXX", "KCJBKZKXXXX"),  # with a branch
        ("ABCDKZ2A", "ABCDKZ2A"),  # well formed though in no registry
    ],
)
def test_a_valid_bic_is_normalised(typed, stored):
    assert validate_bic(typed) == stored


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("KCJBKZ", "length"),
        ("KCJBKZKX1", "length"),
        ("KCJBKZKX1234", "length"),
        ("DEUTDEFF", "country"),
        ("KCJBRUKX", "country"),
        ("12CDKZKX", "structure"),  # the bank is 4 letters
        ("KCJBKZK_", "characters"),
        ("", "empty"),
    ],
)
def test_a_wrong_bic_is_refused_with_its_reason(value, reason):
    with pytest.raises(InvalidBankAccount) as refused:
        validate_bic(value)
    assert (refused.value.field, refused.value.reason) == ("bic", reason)


def test_an_account_checks_the_iban_first():
    assert bank_account(VALID, "kcjbkzkx").bic == "KCJBKZKX"
    with pytest.raises(InvalidBankAccount) as refused:
        bank_account("DE89370400440532013000", "nonsense")
    assert refused.value.field == "iban"


def test_the_log_keeps_only_the_sha256_and_the_page_a_mask():
    assert iban_sha256(VALID) == hashlib.sha256(VALID.encode()).hexdigest()
    assert len(iban_sha256(VALID)) == 64 and VALID not in iban_sha256(VALID)
    assert mask_iban(VALID) == "KZ86 **** **** **** 0100"
