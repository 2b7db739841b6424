"""The version of an application an official decides on: the entity tag of what the API
serves and the page shows of it (``queries.application_view``), see :mod:`subsidy.preconditions`."""

from __future__ import annotations

from subsidy.applications.models import Application
from subsidy.applications.queries import application_view
from subsidy.preconditions import IfMatch, entity_tag, require_version


def application_etag(application: Application) -> str:
    return entity_tag(application_view(application))


def require_seen(application: Application, if_match: IfMatch | None) -> None:
    """412 unless the application is the version asked for; call it with the row locked."""
    require_version(
        if_match,
        lambda: application_etag(application),
        what="the application",
        now=f"is {application.status.value}",
    )
