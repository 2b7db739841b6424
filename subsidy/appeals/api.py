"""Appeals: filed by the applicant, decided by an official who took no part in the decision."""

from __future__ import annotations

from subsidy.access import Role, api_user, roles
from subsidy.api_docs import Blueprint
from subsidy.appeals import queries, services
from subsidy.appeals.schemas import (
    AppealInSchema,
    AppealListQuerySchema,
    AppealListSchema,
    AppealSchema,
    DecideInSchema,
)
from subsidy.applications.queries import visible_application
from subsidy.decisions.http import pdf_response
from subsidy.obligations.queries import visible_case
from subsidy.preconditions import (
    ETAG_HEADER_DOC,
    entity_tag,
    honours_if_match,
    if_match_header,
    with_etag,
)

blp = Blueprint("appeals", __name__, url_prefix="/appeals", description="Appeals")
filing_blp = Blueprint("appeal_filing", __name__, url_prefix="", description="Filing appeals")
APPEAL_ID = "<int(max=2147483647):appeal_id>"


@filing_blp.route("/applications/<int(max=2147483647):application_id>/appeals", methods=["POST"])
@roles(Role.APPLICANT)
@filing_blp.arguments(AppealInSchema)
@filing_blp.response(201, AppealSchema)
def appeal_application(payload, application_id):
    """Appeal a rejection or an ineligible result, within 3 months of its issue (409 later, or
    while another appeal of it is open); answered within 5 working days."""
    application = visible_application(application_id, api_user())
    target = services.appealable_application(application)
    return queries.appeal_view(services.file_appeal(target=target, user=api_user(), **payload))


@filing_blp.route("/recoveries/<int(max=2147483647):case_id>/appeals", methods=["POST"])
@roles(Role.APPLICANT)
@filing_blp.arguments(AppealInSchema)
@filing_blp.response(201, AppealSchema)
def appeal_recovery(payload, case_id):
    """Appeal a recovery notice, within 3 months of its issue."""
    target = services.appealable_recovery(visible_case(case_id, api_user()))
    return queries.appeal_view(services.file_appeal(target=target, user=api_user(), **payload))


@blp.route("", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@blp.arguments(AppealListQuerySchema, location="query")
@blp.response(200, AppealListSchema)
def list_(query):
    """Appeals, earliest due first; `overdue=true`: open past their due day."""
    return {"items": queries.list_appeals(user=api_user(), **query), "next": None}


@blp.route(f"/{APPEAL_ID}", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@blp.response(200, AppealSchema, headers=ETAG_HEADER_DOC)
def read(appeal_id):
    """One appeal; its `ETag` is the version to send back as `If-Match` when deciding it."""
    view = queries.appeal_view(queries.visible_appeal(appeal_id, api_user()))
    return with_etag(view, entity_tag(view))


@blp.route(f"/{APPEAL_ID}/decide", methods=["POST"])
@roles(Role.OFFICIAL)
@blp.arguments(DecideInSchema)
@blp.response(200, AppealSchema)
@honours_if_match(blp)
def decide(payload, appeal_id):
    """Grant or dismiss (an official who took part in the appealed decision gets 403). Granted:
    the application is evaluated again and, if eligible, is submitted again in its original
    place; a recovery is cancelled. An appeal decision PDF is issued either way. With
    `If-Match` (the `ETag` of `GET /appeals/{id}`): 412 if the appeal changed since."""
    queries.visible_appeal(appeal_id, api_user())
    decided = services.decide_appeal(
        appeal_id=appeal_id, user=api_user(), if_match=if_match_header(), **payload
    )
    return queries.appeal_view(decided.appeal)


@blp.route(f"/{APPEAL_ID}/decision.pdf", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def decision_pdf(appeal_id):
    return pdf_response(queries.appeal_document(appeal_id, api_user()))
