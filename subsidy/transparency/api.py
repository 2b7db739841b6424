from __future__ import annotations

from subsidy.accounts.access import public
from subsidy.api_docs import Blueprint
from subsidy.transparency import queries
from subsidy.transparency.schemas import RegisterPageSchema, RegisterQuerySchema, SummarySchema

blp = Blueprint(
    "transparency", __name__, url_prefix="/transparency", description="The public register"
)


@blp.route("/decisions", methods=["GET"])
@public
@blp.arguments(RegisterQuerySchema, location="query")
@blp.response(200, RegisterPageSchema)
def decisions(query):
    """Decisions, newest first. Natural persons appear as initials, without their IIN."""
    items, next_cursor = queries.register_page(**query)
    return {"items": items, "next": next_cursor}


@blp.route("/summary", methods=["GET"])
@public
@blp.response(200, SummarySchema)
def summary():
    """Approved money by district and by program."""
    return queries.summary()
