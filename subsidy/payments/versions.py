"""The version of a payment run a treasurer releases or cancels: the entity tag of
``queries.run_view``, see :mod:`subsidy.preconditions`."""

from __future__ import annotations

from subsidy.payments.models import PaymentRun
from subsidy.payments.queries import run_view
from subsidy.preconditions import IfMatch, entity_tag, require_version


def run_etag(run: PaymentRun) -> str:
    return entity_tag(run_view(run))


def require_seen(run: PaymentRun, if_match: IfMatch | None) -> None:
    """412 unless the run is the version asked for; call it with the row locked."""
    require_version(
        if_match, lambda: run_etag(run), what="the payment run", now=f"is {run.status.value}"
    )
