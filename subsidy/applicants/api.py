from __future__ import annotations

from subsidy.access import Role, api_user, roles
from subsidy.api_docs import Blueprint
from subsidy.applicants import services
from subsidy.applicants.queries import cooperatives_of, get_applicant
from subsidy.applicants.schemas import ApplicantCreateSchema, ApplicantSchema
from subsidy.errors import Forbidden

blp = Blueprint("applicants", __name__, url_prefix="/applicants", description="Applicant registry")


def _ref(applicant) -> dict:
    return {
        "id": applicant.id,
        "iin_bin": applicant.iin_bin,
        "kind": applicant.kind.value,
        "name": applicant.name,
    }


def applicant_view(applicant) -> dict:
    return {
        **_ref(applicant),
        "district": {
            "code": applicant.district.code,
            "name": applicant.district.name_ru,
            "name_kk": applicant.district.name_kk,
        },
        "members": [_ref(member) for member in applicant.members],
        "member_of": [_ref(coop) for coop in cooperatives_of(applicant)],
        "created_at": applicant.created_at,
    }


@blp.route("", methods=["POST"])
@roles(Role.OFFICIAL, Role.ADMIN)
@blp.arguments(ApplicantCreateSchema)
@blp.response(201, ApplicantSchema)
def create_applicant(payload):
    applicant = services.create_applicant(**payload, actor=api_user().actor)
    return applicant_view(applicant)


@blp.route("/<string:iin_bin>", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR, Role.ADMIN)
@blp.response(200, ApplicantSchema)
def read_applicant(iin_bin):
    user = api_user()
    # A farmer sees only its own record; refusing before the lookup reveals nothing about others.
    if user.role is Role.APPLICANT and user.applicant.iin_bin != iin_bin:
        raise Forbidden("you may read only your own applicant record")
    return applicant_view(get_applicant(iin_bin))
