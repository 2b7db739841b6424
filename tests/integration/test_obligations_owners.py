"""A claimed animal listed under another applicant has left, even when that applicant has
applications of its own: the check compares each animal's owner with the application's own
applicant (or its members), not with every applicant that ever applied."""

from __future__ import annotations

import json
from datetime import date

from subsidy.applications.models import Status
from tests.factories import animals_extract, make_applicant, submit
from tests.integration.test_obligations import CODE, cases_of, herd, later_extract, paid

__all__ = ["paid"]  # the fixture, shared with test_obligations


def test_an_animal_sold_to_a_farm_that_applies_too_has_left(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    buyer = make_applicant("peasant_farm")
    buyer_rows = herd(buyer, 3)
    animals_extract(rows + buyer_rows, date(2026, 6, 10))
    other = submit(buyer, CODE, quantity=None, animals=[row[1] for row in buyer_rows[:2]])
    assert other.status is Status.SUBMITTED
    moved = [(buyer.iin_bin, *row[1:]) if row[1] == claimed[1] else row for row in rows]
    later_extract(moved + buyer_rows, date(2026, 9, 1))
    [case] = cases_of(paid["application"])
    assert json.loads(case.animals) == [claimed[1]]
    assert cases_of(other) == []
