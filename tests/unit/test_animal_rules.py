"""Rules on identified animals: which animals a head program claims, their age in whole months
(exact at the month boundaries), how long their owner has held them, and double funding of an
animal across the programs of a funding group."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from subsidy.eligibility.facts import Animal, Facts, Herd, OtherApplication
from subsidy.eligibility.rules import age_in_months, choose_animals, claims, evaluate
from subsidy.programs.definition import parse_program

DAY = date(2026, 6, 15)
ME, MEMBER = "880101300018", "900202400027"


def program(criteria: list | None = None, **fields: Any):
    return parse_program(
        {
            "code": "BREEDING-2026",
            "name": {"ru": "Племя", "kk": "Асыл тұқым", "en": "Breeding"},
            "window": {"opens": date(2026, 1, 15), "closes": date(2026, 12, 15)},
            "applicant_kinds": ["peasant_farm", "cooperative"],
            "unit": "head",
            "species": "cattle",
            "rate": "150000.00",
            "max_amount_per_applicant": "50000000.00",
            "budget": "1200000000.00",
            "second_approval_above": "10000000.00",
            "criteria": criteria or [],
            **fields,
        }
    )


def cow(animal_id: str, born: date, registered: date, owner: str = ME, species="cattle"):
    return Animal(animal_id, species, "F", born, registered, owner)


def facts(*animals: Animal, others: tuple[OtherApplication, ...] = (), herds=()) -> Facts:
    return Facts(
        applicant_id=7,
        applicant_kind="peasant_farm",
        member_count=0,
        herds=tuple(herds),
        parcels=(),
        tax_arrears=None,
        other_applications=others,
        snapshots={"animals": 4},
        animals=tuple(animals),
    )


HERD = (
    cow("KZ0001", date(2023, 1, 10), date(2023, 3, 1)),
    cow("KZ0002", date(2022, 5, 2), date(2024, 1, 1)),
    cow("KZ0003", date(1918, 4, 1), date(2025, 2, 1)),  # the cow recorded as 108 years old
    cow("KZ0004", date(2024, 8, 1), date(2026, 6, 1)),  # bought two weeks before applying
    cow("KZ0005", date(2021, 1, 1), date(2022, 1, 1), species="sheep"),
)


def test_a_head_program_claims_the_oldest_registered_animals_of_its_species() -> None:
    chosen = choose_animals(program(), facts(*HERD), Decimal(3), None)
    assert [a.animal_id for a in chosen] == ["KZ0001", "KZ0002", "KZ0003"]
    claimed = claims(program(), facts(*HERD), Decimal(3))
    assert claimed.animal_ids == {"KZ0001", "KZ0002", "KZ0003"} and claimed.herds == frozenset()


def test_listed_animals_are_claimed_as_listed() -> None:
    chosen = choose_animals(program(), facts(*HERD), Decimal(2), ["KZ0004", "KZ0002"])
    assert {a.animal_id for a in chosen} == {"KZ0002", "KZ0004"}


def test_the_choice_passes_over_animals_another_application_of_the_group_claims() -> None:
    other = OtherApplication("BREEDING-2025-000004", 9, frozenset(), frozenset(), {"KZ0001"})
    chosen = choose_animals(program(), facts(*HERD, others=(other,)), Decimal(2), None)
    assert [a.animal_id for a in chosen] == ["KZ0002", "KZ0003"]


def test_without_an_animals_extract_a_head_program_claims_herds() -> None:
    known = replace(facts(herds=(Herd("cattle", 10, 10, ME),)), animals=None)
    assert claims(program(), known, Decimal(3)) == (frozenset(), {(ME, "cattle")}, ())


def _check(rule: str, params: dict, known: Facts, quantity="3", listed=None):
    definition = program([{"rule": rule, "params": params}])
    (result,) = evaluate(definition, known, Decimal(quantity), DAY, listed).checks
    return result


def test_animal_age_names_each_animal_outside_the_range_with_its_age() -> None:
    result = _check("animal_age", {"min_months": 12, "max_months": 180}, facts(*HERD), "4")
    assert not result.passed
    assert result.facts_used["failing"] == [{"animal": "KZ0003", "months": 1298}]
    for text in result.detail.values():
        assert "KZ0003" in text and "1298" in text
    assert "KZ0001" not in result.detail["en"]
    assert len(set(result.detail.values())) == 3


def test_animal_age_passes_when_every_claimed_animal_is_in_range() -> None:
    result = _check("animal_age", {"min_months": 12, "max_months": 180}, facts(*HERD), "2")
    assert result.passed and result.facts_used["failing"] == []
    assert "12" in result.detail["ru"] and "180" in result.detail["ru"]


def test_animals_owned_since_names_the_animal_bought_just_before_applying() -> None:
    result = _check("animals_owned_since", {"days": 30}, facts(*HERD), "4")
    assert not result.passed
    assert result.facts_used["failing"] == [{"animal": "KZ0004", "days": 14}]
    assert all("KZ0004" in text for text in result.detail.values())


def test_animal_rules_without_an_animals_extract_fail_for_lack_of_evidence() -> None:
    known = replace(facts(herds=(Herd("cattle", 10, 10, ME),)), animals=None)
    for rule, params in (
        ("animal_age", {"min_months": 1, "max_months": 2}),
        (
            "animals_owned_since",
            {"days": 1},
        ),
    ):
        result = _check(rule, params, known)
        assert not result.passed
        assert "identification" in result.detail["en"]


def test_quantity_of_a_head_program_is_the_number_of_animals_it_can_claim() -> None:
    result = _check("quantity_within_registry", {}, facts(*HERD), "5")
    assert not result.passed  # four cattle, five claimed
    assert result.facts_used["identified_animals"] == 4
    assert _check("quantity_within_registry", {}, facts(*HERD), "4").passed


def test_the_same_animal_in_another_application_of_the_group_is_double_funding() -> None:
    other = OtherApplication(
        "BREEDING-2025-000004", 9, frozenset(), frozenset(), frozenset({"KZ0002"}), False
    )
    result = _check("no_double_funding", {}, facts(*HERD, others=(other,)), "1", ["KZ0002"])
    assert not result.passed
    assert all("BREEDING-2025-000004" in t and "KZ0002" in t for t in result.detail.values())
    assert result.facts_used["conflicts"][0]["animals"] == ["KZ0002"]


def test_one_application_per_applicant_counts_only_the_same_program() -> None:
    elsewhere = OtherApplication(
        "MILK-2026-000001", 7, frozenset(), frozenset(), same_program=False
    )
    assert _check("one_application_per_applicant", {}, facts(*HERD, others=(elsewhere,))).passed
    same = replace(elsewhere, same_program=True)
    assert not _check("one_application_per_applicant", {}, facts(*HERD, others=(same,))).passed


# --- age in whole months, exact at the boundaries ---------------------------------------------


def _month_after(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    last = calendar.monthrange(day.year + year, month + 1)[1]
    return date(day.year + year, month + 1, min(day.day, last))


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)),
    months=st.integers(min_value=0, max_value=1500),
)
def test_an_animal_is_n_months_old_from_its_nth_monthly_birthday_to_the_day_before_the_next(
    birth: date, months: int
) -> None:
    birthday = _month_after(birth, months)
    if birthday.year > 9998:
        return
    assert age_in_months(birth, birthday) == months
    assert age_in_months(birth, birthday - timedelta(days=1)) == months - 1
    following = _month_after(birth, months + 1)
    assert age_in_months(birth, following - timedelta(days=1)) == months


def test_the_month_boundaries_that_a_calendar_makes_hard() -> None:
    assert age_in_months(date(2024, 1, 31), date(2024, 2, 28)) == 0
    assert age_in_months(date(2024, 1, 31), date(2024, 2, 29)) == 1  # leap year: last day
    assert age_in_months(date(2023, 1, 31), date(2023, 2, 28)) == 1
    assert age_in_months(date(2024, 2, 29), date(2025, 2, 28)) == 12
    assert age_in_months(date(2025, 6, 15), date(2026, 6, 14)) == 11
    assert age_in_months(date(2025, 6, 15), date(2026, 6, 15)) == 12
    assert age_in_months(date(2026, 6, 16), date(2026, 6, 15)) == -1


@given(
    low=st.integers(min_value=0, max_value=200),
    span=st.integers(min_value=1, max_value=200),
    born=st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 6, 15)),
)
def test_the_age_rule_passes_exactly_when_the_age_is_in_range(low, span, born) -> None:
    animal = cow("KZ0100", born, born)
    result = _check("animal_age", {"min_months": low, "max_months": low + span}, facts(animal), "1")
    assert result.passed == (low <= age_in_months(born, DAY) <= low + span)
