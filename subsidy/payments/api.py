"""The payments API: tranches, payment runs, their ISO 20022 documents and status reports."""

from __future__ import annotations

from flask import Response, request

from subsidy.access import Role, api_user, roles
from subsidy.api_docs import Blueprint
from subsidy.errors import ValidationFailed
from subsidy.payments import queries, services
from subsidy.payments.schemas import (
    RunInSchema,
    RunListQuerySchema,
    RunListSchema,
    RunSchema,
    StatusReportOutcomeSchema,
    TrancheCreatedSchema,
    TrancheInSchema,
    TrancheSchema,
)
from subsidy.preconditions import (
    ETAG_HEADER_DOC,
    entity_tag,
    honours_if_match,
    if_match_header,
    with_etag,
)
from subsidy.programs.queries import program_by_code

tranches_blp = Blueprint(
    "tranches", __name__, url_prefix="/programs", description="Money released for programs"
)
blp = Blueprint(
    "payment_runs", __name__, url_prefix="/payment-runs", description="Payment runs in queue order"
)

XML_TYPES = ("application/xml", "text/xml")
RUN_ID = "<int(max=2147483647):run_id>"


@tranches_blp.route("/<string:code>/tranches", methods=["POST"])
@roles(Role.TREASURER)
@tranches_blp.arguments(TrancheInSchema)
@tranches_blp.response(201, TrancheCreatedSchema)
def release_tranche(payload, code):
    """Money the treasury released for the program; released in all never exceeds the budget
    (409)."""
    program = program_by_code(code)
    tranche = services.release_tranche(program=program, user=api_user(), **payload)
    return {
        "tranche": queries.list_tranches(program)[0] | {"id": tranche.id},
        "money": queries.money_view(program),
    }


@tranches_blp.route("/<string:code>/tranches", methods=["GET"])
@roles(Role.TREASURER, Role.AUDITOR)
@tranches_blp.response(200, TrancheSchema(many=True))
def list_tranches(code):
    return queries.list_tranches(program_by_code(code))


@blp.route("", methods=["POST"])
@roles(Role.TREASURER)
@blp.arguments(RunInSchema)
@blp.response(201, RunSchema)
def prepare(payload):
    """Prepare a run: the program's approved applications in queue order while they fit in the
    money released; those without a valid bank account are `skipped` and keep their place.
    409 `nothing_to_pay` when not even the first fits."""
    program = program_by_code(payload["program"], field="program")
    preparation = services.prepare_run(program=program, user=api_user())
    view = queries.run_view(preparation.run)
    waiting = preparation.waiting
    view["waiting"] = (
        None
        if waiting is None
        else {
            "application": waiting["application"].id,
            "number": waiting["application"].number,
            "amount": f"{waiting['amount']:.2f}",
            "available": f"{preparation.available - preparation.run.total_amount:.2f}",
        }
    )
    return view


@blp.route("", methods=["GET"])
@roles(Role.TREASURER, Role.AUDITOR)
@blp.arguments(RunListQuerySchema, location="query")
@blp.response(200, RunListSchema)
def list_runs(query):
    program = program_by_code(query["program"], field="program") if query.get("program") else None
    return {"items": queries.list_runs(program=program), "next": None}


@blp.route(f"/{RUN_ID}", methods=["GET"])
@roles(Role.TREASURER, Role.AUDITOR)
@blp.response(200, RunSchema, headers=ETAG_HEADER_DOC)
def read(run_id):
    """One run; its `ETag` is the version to send back as `If-Match` to release or cancel it."""
    view = queries.run_view(queries.get_run(run_id))
    return with_etag(view, entity_tag(view))


@blp.route(f"/{RUN_ID}/release", methods=["POST"])
@roles(Role.TREASURER)
@blp.response(200, RunSchema)
@honours_if_match(blp)
def release(run_id):
    """Release a prepared run (by a treasurer other than the one who prepared it, else 403): its
    pain.001.001.09 document is rendered once and stored, its SHA-256 logged. With `If-Match`
    (the `ETag` of `GET /payment-runs/{id}`): 412 if the run changed since."""
    run = services.release_run(run_id=run_id, user=api_user(), if_match=if_match_header())
    return queries.run_view(run)


@blp.route(f"/{RUN_ID}/cancel", methods=["POST"])
@roles(Role.TREASURER)
@blp.response(200, RunSchema)
@honours_if_match(blp)
def cancel(run_id):
    """Cancel a prepared run: its applications go back to the queue in their places;
    `If-Match` as for a release."""
    run = services.cancel_run(run_id=run_id, user=api_user(), if_match=if_match_header())
    return queries.run_view(run)


@blp.route(f"/{RUN_ID}/pain.001.xml", methods=["GET"])
@roles(Role.TREASURER, Role.AUDITOR)
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/xml")
def document(run_id):
    """The run's ISO 20022 credit transfer initiation, byte-identical every time."""
    data, sha256 = queries.run_document(run_id)
    response = Response(data, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="RUN-{run_id}.pain.001.xml"'
    response.headers["X-Content-SHA256"] = sha256
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@blp.route(f"/{RUN_ID}/status", methods=["POST"])
@roles(Role.TREASURER)
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/xml": {
                "schema": {
                    "type": "string",
                    "description": "ISO 20022 pain.002.001.10 (CstmrPmtStsRpt)",
                }
            }
        },
    }
)
@blp.response(200, StatusReportOutcomeSchema)
def status_report(run_id):
    """Apply the bank's ISO 20022 pain.002.001.10 status report (body: `application/xml`).
    The same report twice changes nothing (`applied: false`); an end-to-end id that is not in
    the run is refused (422 naming it) and nothing is written."""
    if request.mimetype not in XML_TYPES:
        raise ValidationFailed.field("Content-Type", "send the status report as application/xml")
    outcome = services.apply_status_report(
        run_id=run_id, data=request.get_data(cache=False), actor=api_user().actor
    )
    return {
        "run": queries.run_view(outcome.run),
        "applied": outcome.applied,
        "paid": outcome.paid,
        "returned": outcome.returned,
        "pending": outcome.pending,
    }
