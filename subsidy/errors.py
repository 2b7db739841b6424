"""Domain errors and their one mapping to HTTP responses and CLI exits.

Services raise these; views and commands never build error responses themselves.
"""

from __future__ import annotations

from collections.abc import Callable

import marshmallow as ma
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A refusal. ``message`` and ``errors`` stay the service's plain English: the API's body and
    the CLI's line as they are; a page translates them (:mod:`subsidy.web.messages`)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    def one_line(self) -> str:
        if self.errors:
            field, messages = next(iter(self.errors.items()))
            return f"{field}: {messages[0]}"
        return self.message


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls(f"{name}: {message}", {name: [message]})


class Malformed(DomainError):
    status = 400
    code = "malformed"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def parse_enum(enum_class, value, field: str):
    """The member of ``enum_class`` whose value is ``value``, or a 422 listing the choices."""
    try:
        return enum_class(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_class)
        raise ValidationFailed.field(field, f"must be one of {allowed}") from None


_HTTP_CODES = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",  # as subsidy.outage answers a database outage
}


class ErrorSchema(ma.Schema):
    """The body of every refusal, documented once for every error status of the API."""

    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), required=True
    )


def error_body(code: str, message: str, errors: dict | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or {}}


def _flatten_webargs(messages: dict) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"name": [...]}}); the contract names fields."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            flat.setdefault(prefix or "_schema", []).extend(value)
        else:
            flat.setdefault(prefix or "_schema", []).append(str(value))

    for location, fields in messages.items():
        walk("", fields if isinstance(fields, dict) else {location: fields})
    return flat


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _machine_path() -> bool:
    """The log's tiles and notes answer their clients in plain text (subsidy.audit.log_http)."""
    return request.path.startswith("/log/")


# Draws the page for a refusal of a page request: (status, the error, a body's field errors).
PageRenderer = Callable[[int, Exception, dict], ResponseReturnValue]


def register_error_handlers(app: Flask, *, page: PageRenderer | None = None) -> None:
    """One mapping for every refusal: JSON ``{code, message, errors}`` for the API, whose
    ``message`` stays the service's English (scripts, logs and the CLI read the same text);
    for a page, ``page`` draws it in the site's layout and the reader's language."""

    def for_page(status: int, error: Exception, errors: dict | None = None):
        if page is None or _wants_json() or _machine_path():
            return None
        return page(status, error, errors or {})

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        shown = for_page(error.status, error)
        if shown is not None:
            return shown
        return jsonify(error_body(error.code, error.message, error.errors)), error.status

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        status = error.code or 500
        code = _HTTP_CODES.get(status, "error")
        data = getattr(error, "data", None) or {}
        errors = _flatten_webargs(data["messages"]) if "messages" in data else {}
        if status == 422 and errors:
            field, msgs = next(iter(errors.items()))
            message = f"{field}: {msgs[0]}"
        else:
            message = error.description or error.name
        if not _wants_json():
            # A routing redirect (a missing trailing slash) is no refusal: it stays as it is.
            shown = for_page(status, error, errors) if status >= 400 else None
            if shown is not None:
                return shown
            return error.get_response() if status != 422 else (message, status)
        response = jsonify(error_body(code, message, errors))
        response.status_code = status
        return response

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):
        # Services check what they can first; this answers a race they could not see.
        app.logger.warning("integrity error: %s", error.orig)
        shown = for_page(409, error)
        if shown is not None:
            return shown
        return jsonify(error_body("conflict", "the request conflicts with stored data")), 409

    @app.errorhandler(OverflowError)
    def handle_overflow(error: OverflowError):
        # A number too large for the database slipped past a bound: the client's input.
        app.logger.warning("number out of range: %s", error)
        shown = for_page(422, error)
        if shown is not None:
            return shown
        return jsonify(error_body("validation_error", "a number is out of range")), 422

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        app.logger.exception("unhandled error")
        shown = for_page(500, error)
        if shown is not None:
            return shown
        return jsonify(error_body("internal_error", "internal error")), 500
