"""Recovery cases: lists for enforcement, the notice, repayments."""

from __future__ import annotations

from subsidy.access import Role, api_user, roles
from subsidy.api_docs import Blueprint
from subsidy.decisions.http import pdf_response
from subsidy.obligations import queries, services
from subsidy.obligations.schemas import (
    RecoveryListQuerySchema,
    RecoveryListSchema,
    RecoverySchema,
    RepaymentInSchema,
)

blp = Blueprint(
    "recoveries", __name__, url_prefix="/recoveries", description="Recovery of breached subsidies"
)
CASE_ID = "<int(max=2147483647):case_id>"
READERS = (Role.APPLICANT, Role.OFFICIAL, Role.TREASURER, Role.AUDITOR)


@blp.route("", methods=["GET"])
@roles(*READERS)
@blp.arguments(RecoveryListQuerySchema, location="query")
@blp.response(200, RecoveryListSchema)
def list_(query):
    """Cases, earliest due first (`status=overdue`: open past their due date, for
    enforcement); an applicant sees its own."""
    return {"items": queries.list_cases(user=api_user(), **query), "next": None}


@blp.route(f"/{CASE_ID}", methods=["GET"])
@roles(*READERS)
@blp.response(200, RecoverySchema)
def read(case_id):
    return queries.case_view(queries.visible_case(case_id, api_user()))


@blp.route(f"/{CASE_ID}/notice.pdf", methods=["GET"])
@roles(*READERS)
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def notice(case_id):
    """The bilingual recovery notice as issued."""
    return pdf_response(queries.recovery_document(case_id, api_user()))


@blp.route(f"/{CASE_ID}/repayments", methods=["POST"])
@roles(Role.TREASURER)
@blp.arguments(RepaymentInSchema)
@blp.response(201, RecoverySchema)
def repay(payload, case_id):
    """Record money repaid; the case is `repaid` once repayments reach its amount."""
    queries.visible_case(case_id, api_user())
    services.record_repayment(case_id=case_id, user=api_user(), **payload)
    return queries.case_view(queries.visible_case(case_id, api_user()))
