"""Refuse hostile input once for every route, before any view, schema or parser reads it.

- Bodies are bounded by route (:func:`body_limit`): a few KB where a login or a hash is all a
  route takes, the upload limit where a PDF or a bank's status report is sent, 1 MB elsewhere;
  ``MAX_CONTENT_LENGTH`` stays the ceiling of them all. The bound is the request's own
  ``max_content_length`` (:class:`BoundedRequest`), so whoever reads the body first (this guard,
  the CSRF check, webargs) reads no more than it; a declared ``Content-Length`` above it is
  refused before a byte is read.
- A JSON body is parsed here first, within depth, size and number limits
  (:mod:`subsidy.json_limits`); webargs parses it again only once it has passed them.
- Text no field takes (:mod:`subsidy.text_guard`: NUL, lone surrogates, invisible format
  characters) is refused in every path, query, header, form and JSON field, naming the field.
  A password may hold a format character: it is never shown, and refusing it would lock out
  whoever chose one.
- A ``Host`` outside ``TRUSTED_HOSTS`` gets a plain 400 from here, without the pages' layout
  (which would build URLs from that very host).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, Request, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import SecurityError

from subsidy import json_limits, text_guard
from subsidy.decisions.http import MAX_UPLOAD
from subsidy.errors import DomainError, Malformed, ValidationFailed, error_body

SMALL_BODY = 4 * 1024
UPLOAD_BODY = MAX_UPLOAD + 64 * 1024  # the file and the parts around it (CSRF token, field names)
DEFAULT_BODY = 1024 * 1024  # an application listing 10,000 animals is about 400 KB
MAX_FORM_FIELDS = 1000  # as Flask's MAX_FORM_PARTS for multipart, for urlencoded forms too

# Routes whose whole body is a few fields: the token, the login form, a decision's hash.
SMALL_ROUTES = frozenset(
    {"auth.issue_token", "accounts.login", "documents.verify", "verify.verify_page"}
)
# Routes that take a file (a decision PDF to verify, a bank's ISO 20022 status report); verify
# takes its hash as a small body otherwise.
UPLOAD_ROUTES = frozenset({"documents.verify", "verify.verify_page"})
REPORT_ROUTES = frozenset({"payment_runs.status_report", "payments.status_report"})


def body_limit(endpoint: str | None, mimetype: str) -> int:
    """The most bytes a body to ``endpoint`` may have, by what it is sent as."""
    if endpoint in REPORT_ROUTES or (
        endpoint in UPLOAD_ROUTES and mimetype == "multipart/form-data"
    ):
        return UPLOAD_BODY
    if endpoint in SMALL_ROUTES:
        return SMALL_BODY
    return DEFAULT_BODY


class BoundedRequest(Request):
    """A request that reads at most its route's :func:`body_limit` (routing has matched it
    before anything reads the body)."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        limit = body_limit(self.endpoint, self.mimetype)
        ceiling = super().max_content_length
        return limit if ceiling is None else min(limit, ceiling)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


class BodyTooLarge(DomainError):
    status = 413
    code = "too_large"


def _size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit // 1024} KB"


def bound_body() -> None:
    limit = request.max_content_length
    declared = request.content_length
    if limit is not None and declared is not None and declared > limit:
        message = f"larger than {_size_text(limit)}, the most this route takes"
        raise BodyTooLarge(f"_body: {message}", {"_body": [message]})


def _is_secret(path: str) -> bool:
    return "password" in path.rpartition(".")[2].lower()


def _text_problems(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(field, message) for each refused text in a value of a body, query or form."""
    if isinstance(value, str):
        message = text_guard.problem(value, secret=_is_secret(path))
        if message is not None:
            yield path or "_body", message
    elif isinstance(value, dict):
        for key, inner in value.items():
            key_text = text_guard.shown(str(key))
            key_path = f"{path}.{key_text}" if path else key_text
            message = text_guard.problem(str(key))
            if message is not None:
                yield key_path, f"the field's name {message}"
            yield from _text_problems(inner, key_path)
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            yield from _text_problems(inner, f"{path}[{position}]")


def _fields(multi: MultiDict) -> dict[str, Any]:
    """A query's or form's fields by name, a field sent twice as its list of values."""
    return {key: values[0] if len(values) == 1 else values for key, values in multi.lists()}


def _json_body() -> Any:
    """The JSON body within :mod:`subsidy.json_limits`, or None (none, or not JSON: webargs
    answers that one with its own 400)."""
    if not request.is_json:
        return None
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        return json_limits.loads(data)
    except json_limits.JSONLimitError as error:
        raise Malformed(f"json: {error.message}", {"json": [error.message]}) from None
    except ValueError:
        return None


def check_request_text() -> None:
    sources: list[Any] = [request.view_args or {}, _fields(request.args)]
    if "Idempotency-Key" in request.headers:
        sources.append({"Idempotency-Key": request.headers["Idempotency-Key"]})
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if sum(1 for _ in request.form.items(multi=True)) > MAX_FORM_FIELDS:
            message = f"more than {MAX_FORM_FIELDS} form fields"
            raise BodyTooLarge(f"_body: {message}", {"_body": [message]})
        sources.append(_fields(request.form))
    body = _json_body()
    if body is not None:
        sources.append(body if isinstance(body, dict) else {"": body})
    for source in sources:
        for field, message in _text_problems(source, ""):
            raise ValidationFailed.field(field, message)


def _untrusted_host(error: SecurityError):
    message = "the Host header names a host this service does not answer to"
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify(error_body("malformed", message)), 400
    return message, 400, {"Content-Type": "text/plain; charset=utf-8"}


def register_input_guard(app: Flask) -> None:
    app.request_class = BoundedRequest
    # First of all hooks: the CSRF check reads the form, and must not read an oversized one.
    app.before_request_funcs.setdefault(None, []).insert(0, bound_body)
    app.before_request(check_request_text)
    app.register_error_handler(SecurityError, _untrusted_host)
