"""The login form and the session cookie for the web pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext, refresh
from flask_login import login_user, logout_user

from subsidy.access import public
from subsidy.accounts import services
from subsidy.accounts.forms import LoginForm
from subsidy.extensions import db, limiter, login_manager
from subsidy.i18n import LANGUAGES
from subsidy.unit_of_work import keep_changes

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    from subsidy.accounts.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


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
@limiter.limit("20 per minute", methods=["POST"])
def login():
    _speak_the_language_of(request.args.get("next"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(
            username=form.username.data, password=form.password.data, channel="web"
        )
        if user is not None:
            login_user(user)
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME (8 hours)
            return redirect(_safe_next(request.args.get("next")))
        keep_changes()
        error = gettext("Wrong username or password.")
    status = 401 if error else 200
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@public
def logout():
    logout_user()
    return redirect(url_for("home.index"))
