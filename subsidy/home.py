"""The public start page and the health check."""

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from subsidy.accounts.access import public
from subsidy.extensions import db

bp = Blueprint("home", __name__)


@bp.route("/")
@public
def index():
    return render_template("home.html")


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})
