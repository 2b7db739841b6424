"""Links every page's header makes: the same page in another language, and the sign-in form
that returns to the page the reader was on.

A language link keeps the path and the query (a /verify verdict, the register's filters); on a
page answering a form (a POST), it points at the page the form was on, since the form's own
address may answer nothing to a GET."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.exceptions import HTTPException

# Pages whose own address is no place to come back to after signing in.
NOT_A_RETURN = frozenset({"accounts.login", "accounts.logout", "static"})


def _with_lang(path: str, pairs: list[tuple[str, str]], code: str) -> str:
    kept = [(key, value) for key, value in pairs if key != "lang"]
    return f"{path}?{urlencode([*kept, ('lang', code)])}"


def _answers_get(path: str) -> bool:
    adapter = current_app.url_map.bind(request.host, script_name=request.script_root or None)
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return False
    return True


def _referring_page() -> tuple[str, list[tuple[str, str]]] | None:
    """The page of this site the request came from (a form's page), if the browser said."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def language_url(code: str) -> str:
    """This page in language ``code``: path and query kept, ``lang`` replaced."""
    if request.method in ("GET", "HEAD"):
        return _with_lang(request.path, list(request.args.items(multi=True)), code)
    if _answers_get(request.path):
        return _with_lang(request.path, [], code)
    referring = _referring_page()
    if referring is not None and _answers_get(referring[0]):
        return _with_lang(*referring, code)
    return url_for("home.index", lang=code)


def login_url() -> str:
    """The sign-in form, returning to this page afterwards."""
    if request.endpoint in NOT_A_RETURN:
        target = request.args.get("next")
        return url_for("accounts.login", next=target) if target else url_for("accounts.login")
    if request.method not in ("GET", "HEAD") or request.blueprint is None:
        return url_for("accounts.login")
    return url_for("accounts.login", next=request.full_path.rstrip("?"))


def register_navigation(state) -> None:
    """Blueprint hook: the links as template globals."""
    app: Flask = state.app
    app.jinja_env.globals.update(language_url=language_url, login_url=login_url)
