from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.audit.canonical import canonical_bytes
from subsidy.eligibility.facts import Facts, Herd, OtherApplication, Parcel
from subsidy.eligibility.rules import (
    RULES,
    CheckResult,
    InvalidQuantity,
    NoRateInForce,
    NotInForce,
    check_quantity,
    claims,
    compute_amount,
    evaluate,
)
from subsidy.programs.definition import ProgramDefinition, parse_program

REPO = Path(__file__).resolve().parents[2]
DAY = date(2026, 3, 2)
JULY = date(2026, 7, 1)
ME, MEMBER, NEIGHBOUR = "880101300018", "900202400027", "851212300034"


def program(unit: str = "liter", criteria: list | None = None, **fields: Any) -> ProgramDefinition:
    data = {
        "code": "TEST-2026",
        "name": {"ru": "Тест", "kk": "Тест", "en": "Test"},
        "window": {"opens": date(2026, 1, 15), "closes": date(2026, 12, 15)},
        "applicant_kinds": ["individual", "peasant_farm", "legal_entity", "cooperative"],
        "unit": unit,
        "rate": {date(2026, 1, 1): "45.00", JULY: "50.00"} if unit != "tenge" else "0.25",
        "max_amount_per_applicant": "50000000.00",
        "budget": "1200000000.00",
        "second_approval_above": "10000000.00",
        "criteria": criteria if criteria is not None else [],
        **fields,
    }
    return parse_program(data)


def facts(
    *herds: Herd,
    parcels: tuple[Parcel, ...] = (),
    kind: str = "peasant_farm",
    members: int = 0,
    arrears: Decimal | None = None,
    others: tuple[OtherApplication, ...] = (),
) -> Facts:
    return Facts(
        applicant_id=7,
        applicant_kind=kind,
        member_count=members,
        herds=herds,
        parcels=parcels,
        tax_arrears=arrears,
        other_applications=others,
        snapshots={"livestock": 3, "land": 2, "tax": None},
    )


def cattle(heads: int, identified: int | None = None, owner: str = ME) -> Herd:
    return Herd("cattle", heads, heads if identified is None else identified, owner)


def parcel(number: str, hectares: str, owner: str = ME) -> Parcel:
    return Parcel(number, Decimal(hectares), owner)


def check(rule: str, params: dict | None, known: Facts, unit: str = "liter", quantity="100"):
    definition = program(unit, [{"rule": rule, "params": params or {}}])
    (result,) = evaluate(definition, known, Decimal(quantity), DAY).checks
    return result


def assert_three_languages(result: CheckResult) -> None:
    assert set(result.detail) == {"ru", "kk", "en"}
    assert all(text.strip() for text in result.detail.values())
    assert len(set(result.detail.values())) == 3, result.detail


# --- each rule -------------------------------------------------------------------------------


def test_min_livestock_heads_fails_below_the_minimum_with_the_farmers_wording() -> None:
    result = check("min_livestock_heads", {"species": "cattle", "min": 50}, facts(cattle(42)))
    assert not result.passed
    assert result.detail == {
        "ru": "В реестре 42 головы КРС, требуется не менее 50",
        "kk": "Тізілімде 42 бас ІҚМ, кемінде 50 қажет",
        "en": "The registry shows 42 head of cattle; at least 50 are required",
    }
    assert result.facts_used == {"species": "cattle", "heads": 42, "min": 50}


def test_min_livestock_heads_counts_members_herds_of_the_species_only() -> None:
    known = facts(cattle(30), cattle(20, owner=MEMBER), Herd("sheep", 500, 500, ME))
    result = check("min_livestock_heads", {"species": "cattle", "min": 50}, known)
    assert result.passed
    assert result.detail["ru"].startswith("В реестре 50 голов КРС")
    assert_three_languages(result)


@pytest.mark.parametrize(
    ("heads", "identified", "passed"),
    [(100, 95, True), (100, 94, False), (1, 1, True), (0, 0, False)],
)
def test_identified_livestock_share(heads: int, identified: int, passed: bool) -> None:
    result = check(
        "identified_livestock_share",
        {"species": "cattle", "min_share": "0.95"},
        facts(cattle(heads, identified)) if heads else facts(),
    )
    assert result.passed is passed
    assert_three_languages(result)
    assert result.facts_used["min_share"] == "0.95"


