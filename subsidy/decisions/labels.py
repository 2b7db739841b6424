"""Kazakh and Russian words and number formats of the decision document.

Numbers follow the local convention, "12 345 678,50 ₸": digits grouped by a no-break space (so an
amount never wraps inside itself) and a decimal comma.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from subsidy.eligibility import texts

NBSP = "\u00a0"

# (kk, ru)
APPLICANT_KINDS = {
    "individual": ("жеке тұлға", "физическое лицо"),
    "peasant_farm": ("шаруа (фермер) қожалығы", "крестьянское (фермерское) хозяйство"),
    "legal_entity": ("заңды тұлға", "юридическое лицо"),
    "cooperative": ("ауыл шаруашылығы кооперативі", "сельскохозяйственный кооператив"),
}
SNAPSHOT_NAMES = {
    "livestock": "мал / скот",
    "animals": "жануарларды бірдейлендіру / идентификация животных",
    "land": "жер / земля",
    "tax": "салық / налоги",
}
# Unit after a quantity, and after a rate ("45,00 ₸ / л").
QUANTITY_UNITS = {"liter": "л", "head": "бас / гол.", "hectare": "га"}
RATE_UNITS = {"liter": "л", "head": "бас / голову", "hectare": "га"}


def date_text(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def grouped(plain: str) -> str:
    """Plain decimal text grouped the local way: "12345678.50" -> "12 345 678,50"."""
    sign, plain = ("-", plain[1:]) if plain.startswith("-") else ("", plain)
    whole, _, fraction = plain.partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + NBSP.join(groups)
    return f"{text},{fraction}" if fraction else text


def money_text(amount: Decimal, tenge: str = "₸") -> str:
    return f"{grouped(texts.money(amount))}{NBSP}{tenge}"


def quantity_text(quantity: Decimal, unit: str, tenge: str = "₸") -> str:
    if unit == "tenge":
        return money_text(quantity, tenge)
    return f"{grouped(texts.number(quantity))}{NBSP}{QUANTITY_UNITS.get(unit, unit)}"


def rate_text(rate: Decimal, unit: str, tenge: str = "₸") -> str:
    """Money per unit; a tenge program's rate is the share of the amount paid."""
    if unit == "tenge":
        return f"{texts.percent(rate)}{NBSP}%"
    return f"{money_text(rate, tenge)} / {RATE_UNITS.get(unit, unit)}"
