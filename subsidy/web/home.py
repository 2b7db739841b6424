"""The public start page and the health check."""

from decimal import Decimal

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from subsidy.access import public
from subsidy.extensions import db
from subsidy.programs.queries import current_versions, program_view
from subsidy.web.charts import percent
from subsidy.web.labels import PER_UNIT
from subsidy.web.navigation import register_navigation

bp = Blueprint("home", __name__)
bp.record_once(register_navigation)


@bp.route("/")
@public
def index():
    programs = [program_view(version) for version in current_versions()]
    for program in programs:
        program["remaining_percent"] = percent(program["remaining"], program["budget"])
        if program["rate"] is not None and program["unit"] == "tenge":
            program["rate_share"] = Decimal(program["rate"]) * 100
    open_programs = [program for program in programs if program["open"]]
    others = [program for program in programs if not program["open"]]
    return render_template("home.html", programs=open_programs, others=others, per_unit=PER_UNIT)


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})


@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers ask for it on every site whatever the page links: an icon, not a 404."""
    response = send_from_directory(
        current_app.static_folder or "static", "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