def test_identified_share_explains_the_percentages() -> None:
    result = check(
        "identified_livestock_share", {"species": "cattle", "min_share": "1"}, facts(cattle(42, 40))
    )
    assert result.detail["ru"] == (
        "Идентифицировано 40 из 42 голов КРС (95,24 %), требуется не менее 100 %"
    )
    assert "95.24%" in result.detail["en"]


@pytest.mark.parametrize(("hectares", "passed"), [("9.99", False), ("10", True), ("250.5", True)])
def test_min_land_hectares(hectares: str, passed: bool) -> None:
    known = facts(parcels=(parcel("05-068-012-345", hectares),))
    result = check("min_land_hectares", {"min": "10"}, known)
    assert result.passed is passed
    assert_three_languages(result)
    assert result.facts_used["min"] == "10.00"


@pytest.mark.parametrize(
    ("arrears", "maximum", "passed"),
    [
        (None, None, True),
        (Decimal("0.00"), None, True),
        (Decimal("0.01"), None, False),
        (Decimal("5000.00"), "5000.00", True),
        (Decimal("5000.01"), "5000.00", False),
    ],
)
def test_no_tax_arrears(arrears: Decimal | None, maximum: str | None, passed: bool) -> None:
    params = {"max_arrears": maximum} if maximum else None
    result = check("no_tax_arrears", params, facts(arrears=arrears))
    assert result.passed is passed
    assert_three_languages(result)
    expected = None if arrears is None else str(arrears)
    assert result.facts_used["tax_arrears"] == expected


def test_cooperative_min_members() -> None:
    params = {"min": 5}
    too_few = check("cooperative_min_members", params, facts(kind="cooperative", members=4))
    enough = check("cooperative_min_members", params, facts(kind="cooperative", members=5))
    farm = check("cooperative_min_members", params, facts(kind="peasant_farm"))
    assert (too_few.passed, enough.passed, farm.passed) == (False, True, True)
    assert too_few.detail["ru"] == "В кооперативе 4 члена, требуется не менее 5"
    assert farm.facts_used["applicable"] is False
    assert "cooperatives only" in farm.detail["en"]
    for result in (too_few, enough, farm):
        assert_three_languages(result)


def test_one_application_per_applicant_names_the_other_application() -> None:
    mine = OtherApplication("TEST-2026-000042", 7, frozenset(), frozenset())
    theirs = OtherApplication("TEST-2026-000043", 8, frozenset(), frozenset())
    assert check("one_application_per_applicant", None, facts(others=(theirs,))).passed
    result = check("one_application_per_applicant", None, facts(others=(theirs, mine)))
    assert not result.passed
    assert all("TEST-2026-000042" in text for text in result.detail.values())
    assert all("TEST-2026-000043" not in text for text in result.detail.values())
    assert result.facts_used == {"other_applications": ["TEST-2026-000042"]}
    assert_three_languages(result)


@pytest.mark.parametrize(
    ("unit", "quantity", "passed"),
    [
        ("head", "40", True),  # 40 identified of 42
        ("head", "41", False),
        ("liter", "280000", True),  # 40 identified x 7000 l
        ("liter", "280000.01", False),
        ("hectare", "120.5", True),
        ("hectare", "120.51", False),
        ("tenge", "99999999", True),  # not applicable
    ],
)
def test_quantity_within_registry(unit: str, quantity: str, passed: bool) -> None:
    known = facts(
        cattle(42, 40),
        Herd("sheep", 900, 900, ME),
        parcels=(parcel("05-068-012-345", "100.5"), parcel("05-068-012-346", "20")),
    )
    result = check("quantity_within_registry", None, known, unit=unit, quantity=quantity)
    assert result.passed is passed
    assert_three_languages(result)
    if unit == "tenge":
        assert result.facts_used["applicable"] is False


