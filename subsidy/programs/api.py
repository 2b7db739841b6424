from __future__ import annotations

from subsidy.accounts.access import public
from subsidy.api_docs import Blueprint
from subsidy.clock import today
from subsidy.programs.queries import current_version, current_versions, is_open, program_by_code
from subsidy.programs.schemas import ProgramSchema
from subsidy.programs.services import definition_of

blp = Blueprint("programs", __name__, url_prefix="/programs", description="Subsidy programs")


def program_view(version) -> dict:
    definition = definition_of(version)
    program = version.program
    day = today()
    rate = definition.rate.value_on(day)
    canonical = definition.canonical_dict()
    return {
        "code": program.code,
        "version": version.version,
        "rules_version": version.rules_version,
        "name": definition.name,
        "reference": canonical.get("reference"),
        "window": {"opens": definition.opens, "closes": definition.closes},
        "open": is_open(version, day),
        "applicant_kinds": list(definition.applicant_kinds),
        "unit": definition.unit,
        "rate": None if rate is None else str(rate),
        "rates": [
            {"starts": start, "rate": str(value)} for start, value in definition.rate.changes
        ],
        "max_amount_per_applicant": definition.max_amount_per_applicant,
        "second_approval_above": definition.second_approval_above,
        "decision_days": definition.decision_days,
        "budget": program.budget_amount,
        "committed": program.committed_amount,
        "remaining": program.remaining_amount,
        "criteria": canonical["criteria"],
    }


@blp.route("", methods=["GET"])
@public
@blp.response(200, ProgramSchema(many=True))
def list_programs():
    return [program_view(version) for version in current_versions()]


@blp.route("/<string:code>", methods=["GET"])
@public
@blp.response(200, ProgramSchema)
def read_program(code):
    return program_view(current_version(program_by_code(code)))
