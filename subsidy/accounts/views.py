"""The login form and the session cookie for the web pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import login_user, logout_user

from subsidy.access import public
from subsidy.accounts import services
from subsidy.accounts.forms import LoginForm
from subsidy.extensions import db, limiter, login_manager
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


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our login."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("20 per minute", methods=["POST"])
def login():
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
