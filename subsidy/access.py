"""Who may call what. API views authenticate with bearer tokens only (never the session cookie,
so a page cannot be tricked into calling the API); pages use the flask-login session.

Every view carries an access declaration (``public`` or ``roles(...)``); a test walks the URL map
and fails on a view without one.

This module sits below every feature (each feature's ``api.py`` uses it, and ``accounts`` is one
of them): it knows the roles but not the users' table. The app factory hands it the function that
finds the user of a bearer token (:func:`init_access`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request

from subsidy.errors import Forbidden, Unauthorized

ACCESS_ATTR = "_subsidy_access"
_BEARER_USER = "subsidy.access.bearer_user"


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    OFFICIAL = "official"
    TREASURER = "treasurer"  # releases tranches, prepares and releases payment runs
    AUDITOR = "auditor"
    ADMIN = "admin"


def init_access(app: Flask, *, bearer_user: Callable[[str], Any]) -> None:
    """``bearer_user(token)`` returns the user a token belongs to, or None."""
    app.extensions[_BEARER_USER] = bearer_user


def api_user() -> Any:
    """The user of this request's bearer token, or None (looked up once per request)."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        found = None
        if scheme.lower() == "bearer" and token:
            found = current_app.extensions[_BEARER_USER](token.strip())
        g.api_user = found
    return g.api_user


def public(view: Callable) -> Callable:
    setattr(view, ACCESS_ATTR, "public")
    return view


def roles(*allowed: Role) -> Callable[[Callable], Callable]:
    """Require a bearer token of a user in one of ``allowed``: 401 without one, 403 otherwise."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = api_user()
            if user is None:
                raise Unauthorized("a valid bearer token is required")
            if user.role not in allowed:
                raise Forbidden("your role may not do this")
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, tuple(role.value for role in allowed))
        return wrapper

    return decorate


def require_user() -> Any:
    user = api_user()
    if user is None:
        raise Unauthorized("a valid bearer token is required")
    return user


def page_roles(*allowed: Role) -> Callable[[Callable], Callable]:
    """For web pages (session cookie): anonymous -> the login form, wrong role -> 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            from flask import abort, redirect, url_for
            from flask_login import current_user

            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, tuple(role.value for role in allowed))
        return wrapper

    return decorate
