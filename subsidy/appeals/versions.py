"""The version of an appeal an official decides on: the entity tag of ``queries.appeal_view``,
see :mod:`subsidy.preconditions`."""

from __future__ import annotations

from subsidy.appeals.models import Appeal
from subsidy.appeals.queries import appeal_view
from subsidy.preconditions import IfMatch, entity_tag, require_version


def appeal_etag(appeal: Appeal) -> str:
    return entity_tag(appeal_view(appeal))


def require_seen(appeal: Appeal, if_match: IfMatch | None) -> None:
    """412 unless the appeal is the version asked for; call it with the row locked."""
    require_version(
        if_match, lambda: appeal_etag(appeal), what="the appeal", now=f"is {appeal.status.value}"
    )
