"""Evidence down to the animal, through the database: head programs claim identified animals,
and no animal or parcel is funded twice within a funding group and period, across programs and
years — also when two applications race for the same animal."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subsidy.accounts.models import User
from subsidy.applications.models import Application, ApplicationClaim, Status
from subsidy.applications.queries import application_view
from subsidy.applications.services import withdraw_application
from subsidy.errors import ValidationFailed
from subsidy.extensions import db
from tests.factories import (
    animals_extract,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
)

BREEDING = [
    {"rule": "quantity_within_registry"},
    {"rule": "animal_age", "params": {"min_months": 12, "max_months": 180}},
    {"rule": "animals_owned_since", "params": {"days": 30}},
    {"rule": "no_double_funding"},
    {"rule": "one_application_per_applicant"},
]


def _breeding(code: str, **extra):
    return make_program(
        code,
        criteria=BREEDING,
        budget="10000000.00",
        funding_group="breeding-cattle",
        funding_period="lifetime",
        **extra,
    )


def _farm_with_cows(count: int = 3, prefix: str = "KZ"):
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", count, count)])
    ids = [f"{prefix}{farm.iin_bin[-6:]}{n:02d}" for n in range(count)]
    return farm, ids


def _cows(farm, ids, born="2024-01-01", registered="2025-01-01"):
    return [(farm.iin_bin, animal_id, "cattle", "F", born, registered) for animal_id in ids]


def _check(application, rule: str) -> dict:
    (found,) = [c for c in json.loads(application.evaluation)["checks"] if c["rule"] == rule]
    return found


def test_a_head_program_claims_the_listed_animals_and_shows_them(app):
    _breeding("BREEDING-A-2026")
    farm, ids = _farm_with_cows(3)
    animals_extract(_cows(farm, ids))
    application = submit(farm, "BREEDING-A-2026", quantity=None, animals=ids[:2])
    assert application.status is Status.SUBMITTED and application.quantity == 2
    assert application_view(application)["animals"] == sorted(ids[:2])


def test_without_a_list_the_oldest_registered_animals_are_claimed(app):
    _breeding("BREEDING-A-2026")
    farm, ids = _farm_with_cows(3)
    rows = _cows(farm, ids)
    rows[2] = (*rows[2][:5], "2024-06-01")  # registered first
    animals_extract(rows)
    application = submit(farm, "BREEDING-A-2026", quantity="2")
    assert application_view(application)["animals"] == sorted([ids[2], ids[0]])


def test_listing_an_animal_that_is_not_the_applicants_is_refused_naming_it(app):
    _breeding("BREEDING-A-2026")
    farm, ids = _farm_with_cows(2)
    neighbour, theirs = _farm_with_cows(1, prefix="NB")
    animals_extract(_cows(farm, ids) + _cows(neighbour, theirs))
    before = db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar()
    with pytest.raises(ValidationFailed) as refused:
        submit(farm, "BREEDING-A-2026", quantity=None, animals=[ids[0], theirs[0], "KZSOLD1"])
    assert "animals" in refused.value.errors
    assert theirs[0] in refused.value.message and "KZSOLD1" in refused.value.message
    after = db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar()
    assert after == before


def test_the_same_animal_in_next_years_program_of_the_group_is_not_funded_again(app):
    _breeding("BREEDING-A-2026")
    _breeding("BREEDING-B-2027")  # another program (another year) of the same group
    farm, ids = _farm_with_cows(2)
    animals_extract(_cows(farm, ids))
    first = submit(farm, "BREEDING-A-2026", quantity=None, animals=[ids[0]])
    second = submit(farm, "BREEDING-B-2027", quantity=None, animals=[ids[0]])
    assert first.status is Status.SUBMITTED and second.status is Status.INELIGIBLE
    check = _check(second, "no_double_funding")
    assert not check["passed"]
    assert all(first.number in text and ids[0] in text for text in check["detail"].values())
    # one_application_per_applicant counts its own program only.
    assert _check(second, "one_application_per_applicant")["passed"]
    # Another animal of the farm in the other program is funded (an ineligible one holds none).
    third = submit(farm, "BREEDING-B-2027", quantity=None, animals=[ids[1]])
    assert third.status is Status.SUBMITTED


def test_programs_of_different_groups_do_not_see_each_others_claims(app):
    _breeding("BREEDING-A-2026")
    make_program("OTHER-HEADS-2026", criteria=BREEDING, budget="10000000.00")
    farm, ids = _farm_with_cows(1)
    animals_extract(_cows(farm, ids))
    submit(farm, "BREEDING-A-2026", quantity=None, animals=ids)
    assert submit(farm, "OTHER-HEADS-2026", quantity=None, animals=ids).status is Status.SUBMITTED


def test_a_withdrawn_application_frees_its_animals(app):
    _breeding("BREEDING-A-2026")
    _breeding("BREEDING-B-2027")
    farm, ids = _farm_with_cows(1)
    animals_extract(_cows(farm, ids))
    farmer = make_user("applicant", applicant=farm)
    first = submit(farm, "BREEDING-A-2026", quantity=None, animals=ids, user=farmer)
    withdraw_application(application=first, user=farmer)
    assert submit(farm, "BREEDING-B-2027", quantity=None, animals=ids).status is Status.SUBMITTED


def test_calendar_year_groups_fund_the_same_herd_again_the_next_year(app):
    for code in ("MILK-A-2026", "MILK-B-2026"):
        make_program(code, unit="liter", funding_group="dairy-milk", budget="10000000.00")
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20)])
    first = submit(farm, "MILK-A-2026", quantity="100")
    second = submit(farm, "MILK-B-2026", quantity="100")
    assert first.status is Status.SUBMITTED and second.status is Status.INELIGIBLE
    periods = db.session.execute(
        sa.select(ApplicationClaim.funding_group, ApplicationClaim.period).where(
            ApplicationClaim.application_id == first.id
        )
    ).all()
    assert {tuple(row) for row in periods} == {("dairy-milk", "2026")}


# --- property: no sequence of applications funds an animal or parcel twice -------------------


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["BREEDING-A-2026", "BREEDING-B-2027"]),
            st.integers(min_value=0, max_value=2),  # which farm
            st.one_of(
                st.none(), st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=3)
            ),
            st.booleans(),  # withdraw it afterwards
        ),
        min_size=1,
        max_size=8,
    )
)
def test_no_sequence_of_applications_funds_an_animal_twice_in_a_group(app, steps):
    savepoint = db.session.begin_nested()
    try:
        _breeding("BREEDING-A-2026")
        _breeding("BREEDING-B-2027")
        farms = [_farm_with_cows(4) for _ in range(3)]
        animals_extract([row for farm, ids in farms for row in _cows(farm, ids)])
        for code, which, picks, withdraw in steps:
            farm, ids = farms[which]
            listed = None if picks is None else sorted({ids[n] for n in picks})
            quantity = "2" if listed is None else None
            farmer = make_user("applicant", applicant=farm)
            application = submit(farm, code, quantity=quantity, animals=listed, user=farmer)
            if withdraw:
                withdraw_application(application=application, user=farmer)
        live = db.session.execute(
            sa.select(ApplicationClaim.claim_key)
            .join(Application, Application.id == ApplicationClaim.application_id)
            .where(
                Application.status.in_([Status.SUBMITTED]),
                ApplicationClaim.funding_group == "breeding-cattle",
            )
        ).scalars()
        keys = list(live)
        assert len(keys) == len(set(keys)), keys
    finally:
        savepoint.rollback()


# --- two applications racing for the same animal ----------------------------------------------


def test_two_concurrent_applications_for_one_animal_in_two_programs_admit_one(committed_app):
    with committed_app.app_context():
        _breeding("BREEDING-A-2026")
        _breeding("BREEDING-B-2027")
        farm, ids = _farm_with_cows(1)
        animals_extract(_cows(farm, ids))
        official = make_user("official")
        db.session.commit()
        iin, official_id = farm.iin_bin, official.id

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def apply(code: str) -> None:
        try:
            start.wait()
            with committed_app.app_context():
                submit(
                    SimpleNamespace(iin_bin=iin),
                    code,
                    quantity=None,
                    animals=ids,
                    user=db.session.get(User, official_id),
                )
                db.session.commit()
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=apply, args=(code,))
        for code in ("BREEDING-A-2026", "BREEDING-B-2027")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    with committed_app.app_context():
        rows = db.session.execute(sa.select(Application).order_by(Application.id)).scalars().all()
        assert [row.status for row in rows] == [Status.SUBMITTED, Status.INELIGIBLE]
        check = _check(rows[1], "no_double_funding")
        assert not check["passed"] and rows[0].number in check["detail"]["en"]
        assert ids[0] in check["detail"]["en"]


def test_animals_claimed_after_a_claim_on_their_whole_herd_are_double_funding(app):
    """A head application made before the first animals extract claims the herd; once animals
    are claimed one by one, the herd's animals are still not funded twice in the group."""
    make_program(
        "HEADS-OLD-2026",
        criteria=[{"rule": "quantity_within_registry"}, {"rule": "no_double_funding"}],
        budget="10000000.00",
        funding_group="breeding-cattle",
        funding_period="lifetime",
    )
    _breeding("BREEDING-B-2027")
    farm, ids = _farm_with_cows(2)
    herd_claim = submit(farm, "HEADS-OLD-2026", quantity="2")  # no animals extract yet
    assert herd_claim.status is Status.SUBMITTED
    keys = db.session.execute(
        sa.select(ApplicationClaim.claim_key).where(
            ApplicationClaim.application_id == herd_claim.id
        )
    ).scalars()
    assert list(keys) == [f"animals:{farm.iin_bin}:cattle"]
    animals_extract(_cows(farm, ids))
    later = submit(farm, "BREEDING-B-2027", quantity=None, animals=[ids[0]])
    assert later.status is Status.INELIGIBLE
    check = _check(later, "no_double_funding")
    assert not check["passed"] and herd_claim.number in check["detail"]["en"]
    # Another farm's animals are not touched by that herd claim.
    other, theirs = _farm_with_cows(1, prefix="OT")
    animals_extract(_cows(farm, ids) + _cows(other, theirs))
    assert submit(other, "BREEDING-B-2027", quantity=None, animals=theirs).status is (
        Status.SUBMITTED
    )


