from __future__ import annotations

from flask import Response, request

from subsidy.access import Role, api_user, roles
from subsidy.api_docs import Blueprint
from subsidy.applications import flags, services
from subsidy.applications.queries import (
    application_view,
    list_applications,
    list_views,
    visible_application,
)
from subsidy.applications.schemas import (
    ApplicationCreateSchema,
    ApplicationListQuerySchema,
    ApplicationPageSchema,
    ApplicationSchema,
    EligibilitySchema,
    SubmittedApplicationSchema,
    application_page_json,
)
from subsidy.audit.actions import Action
from subsidy.audit.queries import log_entry_of
from subsidy.errors import ValidationFailed
from subsidy.preconditions import ETAG_HEADER_DOC, entity_tag, with_etag

blp = Blueprint("applications", __name__, url_prefix="/applications", description="Applications")

IDEMPOTENCY_KEY_MAX = 128


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
@blp.response(201, SubmittedApplicationSchema)
def submit(payload):
    application, _ = services.submit_application(
        **payload, user=api_user(), idempotency_key=_idempotency_key()
    )
    entry = log_entry_of(f"application:{application.id}", Action.APPLICATION_SUBMITTED.value)
    return {**application_view(application), "log_entry": entry}


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
@blp.response(200, ApplicationSchema, headers=ETAG_HEADER_DOC)
def read(application_id):
    """The application; its `ETag` is the version to send back as `If-Match` with a decision
    (approve, reject), so that it is refused (412) if anything changed since."""
    view = application_view(visible_application(application_id, api_user()))
    return with_etag(view, entity_tag(view))


@blp.route("/<int(max=2147483647):application_id>/withdraw", methods=["POST"])
@roles(Role.APPLICANT)
@blp.response(200, ApplicationSchema)
def withdraw(application_id):
    user = api_user()
    application = visible_application(application_id, user)
    return application_view(services.withdraw_application(application=application, user=user))


@blp.route("/<int(max=2147483647):application_id>/flags", methods=["POST"])
@roles(Role.OFFICIAL)
@blp.response(200, ApplicationSchema)
def recompute_flags(application_id):
    """Compute the risk flags again as of today (they are advisory: never a refusal)."""
    user = api_user()
    application = visible_application(application_id, user)
    flags.recompute_flags(application=application, actor=user.actor)
    return application_view(application)
