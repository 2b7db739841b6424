from __future__ import annotations

from flask import Response, request

from subsidy.accounts.access import api_user, roles
from subsidy.accounts.models import Role
from subsidy.api_docs import Blueprint
from subsidy.applications import decisions, services
from subsidy.applications.decisions import queue_position
from subsidy.applications.models import Status
from subsidy.applications.queries import (
    is_overdue,
    list_applications,
    visible_application,
)
from subsidy.applications.schemas import (
    ApplicationCreateSchema,
    ApplicationListQuerySchema,
    ApplicationPageSchema,
    ApplicationSchema,
    ApproveSchema,
    EligibilitySchema,
    RejectSchema,
    application_page_json,
)
from subsidy.decisions.queries import latest_document
from subsidy.errors import NotFound, ValidationFailed

blp = Blueprint("applications", __name__, url_prefix="/applications", description="Applications")

IDEMPOTENCY_KEY_MAX = 128


def decision_view(application) -> dict | None:
    if application.status in (Status.SUBMITTED, Status.INELIGIBLE):
        return None
    outcome = {
        Status.APPROVED: "approved",
        Status.REJECTED: "rejected",
        Status.WITHDRAWN: "withdrawn",
    }.get(application.status)
    return {
        "outcome": outcome,
        "proposed_amount": application.proposed_amount,
        "approved_amount": application.approved_amount,
        "first_approver_id": application.first_approver_id,
        "first_approved_at": application.first_approved_at,
        "decided_by_id": application.decided_by_id,
        "decided_at": application.decided_at,
        "reason": application.reject_reason,
        "comment": application.decision_comment,
    }


def _view(
    application,
    *,
    program: str,
    version: int,
    unit: str,
    applicant: dict,
    overdue: bool,
    position: int | None,
) -> dict:
    """Everything the API shows of an application but its eligibility, from a model object or a
    list row (``queries.LIST_COLUMNS``): both carry the application's own columns by name."""
    return {
        "id": application.id,
        "number": application.number,
        "status": application.status.value,
        "program": program,
        "program_version": version,
        "applicant": applicant,
        "unit": unit,
        "quantity": application.quantity,
        "rate": format(application.rate.normalize(), "f"),
        "requested_amount": application.requested_amount,
        "submitted_at": application.submitted_at,
        "submitted_on": application.submitted_on,
        "decision_due_on": application.decision_due_on,
        "overdue": overdue,
        "queue_position": position,
        "decision": decision_view(application),
    }


def application_view(application) -> dict:
    applicant = application.applicant
    view = _view(
        application,
        program=application.program.code,
        version=application.program_version.version,
        unit=application.program_version.unit,
        applicant={
            "id": applicant.id,
            "iin_bin": applicant.iin_bin,
            "kind": applicant.kind.value,
            "name": applicant.name,
            "district": applicant.district_code,
        },
        overdue=is_overdue(application),
        position=queue_position(application),
    )
    view["eligibility"] = services.evaluation_of(application)
    return view


def list_views(rows) -> list[dict]:
    """``application_view`` of each list row (``queries.list_applications``) without its
    eligibility."""
    return [
        _view(
            row,
            program=row.program,
            version=row.program_version,
            unit=row.unit,
            applicant={
                "id": row.applicant_id,
                "iin_bin": row.iin_bin,
                "kind": row.kind.value,
                "name": row.name,
                "district": row.district_code,
            },
            overdue=is_overdue(row),
            position=row.queue_position,
        )
        for row in rows
    ]


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValidationFailed.field(
            "Idempotency-Key", f"1 to {IDEMPOTENCY_KEY_MAX} printable characters"
        )
    return key


@blp.route("", methods=["POST"])
@roles(Role.APPLICANT, Role.OFFICIAL)
@blp.arguments(ApplicationCreateSchema)
@blp.response(201, ApplicationSchema)
def submit(payload):
    application, _ = services.submit_application(
        **payload, user=api_user(), idempotency_key=_idempotency_key()
    )
    return application_view(application)


@blp.route("/preview", methods=["POST"])
@roles(Role.APPLICANT, Role.OFFICIAL)
@blp.arguments(ApplicationCreateSchema)
@blp.response(200, EligibilitySchema)
def preview(payload):
    """The checks and the amount a submission would get today; nothing is stored."""
    return services.preview_application(**payload, user=api_user()).to_json()


@blp.route("", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@blp.arguments(ApplicationListQuerySchema, location="query")
@blp.response(200, ApplicationPageSchema)
def list_(query):
    rows, next_cursor = list_applications(user=api_user(), evaluation=True, **query)
    # Written directly (the schema documents it; a test holds the two equal): each row's stored
    # evaluation is already the JSON served, so it is copied in rather than parsed and dumped.
    body = application_page_json(list_views(rows), [row.evaluation for row in rows], next_cursor)
    return Response(body, mimetype="application/json")


@blp.route("/<int(max=2147483647):application_id>", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@blp.response(200, ApplicationSchema)
def read(application_id):
    return application_view(visible_application(application_id, api_user()))


@blp.route("/<int(max=2147483647):application_id>/approve", methods=["POST"])
@roles(Role.OFFICIAL)
@blp.arguments(ApproveSchema)
@blp.response(200, ApplicationSchema)
def approve(payload, application_id):
    user = api_user()
    application = visible_application(application_id, user)
    return application_view(
        decisions.approve_application(application=application, user=user, **payload)
    )


@blp.route("/<int(max=2147483647):application_id>/reject", methods=["POST"])
@roles(Role.OFFICIAL)
@blp.arguments(RejectSchema)
@blp.response(200, ApplicationSchema)
def reject(payload, application_id):
    user = api_user()
    application = visible_application(application_id, user)
    return application_view(
        decisions.reject_application(application=application, user=user, reason=payload["reason"])
    )


@blp.route("/<int(max=2147483647):application_id>/withdraw", methods=["POST"])
@roles(Role.APPLICANT)
@blp.response(200, ApplicationSchema)
def withdraw(application_id):
    user = api_user()
    application = visible_application(application_id, user)
    return application_view(services.withdraw_application(application=application, user=user))


@blp.route("/<int(max=2147483647):application_id>/decision.pdf", methods=["GET"])
@roles(Role.APPLICANT, Role.OFFICIAL, Role.AUDITOR)
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def decision_pdf(application_id):
    """The decision document exactly as issued (the same bytes every time)."""
    application = visible_application(application_id, api_user())
    document = latest_document(application.id)
    if document is None:
        raise NotFound("no decision document has been issued for this application")
    response = Response(document.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response.headers["X-Content-SHA256"] = document.pdf_sha256
    return response
