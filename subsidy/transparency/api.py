from __future__ import annotations

from flask import Response

from subsidy.access import public
from subsidy.api_docs import Blueprint
from subsidy.transparency import queries
from subsidy.transparency.schemas import (
    CooperativesSchema,
    QueuePageSchema,
    QueueQuerySchema,
    RegisterPageSchema,
    RegisterQuerySchema,
    SummarySchema,
    register_page_json,
)

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
    # Written directly, as the schema documents it (a test holds the two equal): marshmallow
    # took longer than the query for a page of 50.
    return Response(register_page_json(items, next_cursor), mimetype="application/json")


@blp.route("/summary", methods=["GET"])
@public
@blp.response(200, SummarySchema)
def summary():
    """Approved money by district and by program."""
    return queries.summary()


@blp.route("/queue", methods=["GET"])
@public
@blp.arguments(QueueQuerySchema, location="query")
@blp.response(200, QueuePageSchema)
def queue(query):
    """The program's waiting list in payment order (first come, first served), with its money:
    approved applications not yet paid and waitlisted ones. Natural persons appear as initials,
    without their IIN."""
    return queries.waiting_list(**query)


@blp.route("/cooperatives", methods=["GET"])
@public
@blp.response(200, CooperativesSchema)
def cooperatives():
    """The Auyl Amanaty cooperatives: members, applications, money approved and paid, and how
    many of the planned cooperatives are registered, applied, approved and paid."""
    return queries.cooperatives()
