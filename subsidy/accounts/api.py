from __future__ import annotations

from flask import after_this_request, request
from werkzeug.exceptions import TooManyRequests

from subsidy.access import Role, api_user, public, roles
from subsidy.accounts import login_guard, services, sessions
from subsidy.accounts.schemas import MeSchema, TokenListSchema, TokenRequestSchema, TokenSchema
from subsidy.api_docs import Blueprint
from subsidy.applicants.queries import bank_account_view
from subsidy.errors import Unauthorized
from subsidy.unit_of_work import keep_changes

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Bearer tokens for the API")


@blp.route("/token", methods=["POST"])
@public
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def issue_token(payload):
    """A bearer token. Failed attempts are throttled per account and per address
    (docs/accounts.md): 429 with Retry-After, and the attempt is not checked."""
    username = payload["username"]
    client = login_guard.client_for(username)
    outcome = services.authenticate(
        username=username, password=payload["password"], channel="api", client=client
    )
    if outcome.retry_after is not None:
        _retry_after(outcome.retry_after)
        raise TooManyRequests(
            f"too many failed sign-in attempts: try again in {outcome.retry_after} seconds"
        )
    if outcome.user is None:
        keep_changes()  # the failed attempt stays in the log, and counts
        raise Unauthorized("wrong username or password")
    token, expires_at = services.issue_token(user=outcome.user)

    @after_this_request
    def device(response):
        login_guard.remember_device(response, username, client)
        return response

    return {"token": token, "expires_at": expires_at}


def _retry_after(seconds: int) -> None:
    @after_this_request
    def header(response):
        response.headers["Retry-After"] = str(seconds)
        return response


def _presented_token() -> str:
    return request.headers.get("Authorization", "").partition(" ")[2].strip()


@blp.route("/token", methods=["DELETE"])
@roles(*Role)
@blp.response(204)
def revoke_token():
    """End the bearer token this request presents (its other tokens stay)."""
    services.revoke_token(token=_presented_token(), actor=api_user().actor)


@blp.route("/tokens", methods=["GET"])
@roles(*Role)
@blp.response(200, TokenListSchema)
def list_tokens():
    """The caller's live tokens (never their secrets); ``current`` marks the one presented."""
    presented = sessions.token_row(_presented_token())
    return {
        "items": [
            {
                "id": row.id,
                "created_at": row.created_at,
                "expires_at": row.expires_at,
                "last_used_at": row.last_used_at,
                "current": presented is not None and row.id == presented.id,
            }
            for row in sessions.live_tokens(api_user())
        ]
    }


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