def test_an_idempotency_key_replayed_with_other_animals_is_refused(app):
    from subsidy.errors import Conflict

    _breeding("BREEDING-A-2026")
    farm, ids = _farm_with_cows(3)
    animals_extract(_cows(farm, ids))
    official = make_user("official")
    first = submit(farm, "BREEDING-A-2026", quantity=None, animals=ids[:2], user=official, key="K1")
    again = submit(
        farm, "BREEDING-A-2026", quantity=None, animals=ids[1::-1], user=official, key="K1"
    )
    assert again.id == first.id  # the same animals, listed in another order
    with pytest.raises(Conflict):
        submit(farm, "BREEDING-A-2026", quantity=None, animals=ids[1:], user=official, key="K1")


def test_the_programs_of_a_group_count_one_kind_of_period(app):
    _breeding("BREEDING-A-2026")  # lifetime
    with pytest.raises(ValidationFailed) as refused:
        make_program("BREEDING-YEARLY-2026", funding_group="breeding-cattle", budget="100000.00")
    assert "funding_period" in refused.value.errors


def test_a_new_version_naming_a_group_still_sees_the_claims_made_before(app):
    criteria = [{"rule": "quantity_within_registry"}, {"rule": "no_double_funding"}]
    make_program("LAND-2026", unit="hectare", criteria=criteria, budget="10000000.00")
    owner, other = make_applicant("peasant_farm"), make_applicant("peasant_farm")
    registry(
        land=[(owner.iin_bin, "05-068-012-345", "50")],
        livestock=[(f.iin_bin, "cattle", 5, 5) for f in (owner, other)],
    )
    first = submit(owner, "LAND-2026", quantity="10")
    make_program(
        "LAND-2026",
        unit="hectare",
        criteria=criteria,
        budget="10000000.00",
        funding_group="land-once",
        funding_period="lifetime",
    )
    second = submit(owner, "LAND-2026", quantity="10")
    check = _check(second, "no_double_funding")
    assert not check["passed"] and first.number in check["detail"]["en"]
