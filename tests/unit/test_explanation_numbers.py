"""Rule explanations write numbers the way the pages do in each language (250 000 and 12,5 in
Russian and Kazakh; 250,000 and 12.5 in English), while the facts they record stay plain."""

from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import parse_pattern

from subsidy.eligibility import texts

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("plain", "ru", "en"),
    [
        ("0", "0", "0"),
        ("999", "999", "999"),
        ("1000", f"1{NBSP}000", "1,000"),
        ("250000", f"250{NBSP}000", "250,000"),
        ("1092000.5", f"1{NBSP}092{NBSP}000,5", "1,092,000.5"),
        ("-12345.00", f"-12{NBSP}345,00", "-12,345.00"),
    ],
)
def test_local_groups_digits_like_the_language(plain, ru, en):
    assert texts.local(plain, "ru") == ru == texts.local(plain, "kk")
    assert texts.local(plain, "en") == en


@pytest.mark.parametrize("value", ["7", "1250", "250000", "1092000.5", "0.25", "123456789.1234"])
@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_it_is_what_the_pages_print(value, lang):
    page = parse_pattern("#,##0.####").apply(Decimal(value), Locale.parse(lang))
    assert texts.local(texts.number(Decimal(value)), lang) == page


def test_the_milk_explanation_groups_its_liters():
    detail = texts.quantity_liters("cattle", Decimal("250000"), 156, Decimal("7000"), True)
    assert f"250{NBSP}000 л" in detail["ru"] and f"1{NBSP}092{NBSP}000 л" in detail["kk"]
    assert "250,000 l" in detail["en"] and "250000" not in "".join(detail.values())


def test_the_recorded_facts_stay_plain():
    assert texts.number(Decimal("250000")) == "250000"
    assert texts.money(Decimal("12345.5")) == "12345.50"
