"""While the database cannot be reached, every request answers 503 with ``Retry-After``.

The refusal is logged as one line (method, path, the driver's reason), not a traceback per
request: during an outage every request fails the same way, and a page of traceback each would
bury the line that says why. Nothing is kept between requests: the pool (``pool_pre_ping``)
opens a new connection on the next request, so the service recovers by itself once the
database answers again.

Counted as the database being unavailable: SQLAlchemy's ``OperationalError`` (connection
refused or lost, the server shutting down, SQLite's file unreadable or locked, a statement
cancelled or a serialization failure — all worth trying again later), ``InterfaceError`` (a
connection already closed) and ``TimeoutError`` (no pooled connection free in time). A
constraint that refuses a row (``IntegrityError``) is a conflict, answered elsewhere.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy import exc

from subsidy.errors import error_body

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
MESSAGE = "the database is unavailable; try again in a few seconds"
# Pages: no template (the layout itself asks the database who is signed in), three languages.
PAGE = (
    "<!doctype html><meta charset=utf-8><title>503</title>"
    "<p lang=kk>Қызмет уақытша қолжетімсіз. Бірнеше секундтан кейін қайталаңыз.</p>"
    "<p lang=ru>Сервис временно недоступен. Повторите через несколько секунд.</p>"
    "<p lang=en>The service is unavailable for a moment. Try again in a few seconds.</p>"
)


def _reason(error: Exception) -> str:
    """The driver's own message on one line (psycopg's spans several)."""
    original = getattr(error, "orig", None) or error
    return " ".join(str(original).split()) or type(original).__name__


def _machine_client() -> bool:
    return request.path.startswith(("/api/", "/log/")) or request.path == "/healthz"


def database_unavailable(error: Exception):
    current_app.logger.error(
        "database unavailable: %s %s: %s", request.method, request.path, _reason(error)
    )
    if _machine_client():
        response = jsonify(error_body("unavailable", MESSAGE))
    else:
        response = Response(PAGE, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _retry_after(response: Response) -> Response:
    # A 503 answered by a view itself (``/healthz``) tells the client when to come back too.
    if response.status_code == 503:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response


def register_outage_handler(app: Flask) -> None:
    for error_class in UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)
    app.after_request(_retry_after)
