"""The application form: its fields, the numbers people type into it, and what the page says
once it is submitted."""

from __future__ import annotations

import re
from decimal import Decimal

from flask import flash
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from subsidy.applicants.queries import search_applicants
from subsidy.applications.states import Status
from subsidy.i18n import current_language, number
from subsidy.web.labels import UNIT_LABELS

# Digits, optionally grouped by spaces, and one decimal separator: what people type.
# Exponents ("1e9"), underscores and other scripts' digits are refused (Decimal() takes them).
NUMBER_RE = re.compile(r"^[0-9]+([.,][0-9]+)?$")
SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")

# More than any one farm claims: a typo's extra zeros, caught before the rules run.
PLAUSIBLE_QUANTITY = {
    "liter": Decimal(100_000_000),
    "head": Decimal(1_000_000),
    "hectare": Decimal(10_000_000),
    "tenge": Decimal(1_000_000_000_000),
}


class ApplicationForm(FlaskForm):
    program = SelectField(_l("Program"), choices=[])
    applicant = StringField(_l("Applicant IIN/BIN"), validators=[Optional(), Length(max=12)])
    quantity = StringField(_l("Quantity"), validators=[Length(max=32)])
    animals = TextAreaField(
        _l("Animal ids (per-head programs; optional, separated by spaces or commas)"),
        validators=[Length(max=40_000)],
    )
    idempotency_key = HiddenField()
    # The buttons are written in the template (<button name=check|submit>); these read them.
    check = SubmitField()
    submit = SubmitField()


def parse_number(text: str | None) -> Decimal | None:
    """A number as people type it ("12 500", "12,5"), or None when it is not one."""
    cleaned = (text or "").translate(SPACES)
    if len(cleaned) > 32 or not NUMBER_RE.match(cleaned):
        return None
    return Decimal(cleaned.replace(",", "."))


def number_field(form: FlaskForm, field: str) -> Decimal | None:
    """The number typed into ``field``; None and the field's error if it is not one."""
    value = parse_number(getattr(form, field).data)
    if value is None:
        getattr(form, field).errors = [
            gettext("Enter a number in digits, such as 12 500 or 12,5 (no exponent).")
        ]
    return value


def quantity_field(form: ApplicationForm, programs: dict[str, dict]) -> Decimal | None:
    """The quantity, refused when it is no number or more than any farm claims."""
    quantity = number_field(form, "quantity")
    program = programs.get(form.program.data or "")
    if quantity is None or program is None:
        return quantity
    most = PLAUSIBLE_QUANTITY.get(program["unit"])
    if most is not None and quantity > most:
        form.quantity.errors = [
            gettext(
                "Check the number: at most %(most)s %(unit)s can be claimed.",
                most=number(most),
                unit=UNIT_LABELS.get(program["unit"], program["unit"]),
            )
        ]
        return None
    return quantity


def flash_submitted(application, created: bool) -> None:
    """A submission that is recorded as ineligible says so: it is no success."""
    if not created:
        flash(gettext("This application was already submitted."))
    elif application.status is Status.INELIGIBLE:
        flash(
            gettext(
                "Application %(number)s was recorded as ineligible: it does not meet every "
                "condition and will not be funded. The checks below say why; you may appeal.",
                number=application.number,
            ),
            "warning",
        )
    else:
        flash(gettext("Application %(number)s submitted.", number=application.number))


def applicant_suggestions(text: str) -> dict:
    """Applicants whose IIN/BIN starts with ``text`` or whose name contains it (ten at most),
    and a sentence saying how many, for a screen reader."""
    query = text.strip()[:64]
    found = search_applicants(query, limit=10) if len(query) >= 2 else []
    items = [
        {
            "iin_bin": applicant.iin_bin,
            "name": applicant.name,
            "district": applicant.district.name(current_language()),
        }
        for applicant in found
    ]
    if items:
        summary = gettext("Applicants found: %(count)s.", count=len(items))
    else:
        summary = gettext("No applicant found.")
    return {"items": items, "summary": summary}
