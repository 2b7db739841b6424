"""The pages a refusal or a failure shows when a page (not the JSON API) was asked for: the site's
header and language menu, a title and a sentence in the reader's language, what the reader can
do next. ``subsidy.errors`` decides page or JSON and calls :func:`render_error_page`."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from subsidy.errors import DomainError
from subsidy.extensions import db
from subsidy.i18n import current_language
from subsidy.web.messages import refusal_line

# (title, what it means for the reader) by status.
PAGES = {
    400: (_l("The request could not be read"), _l("Go back to the page and try again.")),
    403: (
        _l("Access denied"),
        _l("Your account may not open this page. Sign in with another account if you have one."),
    ),
    404: (
        _l("Page not found"),
        _l("The address may be mistyped, or the page no longer exists."),
    ),
    405: (
        _l("This page cannot be opened this way"),
        _l("It answers only a form sent from the site: go back and use the page's buttons."),
    ),
    409: (_l("Not possible now"), _l("The record changed meanwhile: open it again.")),
    413: (_l("The file is too large"), _l("Choose a smaller file.")),
    422: (_l("Check what you entered"), _l("Go back to the form and correct it.")),
    429: (_l("Too many attempts"), _l("Wait a minute, then try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing was saved. Try again in a few minutes; if it happens again, tell the office."),
    ),
}
EXPIRED = _l("The form has expired; reload the page and try again.")


def _detail(status: int, error: Exception | None, errors: dict | None) -> str | None:
    """The one line that says what was refused, when there is more to say than the title."""
    if isinstance(error, CSRFError):
        return str(EXPIRED)
    if isinstance(error, DomainError):
        return refusal_line(error)
    if errors:
        name, messages = next(iter(errors.items()))
        return refusal_line(DomainError(f"{name}: {messages[0]}", errors))
    return None


def render_error_page(status: int, error: Exception | None = None, errors: dict | None = None):
    """The page for ``status``; ``error`` the refusal or the exception, ``errors`` a body's field
    errors (webargs). A failure while drawing the site's layout (the database gone) falls back to
    a page without it."""
    title, text = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    headers = _kept_headers(error)
    if status >= 500:
        db.session.rollback()  # the layout reads the signed-in user: not in a failed transaction
    try:
        body = render_template(
            "errors/error.html",
            status=status,
            title=title,
            text=text,
            detail=_detail(status, error, errors),
        )
    except Exception:
        current_app.logger.exception("the error page could not be drawn")
        body = _bare_page(status, str(title), str(text))
    return body, status, headers


def _kept_headers(error: Exception | None) -> list[tuple[str, str]]:
    """What the answer must still say: ``Allow`` for a 405, ``Retry-After`` for a 429."""
    if not isinstance(error, HTTPException):
        return []
    return [
        (name, value)
        for name, value in error.get_headers()
        if name.lower() in ("allow", "retry-after")
    ]


def _bare_page(status: int, title: str, text: str) -> str:
    return (
        f'<!doctype html><html lang="{escape(current_language())}"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(text)}</p>"
        f'<p><a href="/">{escape(gettext("To the home page"))}</a></p>'
    )