def test_liter_limit_per_head_is_a_parameter() -> None:
    known = facts(cattle(10))
    params = {"max_liters_per_head": "5000"}
    assert check("quantity_within_registry", params, known, quantity="50000").passed
    assert not check("quantity_within_registry", params, known, quantity="50001").passed


def test_no_double_funding_names_the_application_claiming_the_same_parcel() -> None:
    other = OtherApplication("SEEDS-2026-000031", 8, frozenset({"05-068-012-346"}), frozenset())
    known = facts(
        parcels=(parcel("05-068-012-345", "100"), parcel("05-068-012-346", "20")), others=(other,)
    )
    result = check("no_double_funding", None, known, unit="hectare")
    assert not result.passed
    for text in result.detail.values():
        assert "SEEDS-2026-000031" in text and "05-068-012-346" in text
        assert "05-068-012-345" not in text
    assert result.facts_used["conflicts"][0]["parcels"] == ["05-068-012-346"]
    assert_three_languages(result)


def test_no_double_funding_names_the_application_claiming_the_same_animals() -> None:
    other = OtherApplication("MILK-2026-000017", 8, frozenset(), frozenset({(MEMBER, "cattle")}))
    known = facts(cattle(30), cattle(20, owner=MEMBER), others=(other,))
    result = check("no_double_funding", None, known)
    assert not result.passed
    assert all("MILK-2026-000017" in text for text in result.detail.values())
    # Owners' IINs are private: the explanation and the facts never carry them.
    assert all(MEMBER not in text for text in result.detail.values())
    assert MEMBER not in str(result.facts_used)
    assert result.facts_used["conflicts"][0]["animal_owners"] == 1
    assert_three_languages(result)


def test_other_species_or_other_owners_are_not_double_funding() -> None:
    others = (
        OtherApplication("A-1", 8, frozenset({"05-999-000-001"}), frozenset({(ME, "sheep")})),
        OtherApplication("A-2", 9, frozenset(), frozenset({(NEIGHBOUR, "cattle")})),
    )
    result = check("no_double_funding", None, facts(cattle(30), others=others))
    assert result.passed
    assert result.facts_used == {"conflicts": []}
    assert_three_languages(result)


def test_every_catalogued_rule_explains_itself_in_three_languages() -> None:
    known = facts(cattle(60), parcels=(parcel("05-068-012-345", "50"),))
    defaults = {
        "min_livestock_heads": {"species": "cattle", "min": 1},
        "identified_livestock_share": {"species": "cattle", "min_share": "1"},
        "min_land_hectares": {"min": "1"},
        "cooperative_min_members": {"min": 1},
        "animal_age": {"min_months": 0, "max_months": 1},
        "animals_owned_since": {"days": 1},
    }
    for name in RULES:
        assert_three_languages(check(name, defaults.get(name), known))


# --- claims ----------------------------------------------------------------------------------


def test_what_an_application_claims_depends_on_the_unit() -> None:
    known = facts(
        cattle(30),
        cattle(20, owner=MEMBER),
        Herd("sheep", 100, 100, ME),
        parcels=(parcel("05-068-012-345", "100"),),
    )
    assert claims(program("liter"), known, Decimal(1)) == (
        frozenset(),
        frozenset({(ME, "cattle"), (MEMBER, "cattle")}),
        (),
    )
    assert claims(program("head", species="sheep"), known, Decimal(1)) == (
        frozenset(),
        {(ME, "sheep")},
        (),
    )
    assert claims(program("hectare"), known, Decimal(1)) == ({"05-068-012-345"}, frozenset(), ())
    assert claims(program("tenge"), known, Decimal(1)) == (frozenset(), frozenset(), ())
    with_land = program("liter", [{"rule": "min_land_hectares", "params": {"min": "1"}}])
    assert claims(with_land, known, Decimal(1))[0] == {"05-068-012-345"}


# --- amounts ---------------------------------------------------------------------------------


