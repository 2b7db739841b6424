from __future__ import annotations

from subsidy.access import public
from subsidy.api_docs import Blueprint
from subsidy.programs.queries import (
    current_version,
    current_versions,
    program_by_code,
    program_view,
)
from subsidy.programs.schemas import ProgramSchema

blp = Blueprint("programs", __name__, url_prefix="/programs", description="Subsidy programs")


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
