import json
import re
from decimal import Decimal, InvalidOperation

from marshmallow import Schema, ValidationError, fields, validate

from subsidy.applicants.schemas import ApplicantBriefSchema
from subsidy.applications.models import Status
from subsidy.eligibility.flags import CODES as FLAG_CODES
from subsidy.fields import Money, money_str

STATUSES = [status.value for status in Status]
DECIMAL_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$", re.ASCII)


class Quantity(fields.Field):
    """A whole JSON number or a decimal string ("1250.5"); JSON fractions are refused because
    a float may already have changed the value."""

    def __init__(self, **kwargs):
        # What the OpenAPI description says about the wire format (a custom field has no type).
        kwargs["metadata"] = {
            "oneOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": DECIMAL_RE.pattern, "maxLength": 40},
            ],
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError('must be a whole number or a decimal string such as "12.5"')
        text = str(value).strip()
        # Plain ASCII digits only: Decimal() would also take "1E+1", "1_000" and other scripts.
        if len(text) > 40 or not DECIMAL_RE.match(text):
            raise ValidationError('must be a decimal number such as "12.5"')
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValidationError("must be a decimal number") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(value.normalize(), "f")


class ApplicationCreateSchema(Schema):
    program = fields.String(required=True, validate=validate.Length(min=1, max=64))
    applicant = fields.String(required=True, validate=validate.Length(min=1, max=32))
    # Required unless the animals are listed (a head program): then it is their number.
    quantity = Quantity(load_default=None)
    animals = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=None,
        validate=validate.Length(min=1, max=10_000),
        metadata={"description": "identified animals claimed (head programs)"},
    )


class ApplicationListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    program = fields.String(validate=validate.Length(max=64))
    district = fields.String(validate=validate.Length(max=16))
    applicant = fields.String(validate=validate.Length(max=32))
    overdue = fields.Boolean()
    flag = fields.String(validate=validate.OneOf(FLAG_CODES))
    sort = fields.String(validate=validate.OneOf(["risk"]))
    cursor = fields.Integer(validate=validate.Range(min=0, max=4 * 2**31 - 1))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CheckSchema(Schema):
    rule = fields.String(required=True)
    passed = fields.Boolean(required=True)
    detail = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    facts_used = fields.Dict(required=True)


class EligibilitySchema(Schema):
    eligible = fields.Boolean(required=True)
    rules_version = fields.String(required=True)
    on_date = fields.String(required=True)
    rate = fields.String(required=True)
    quantity = fields.String(required=True)
    amount = fields.String(required=True)
    capped = fields.Boolean(required=True)
    checks = fields.List(fields.Nested(CheckSchema), required=True)
    snapshots = fields.Dict(required=True)


class DecisionSchema(Schema):
    outcome = fields.String(allow_none=True, required=True)
    proposed_amount = Money(allow_none=True)
    approved_amount = Money(allow_none=True)
    first_approver_id = fields.Integer(allow_none=True)
    first_approved_at = fields.AwareDateTime(allow_none=True)
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    # Why the official approved despite a high risk flag.
    justification = fields.String(allow_none=True)


class PaymentSchema(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf(["scheduled", "paid", "returned"])
    )
    run = fields.Integer(required=True)
    amount = Money(required=True)
    paid_on = fields.Date(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)


class FlagSchema(Schema):
    code = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(["high", "medium", "low"]))
    detail = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    evidence = fields.Dict(required=True)


class ApplicationSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    program = fields.String(required=True)
    program_version = fields.Integer(required=True)
    applicant = fields.Nested(ApplicantBriefSchema, required=True)
    unit = fields.String(required=True)
    quantity = Quantity(required=True)
    rate = fields.String(required=True)
    requested_amount = Money(required=True)
    submitted_at = fields.AwareDateTime(required=True)
    submitted_on = fields.Date(required=True)
    decision_due_on = fields.Date(required=True)
    overdue = fields.Boolean(required=True)
    queue_position = fields.Integer(allow_none=True, required=True)
    eligibility = fields.Nested(EligibilitySchema, required=True)
    decision = fields.Nested(DecisionSchema, allow_none=True, required=True)
    # Its latest payment: scheduled in a run, paid, or returned by the bank (reason: ISO code).
    payment = fields.Nested(PaymentSchema, allow_none=True, required=True)
    # The identified animals the application claims (head programs with an animals extract).
    animals = fields.List(fields.String(), required=True)
    # Advisory risk evidence for the official, never a refusal; highest severity first.
    flags = fields.List(fields.Nested(FlagSchema), required=True)
    flags_computed_at = fields.AwareDateTime(allow_none=True, required=True)


class LogEntrySchema(Schema):
    # The id its write gave the entry in the log's queue, and its index once the sequencer
    # integrated it (null until then: GET /api/v1/audit/entries/by-id?id= answers 404 with
    # Retry-After meanwhile).
    id = fields.Integer(allow_none=True, required=True)
    index = fields.Integer(allow_none=True, required=True)


class SubmittedApplicationSchema(ApplicationSchema):
    """The application as submitted, with its submission's log entry."""

    log_entry = fields.Nested(LogEntrySchema, allow_none=True, required=True)


class ApplicationPageSchema(Schema):
    items = fields.List(fields.Nested(ApplicationSchema), required=True)
    next = fields.Integer(allow_none=True, required=True)


def application_page_json(views: list[dict], evaluations: list[str], next_cursor) -> str:
    """``ApplicationPageSchema`` of list views (``api.list_views``) as JSON text, written without
    marshmallow: each item's eligibility is its stored evaluation, already the canonical JSON of
    ``EligibilitySchema``, copied in unparsed. ``tests/http`` holds it equal to the schema."""
    items = []
    for view, evaluation in zip(views, evaluations, strict=True):
        text = json.dumps(_plain_view(view), ensure_ascii=False, separators=(",", ":"))
        items.append(f'{text[:-1]},"eligibility":{evaluation}}}')
    return f'{{"items":[{",".join(items)}],"next":{json.dumps(next_cursor)}}}'


def _plain_view(view: dict) -> dict:
    """The view's values as ``ApplicationSchema`` writes them."""
    decision = view["decision"]
    return {
        **view,
        "quantity": format(view["quantity"].normalize(), "f"),
        "requested_amount": money_str(view["requested_amount"]),
        "submitted_at": view["submitted_at"].isoformat(),
        "submitted_on": view["submitted_on"].isoformat(),
        "decision_due_on": view["decision_due_on"].isoformat(),
        "flags": [{k: v for k, v in flag.items() if k != "computed_at"} for flag in view["flags"]],
        "flags_computed_at": _iso(view["flags_computed_at"]),
        "payment": None
        if view["payment"] is None
        else {
            **view["payment"],
            "amount": money_str(view["payment"]["amount"]),
            "paid_on": _iso(view["payment"]["paid_on"]),
        },
        "decision": None
        if decision is None
        else {
            **decision,
            "proposed_amount": money_str(decision["proposed_amount"]),
            "approved_amount": money_str(decision["approved_amount"]),
            "first_approved_at": _iso(decision["first_approved_at"]),
            "decided_at": _iso(decision["decided_at"]),
        },
    }


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()
