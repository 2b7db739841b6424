"""Every demo program accepts at least one demo applicant and refuses at least one."""

import dataclasses
from decimal import Decimal

import sqlalchemy as sa

from subsidy.applicants.models import Applicant
from subsidy.applications.facts import candidate_animals, registry_facts
from subsidy.eligibility.rules import evaluate
from subsidy.extensions import db
from subsidy.programs.queries import current_versions, definition_of

QUANTITY = {
    "head": Decimal(5),
    "liter": Decimal(1000),
    "hectare": Decimal(1),
    "tenge": Decimal(1_000_000),
}


def test_each_demo_program_has_an_eligible_and_an_ineligible_demo_applicant(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    applicants = db.session.execute(sa.select(Applicant)).scalars().all()
    versions = current_versions()
    assert len(versions) == 5
    for version in versions:
        definition = definition_of(version)
        outcomes = set()
        for applicant in applicants:
            if applicant.kind.value not in definition.applicant_kinds:
                continue
            facts = registry_facts(applicant)
            if definition.unit == "head":  # as a submission does: the animals it may claim
                animals = candidate_animals(applicant, definition.species)
                facts = dataclasses.replace(facts, animals=animals)
            evaluation = evaluate(definition, facts, QUANTITY[definition.unit], definition.opens)
            outcomes.add(evaluation.eligible)
            if outcomes == {True, False}:
                break
        assert outcomes == {True, False}, definition.code
