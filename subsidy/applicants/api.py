from __future__ import annotations

from subsidy.access import Role, api_user, roles
from subsidy.api_docs import Blueprint
from subsidy.applicants import services
from subsidy.applicants.queries import bank_account_view, cooperatives_of, get_applicant
from subsidy.applicants.schemas import (
    ApplicantCreateSchema,
    ApplicantSchema,
    BankAccountInSchema,
)
from subsidy.errors import Forbidden

blp = Blueprint("applicants", __name__, url_prefix="/applicants", description="Applicant registry")


def _ref(applicant) -> dict:
    return {
        "id": applicant.id,
        "iin_bin": applicant.iin_bin,
        "kind": applicant.kind.value,
        "name": applicant.name,
    }


def sees_private_fields(user, applicant) -> bool:
    """The account and the head's IIN: for the applicant itself and officials, nobody else."""
    if user.role is Role.OFFICIAL:
        return True
    return user.role is Role.APPLICANT and user.applicant_id == applicant.id


def applicant_view(applicant, user) -> dict:
    private = (
        {"bank_account": bank_account_view(applicant), "head_iin": applicant.head_iin}
        if sees_private_fields(user, applicant)
        else {}
    )
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
        **private,
    }


@blp.route("", methods=["POST"])
@roles(Role.OFFICIAL, Role.ADMIN)
@blp.arguments(ApplicantCreateSchema)
@blp.response(201, ApplicantSchema)
def create_applicant(payload):
    user = api_user()
    applicant = services.create_applicant(**payload, actor=user.actor)
    return applicant_view(applicant, user)


@blp.route("/<string:iin_bin>", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR, Role.ADMIN)
@blp.response(200, ApplicantSchema)
def read_applicant(iin_bin):
    user = api_user()
    # A farmer sees only its own record; refusing before the lookup reveals nothing about others.
    if user.role is Role.APPLICANT and user.applicant.iin_bin != iin_bin:
        raise Forbidden("you may read only your own applicant record")
    return applicant_view(get_applicant(iin_bin), user)


@blp.route("/<string:iin_bin>/bank-account", methods=["PUT"])
@roles(Role.APPLICANT, Role.OFFICIAL)
@blp.arguments(BankAccountInSchema)
@blp.response(200, ApplicantSchema)
def put_bank_account(payload, iin_bin):
    """Set or change the account subsidies are paid to: the applicant itself or an official.

    The log records that it changed and the SHA-256 of the IBAN; the same account again changes
    nothing."""
    user = api_user()
    if user.role is Role.APPLICANT and user.applicant.iin_bin != iin_bin:
        raise Forbidden("you may change only your own bank account")
    applicant = get_applicant(iin_bin)
    services.set_bank_account(
        applicant=applicant, iban=payload["iban"], bic=payload["bic"], actor=user.actor
    )
    return applicant_view(applicant, user)
