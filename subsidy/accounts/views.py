"""The login form and the session cookie for the web pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext, refresh
from flask_login import login_user, logout_user

from subsidy.access import public
from subsidy.accounts import login_guard, services, sessions
from subsidy.accounts.forms import LoginForm
from subsidy.extensions import login_manager
from subsidy.i18n import LANGUAGES
from subsidy.unit_of_work import keep_changes

bp = Blueprint("accounts", __name__)


SESSION_KEY = "sid"  # the session's secret in the signed cookie; its hash is the row's key


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")


@login_manager.user_loader
def load_user(user_id: str):
    """The user of this cookie's server-side session, while it lives (subsidy.accounts.sessions):
    a cookie kept after logout, a password, role or account change, or copied into another
    browser signs nobody in."""
    row = sessions.live_session(session.get(SESSION_KEY), user_agent=_user_agent())
    if row is None or str(row.user_id) != user_id:
        return None
    return row.user


@bp.app_context_processor
def navigation() -> dict:
    """Who is signed in, as plain values taken when rendering starts: a streamed page keeps
    rendering after the request's session has committed and let its objects go."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return {"nav_user": None}
    return {"nav_user": {"username": current_user.username, "role": current_user.role.value}}


def _local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: an open redirect would let a phishing
    link borrow our login. Refused: another scheme or host, "//host" and "/\\host" (browsers
    read a backslash as a slash), and any control character (CR/LF would split the header)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith(("//", "/\\")) or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in parts.path:
        return None
    return target


def _safe_next(target: str | None) -> str:
    return _local_path(target) or url_for("home.index")


def _speak_the_language_of(target: str | None) -> None:
    """A link like /applications?lang=kk sends an anonymous reader here: the form is in the
    language that link asked for (the page itself would have remembered it)."""
    path = _local_path(target)
    if path is None or request.args.get("lang"):
        return
    asked = parse_qs(urlsplit(path).query).get("lang", [""])[-1]
    if asked in LANGUAGES and session.get("lang") != asked:
        session["lang"] = asked
        refresh()


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    _speak_the_language_of(request.args.get("next"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form, error=None), 200
    username = form.username.data
    client = login_guard.client_for(username)
    outcome = services.authenticate(
        username=username, password=form.password.data, channel="web", client=client
    )
    if outcome.retry_after is not None:
        minutes = -(-outcome.retry_after // 60)
        error = gettext(
            "Too many failed sign-in attempts. Try again in %(minutes)s min.", minutes=minutes
        )
        page = render_template("accounts/login.html", form=form, error=error)
        return page, 429, {"Retry-After": str(outcome.retry_after)}
    if outcome.user is None:
        keep_changes()  # the failed attempt stays in the log, and counts
        error = gettext("Wrong username or password.")
        return render_template("accounts/login.html", form=form, error=error), 401
    secret = services.sign_in_web(user=outcome.user, user_agent=_user_agent())
    login_user(outcome.user)
    session[SESSION_KEY] = secret
    session.permanent = True  # the cookie's lifetime; the server-side row decides sooner
    response = redirect(_safe_next(request.args.get("next")))
    login_guard.remember_device(response, username, client)
    return response


@bp.route("/logout", methods=["POST"])
@public
def logout():
    services.sign_out_web(secret=session.get(SESSION_KEY), user_agent=_user_agent())
    logout_user()
    session.pop(SESSION_KEY, None)
    return redirect(url_for("home.index"))
