"""The current program versions as the pages show them."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.extensions import db
from subsidy.programs.models import Program, ProgramVersion
from subsidy.programs.queries import current_versions


def current_programs() -> list[ProgramVersion]:
    """``current_versions()`` with their programs already in the session: one query for all of
    them, instead of one for each version when a page reads ``version.program``."""
    programs = db.session.execute(sa.select(Program)).scalars().all()  # held: the map is weak
    versions = current_versions()
    for version in versions:
        version.program  # noqa: B018 -- taken from the session's identity map, no query
    del programs
    return versions
