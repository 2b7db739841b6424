"""Who may call what. API views authenticate with bearer tokens only (never the session cookie,
so a page cannot be tricked into calling the API); pages use the flask-login session.

Every view carries an access declaration (``public`` or ``roles(...)``); a test walks the URL map
and fails on a view without one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from subsidy.accounts.models import Role, User
from subsidy.errors import Forbidden, Unauthorized

ACCESS_ATTR = "_subsidy_access"


def api_user() -> User | None:
    if "api_user" not in g:
        from subsidy.accounts.services import user_for_token

        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.api_user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
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


def require_user() -> User:
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
