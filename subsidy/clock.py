"""The service's idea of "today": a date in Kazakhstan (UTC+5 across the country since
1 March 2024). Tests and demos may pin it with the ``TODAY`` setting (an ISO date)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import current_app, has_app_context

KAZAKHSTAN = timezone(timedelta(hours=5), "KZ")


def today() -> date:
    if has_app_context() and current_app.config.get("TODAY"):
        return date.fromisoformat(str(current_app.config["TODAY"]))
    return datetime.now(KAZAKHSTAN).date()
