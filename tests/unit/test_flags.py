"""Each risk flag is raised by the evidence it names and not without it; flags are advisory."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from subsidy.eligibility.flags import (
    CODES,
    HerdChange,
    Overlap,
    Request,
    RiskFacts,
    compute_flags,
    max_severity,
)

DAY = date(2026, 6, 15)
BASE = RiskFacts(
    on_date=DAY,
    applicant_id=10,
    amount=Decimal("4000000.00"),
    threshold=Decimal("10000000.00"),
    budget=Decimal("1000000000.00"),
)


def codes(facts: RiskFacts) -> set[str]:
    return {flag.code for flag in compute_flags(facts)}


def flag(facts: RiskFacts, code: str):
    (found,) = [f for f in compute_flags(facts) if f.code == code]
    assert set(found.detail) == {"ru", "kk", "en"}
    assert len(set(found.detail.values())) == 3 and all(found.detail.values())
    return found


def test_nothing_suspicious_raises_no_flag() -> None:
    assert compute_flags(BASE) == ()
    assert max_severity(()) is None


def test_shared_bank_account() -> None:
    found = flag(replace(BASE, shared_account_with=(12, 11)), "shared_bank_account")
    assert found.severity == "high" and found.evidence == {"applicants": [11, 12]}


def test_shared_head() -> None:
    same = (Request("TEST-2026-000004", 4, Decimal("1.00")),)
    found = flag(replace(BASE, same_head=same, related=same), "shared_head")
    assert found.severity == "medium" and found.evidence["applications"] == ["TEST-2026-000004"]
    assert "shared_head" not in codes(replace(BASE, related=same))


def test_threshold_splitting_needs_related_requests_each_under_and_together_over() -> None:
    split = (Request("TEST-2026-000004", 4, Decimal("7000000.00")),)
    found = flag(replace(BASE, related=split), "threshold_splitting")
    assert found.severity == "high"
    assert found.evidence["total"] == "11000000.00"
    assert found.evidence["applications"] == ["TEST-2026-000004"]
    small = (Request("TEST-2026-000004", 4, Decimal("5000000.00")),)
    assert "threshold_splitting" not in codes(replace(BASE, related=small))  # 9 m: under
    big = (Request("TEST-2026-000004", 4, Decimal("12000000.00")),)
    assert "threshold_splitting" not in codes(replace(BASE, related=big))  # seen by two anyway
    assert "threshold_splitting" not in codes(
        replace(BASE, amount=Decimal("11000000.00"), related=split)
    )


def test_member_also_applies() -> None:
    overlap = (Overlap("COOP-2026-000002", 3, animals=("KZ0001",), parcels=("05-068-012-345",)),)
    found = flag(replace(BASE, overlaps=overlap), "member_also_applies")
    assert found.severity == "high"
    assert found.evidence == {
        "applications": ["COOP-2026-000002"],
        "animals": ["KZ0001"],
        "parcels": ["05-068-012-345"],
    }
    assert "member_also_applies" not in codes(replace(BASE, overlaps=(Overlap("X", 3),)))


@pytest.mark.parametrize(
    ("before", "now", "raised"), [(20, 30, False), (20, 31, True), (0, 5, True), (10, 0, False)]
)
def test_herd_spike_is_growth_by_more_than_half(before, now, raised) -> None:
    herd = HerdChange("cattle", before, date(2026, 3, 1), now, date(2026, 6, 1))
    assert ("herd_spike" in codes(replace(BASE, herds=(herd,)))) is raised
    if raised:
        found = flag(replace(BASE, herds=(herd,)), "herd_spike")
        assert found.severity == "medium"
        assert found.evidence["herds"][0]["before"] == before


@pytest.mark.parametrize(
    ("changed", "raised"), [(date(2026, 5, 16), True), (date(2026, 5, 15), False)]
)
def test_bank_account_changed_within_30_days(changed, raised) -> None:
    facts = replace(BASE, account_changed_on=changed)
    assert ("bank_account_changed" in codes(facts)) is raised
    assert "bank_account_changed" not in codes(BASE)


def test_concentration_above_a_tenth_of_the_budget_counting_related_parties() -> None:
    related = (Request("TEST-2026-000004", 4, Decimal("96000000.01")),)
    found = flag(replace(BASE, related=related), "concentration")
    assert found.severity == "low" and found.evidence["share_percent"] == "10.0"
    at_the_line = (Request("TEST-2026-000004", 4, Decimal("96000000.00")),)
    assert "concentration" not in codes(replace(BASE, related=at_the_line))


def test_evidence_carries_ids_and_amounts_never_names_or_iins() -> None:
    facts = replace(
        BASE,
        shared_account_with=(11,),
        related=(Request("TEST-2026-000004", 4, Decimal("7000000.00")),),
        account_changed_on=DAY,
    )
    flags = compute_flags(facts)
    assert {f.code for f in flags} >= {"shared_bank_account", "threshold_splitting"}
    assert all(f.code in CODES for f in flags)
    assert max_severity(flags) == "high"
