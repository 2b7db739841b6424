"""Data for the appeal and recovery tests through HTTP: a paid application whose claimed animals
left (one recovery case), and a rejected application (built with the integration tests'
helpers, tests/integration/test_obligations.py)."""

from __future__ import annotations

from datetime import date

from subsidy.appeals import services as appeals
from subsidy.decisions import services as decisions
from subsidy.obligations.queries import list_cases, visible_case
from tests.factories import animals_extract, make_program, make_user, submit
from tests.integration.test_obligations import herd, later_extract, pay

KEEP = "TEST-KEEP-2026"


def recovery_case(farm, *, gone: int = 2, claimed: int = 4, official=None):
    """The farm is paid 1 000 a head for ``claimed`` of its ten cows (keep_animals 12 months,
    recovery in 30 days), then a later extract lists ``gone`` of them no more: one case of
    paid × gone ÷ claimed. Returns the case's view."""
    make_program(
        KEEP,
        criteria=[{"rule": "no_double_funding"}],
        obligations=[{"obligation": "keep_animals", "params": {"months": 12}}],
        recovery_days=30,
    )
    rows = herd(farm)
    animals_extract(rows)
    animals = [row[1] for row in rows[:claimed]]
    application = submit(farm, KEEP, quantity=None, animals=animals)
    decisions.approve_application(application=application, user=official or make_user())
    pay(application)
    left = set(animals[:gone])
    later_extract([row for row in rows if row[1] not in left], date(2026, 9, 1))
    [case] = [c for c in list_cases(user=make_user()) if c["application"] == application.id]
    return application, case


def rejected_application(farm, *, official=None, quantity="5"):
    """A submitted application of the farm (the heads program's livestock must list it),
    rejected by ``official``."""
    application = submit(farm, quantity=quantity)
    decisions.reject_application(
        application=application, user=official or make_user(), reason="нет справки"
    )
    return application


def file_recovery_appeal(case_id, farmer, reason="the cows were stolen"):
    target = appeals.appealable_recovery(visible_case(case_id, farmer))
    return appeals.file_appeal(target=target, user=farmer, reason=reason)
