from __future__ import annotations

from subsidy.access import Role, api_user, public, roles
from subsidy.accounts import services
from subsidy.accounts.schemas import MeSchema, TokenRequestSchema, TokenSchema
from subsidy.api_docs import Blueprint
from subsidy.applicants.queries import bank_account_view
from subsidy.errors import Unauthorized
from subsidy.extensions import limiter
from subsidy.unit_of_work import keep_changes

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Bearer tokens for the API")


@blp.route("/token", methods=["POST"])
@public
@limiter.limit("10 per minute")
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def issue_token(payload):
    user = services.authenticate(
        username=payload["username"], password=payload["password"], channel="api"
    )
    if user is None:
        keep_changes()  # the failed attempt stays in the log
        raise Unauthorized("wrong username or password")
    token, expires_at = services.issue_token(user=user)
    return {"token": token, "expires_at": expires_at}


@blp.route("/me", methods=["GET"])
@roles(*Role)
@blp.response(200, MeSchema)
def me():
    """Who the token belongs to, and for a farmer the applicant record it acts for."""
    user = api_user()
    applicant = user.applicant
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role.value,
        "applicant": None
        if applicant is None
        else {
            "id": applicant.id,
            "iin_bin": applicant.iin_bin,
            "kind": applicant.kind.value,
            "name": applicant.name,
            "district": applicant.district_code,
            "bank_account": bank_account_view(applicant),
            "head_iin": applicant.head_iin,
        },
    }