def test_amounts_round_half_up_to_the_tiyn() -> None:
    assert compute_amount(Decimal("0.25"), Decimal("0.02"), Decimal("100")) == (
        Decimal("0.01"),
        False,
    )
    assert compute_amount(Decimal("45.00"), Decimal("200000"), Decimal("50000000.00")) == (
        Decimal("9000000.00"),
        False,
    )
    assert compute_amount(Decimal("50.00"), Decimal("1200000"), Decimal("50000000.00")) == (
        Decimal("50000000.00"),
        True,
    )


def test_huge_amounts_are_exact() -> None:
    amount, capped = compute_amount(
        Decimal("9999999999999.99"), Decimal("9999999999999.99"), Decimal(10) ** 30
    )
    assert str(amount) == "99999999999999800000000000.00"
    assert not capped


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        compute_amount(Decimal("1"), Decimal("-1"), Decimal("10"))


money = st.decimals(0, 10**13, places=2)


@given(rate=st.decimals(0, 10**6, places=4), quantity=money, cap=money)
def test_the_amount_is_never_negative_nor_above_the_cap(rate, quantity, cap) -> None:
    amount, capped = compute_amount(rate, quantity, cap)
    assert Decimal(0) <= amount <= cap
    assert amount.as_tuple().exponent == -2
    exact = (rate * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert (amount, capped) == (min(exact, cap), exact > cap)


@pytest.mark.parametrize(
    ("unit", "quantity", "problem"),
    [
        ("head", Decimal("12.5"), "must be a whole number of head"),
        ("liter", Decimal("1.001"), "at most 2 decimal places"),
        ("hectare", Decimal("1.0001"), None),
        ("tenge", Decimal("0"), "must be greater than zero"),
        ("tenge", Decimal("1E+14"), "must not exceed"),
        ("liter", 12.5, "must be a decimal number"),
        ("liter", Decimal("NaN"), "must be a decimal number"),
    ],
)
def test_check_quantity(unit: str, quantity, problem: str | None) -> None:
    found = check_quantity(unit, quantity)
    assert found == problem if problem is None else problem in found


# --- evaluation ------------------------------------------------------------------------------


MILK_CRITERIA = [
    {"rule": "min_livestock_heads", "params": {"species": "cattle", "min": 50}},
    {"rule": "identified_livestock_share", "params": {"species": "cattle", "min_share": "1.00"}},
    {"rule": "no_tax_arrears"},
    {"rule": "quantity_within_registry"},
    {"rule": "no_double_funding"},
    {"rule": "one_application_per_applicant"},
]


def test_evaluation_to_json_shape() -> None:
    result = evaluate(program("liter", MILK_CRITERIA), facts(cattle(60)), Decimal("200000"), DAY)
    data = result.to_json()
    assert list(data) == [
        "eligible",
        "rules_version",
        "on_date",
        "rate",
        "quantity",
        "amount",
        "capped",
        "checks",
        "snapshots",
    ]
    assert data["eligible"] is True
    assert (data["on_date"], data["rate"], data["amount"]) == ("2026-03-02", "45.00", "9000000.00")
    assert [check["rule"] for check in data["checks"]] == [c["rule"] for c in MILK_CRITERIA]
    assert set(data["checks"][0]) == {"rule", "passed", "detail", "facts_used"}
    assert data["snapshots"] == {"land": 2, "livestock": 3, "tax": None}
    canonical_bytes(data)  # JSON-able under RFC 8785: no floats, no Decimals


def test_one_failed_check_makes_the_application_ineligible_but_keeps_the_amount() -> None:
    result = evaluate(program("liter", MILK_CRITERIA), facts(cattle(42)), Decimal("100000"), DAY)
    assert not result.eligible
    assert result.failed_rules == ["min_livestock_heads"]
    assert result.amount == Decimal("4500000.00")


def test_no_rate_in_force_is_a_clear_error() -> None:
    definition = program("liter", [])
    with pytest.raises(NoRateInForce) as caught:
        evaluate(definition, facts(), Decimal("1"), date(2025, 12, 31))
    assert str(caught.value) == (
        "TEST-2026: no rate is in force on 2025-12-31 (the first rate starts on 2026-01-01)"
    )


def test_a_rule_parameter_not_yet_in_force_is_a_clear_error() -> None:
    dated = [
        {
            "rule": "min_livestock_heads",
            "params": {"species": "cattle", "min": {date(2026, 1, 1): 50}},
        }
    ]
    definition = program("liter", dated, rate="45")
    with pytest.raises(NotInForce, match=r"criteria\[0\]\.params\.min"):
        evaluate(definition, facts(), Decimal("1"), date(2025, 6, 1))


def test_an_invalid_quantity_is_refused() -> None:
    with pytest.raises(InvalidQuantity, match="whole number of head"):
        evaluate(program("head", []), facts(), Decimal("1.5"), DAY)


def test_a_dated_rule_parameter_applies_from_its_date() -> None:
    criteria = [
        {
            "rule": "min_livestock_heads",
            "params": {"species": "cattle", "min": {date(2026, 1, 1): 50, JULY: 60}},
        }
    ]
    definition = program("liter", criteria)
    known = facts(cattle(55))
    assert evaluate(definition, known, Decimal("1"), JULY - timedelta(days=1)).eligible
    assert not evaluate(definition, known, Decimal("1"), JULY).eligible


herds = st.lists(
    st.builds(
        lambda species, heads, share, owner: Herd(species, heads, heads * share // 100, owner),
        st.sampled_from(["cattle", "sheep", "horses"]),
        st.integers(0, 2000),
        st.integers(0, 100),
        st.sampled_from([ME, MEMBER, NEIGHBOUR]),
    ),
    max_size=5,
)
others = st.lists(
    st.builds(
        OtherApplication,
        st.text("ABC-0123456789", min_size=1, max_size=12),
        st.sampled_from([7, 8]),
        st.frozensets(st.sampled_from(["05-068-012-345", "05-068-012-346"])),
        st.frozensets(st.tuples(st.sampled_from([ME, MEMBER]), st.sampled_from(["cattle"]))),
    ),
    max_size=3,
)


@settings(max_examples=80, deadline=None)
@given(
    herds=herds,
    others=others,
    arrears=st.one_of(st.none(), st.decimals(0, 10**6, places=2)),
    kind=st.sampled_from(["individual", "peasant_farm", "legal_entity", "cooperative"]),
    quantity=st.decimals("0.01", 10**7, places=2),
    day=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
)
def test_evaluation_is_deterministic(herds, others, arrears, kind, quantity, day) -> None:
    definition = program("liter", MILK_CRITERIA)
    known = Facts(7, kind, 6, tuple(herds), (), arrears, tuple(others), {"livestock": 1})
    first = evaluate(definition, known, quantity, day)
    again = evaluate(program("liter", MILK_CRITERIA), known, quantity, day)
    assert canonical_bytes(first.to_json()) == canonical_bytes(again.to_json())
    assert first == again
    assert first.eligible == all(check.passed for check in first.checks)
    assert Decimal(0) <= first.amount <= definition.max_amount_per_applicant


@settings(max_examples=60, deadline=None)
@given(
    change=st.dates(date(2026, 1, 2), date(2026, 12, 31)),
    old=st.decimals("0.01", 1000, places=2),
    new=st.decimals("0.01", 1000, places=2),
)
def test_the_day_before_a_change_gets_the_old_rate_and_the_day_itself_the_new(change, old, new):
    definition = program("liter", [], rate={date(2026, 1, 1): str(old), change: str(new)})
    quantity = Decimal("1000")
    before = evaluate(definition, facts(), quantity, change - timedelta(days=1))
    on = evaluate(definition, facts(), quantity, change)
    assert (before.rate, on.rate) == (old, new)
    assert before.amount == min((old * quantity).quantize(Decimal("0.01")), Decimal("50000000.00"))
    assert on.amount == min((new * quantity).quantize(Decimal("0.01")), Decimal("50000000.00"))


def test_the_pure_layer_imports_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "import subsidy.programs.definition, subsidy.programs.testcases, subsidy.programs.demo\n"
        "import subsidy.eligibility.rules\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy'))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
