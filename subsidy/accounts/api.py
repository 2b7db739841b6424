from __future__ import annotations

from flask_smorest import Blueprint

from subsidy.accounts import services
from subsidy.accounts.access import public
from subsidy.accounts.schemas import TokenRequestSchema, TokenSchema
from subsidy.errors import Unauthorized
from subsidy.extensions import limiter
from subsidy.unit_of_work import keep_changes

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Bearer tokens for the API")


@blp.route("/token", methods=["POST"])
@public
@limiter.limit("10 per minute")
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
def issue_token(payload):
    user = services.authenticate(
        username=payload["username"], password=payload["password"], channel="api"
    )
    if user is None:
        keep_changes()  # the failed attempt stays in the log
        raise Unauthorized("wrong username or password")
    token, expires_at = services.issue_token(user=user)
    return {"token": token, "expires_at": expires_at}
