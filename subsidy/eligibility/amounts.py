"""Money and quantity arithmetic of an application: exact decimals, tiyn rounding, the cap.

Amounts are ``Decimal`` throughout and rounded once, at the end, half-up to the tiyn (0.01 KZT),
the way a bank statement rounds; the cap is a ceiling, so it is never rounded up.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

CENT = Decimal("0.01")
QUANTITY_MAX = Decimal(10) ** 13
SIGNIFICANT_DIGITS = 15
# Heads are counted whole; cadastral areas carry four places (0.0001 ha = 1 m²).
QUANTITY_PLACES = {"head": 0, "liter": 2, "hectare": 4, "tenge": 2}


class InvalidQuantity(ValueError):
    pass


def compute_amount(rate: Decimal, quantity: Decimal, cap: Decimal) -> tuple[Decimal, bool]:
    """(rate x quantity rounded half-up to the tiyn, capped at ``cap``; whether it was capped)."""
    if rate < 0 or quantity < 0 or cap < 0:
        raise ValueError("rate, quantity and cap must not be negative")
    # 28 digits (the default) could round 10^13 x 10^13 before the quantize does.
    with localcontext(prec=80):
        amount = (rate * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        ceiling = cap.quantize(CENT, rounding=ROUND_DOWN)
    if amount > ceiling:
        return ceiling, True
    return amount, False


def check_quantity(unit: str, quantity: Any) -> str | None:
    """Why ``quantity`` cannot be applied for in a ``unit`` program, or None when it can."""
    if not isinstance(quantity, Decimal) or not quantity.is_finite():
        return "must be a decimal number"
    if quantity <= 0:
        return "must be greater than zero"
    if quantity > QUANTITY_MAX:
        return f"must not exceed {QUANTITY_MAX}"
    if len(quantity.normalize().as_tuple().digits) > SIGNIFICANT_DIGITS:
        # What the embedded database stores exactly (subsidy.db.SIGNIFICANT_DIGITS).
        return f"must have at most {SIGNIFICANT_DIGITS} significant digits"
    places = QUANTITY_PLACES[unit]
    if quantity != quantity.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN):
        if places == 0:
            return "must be a whole number of head"
        return f"must have at most {places} decimal places"
    return None
