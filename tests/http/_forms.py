"""What the page tests read from a form, and the stored status they compare it with."""

from __future__ import annotations

import re

import sqlalchemy as sa

from subsidy.applications.models import Application, Status
from subsidy.extensions import db


def confirm_fields(html: str) -> dict[str, str]:
    """The hidden fields a confirmation step carries to its "Yes" (name → value)."""
    form = html[html.index('id="confirm-form"') :]
    form = form[: form.index("</form>")]
    fields = {}
    for tag in re.findall(r"<input [^>]+>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1)
    return fields


def application_status(application_id: int) -> Status:
    """The status as stored now (not as the test's objects remember it)."""
    db.session.expire_all()
    return db.session.execute(
        sa.select(Application.status).where(Application.id == application_id)
    ).scalar_one()
