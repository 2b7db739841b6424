"""Languages of the pages: Russian (default), Kazakh and English. `?lang=` switches and the
choice is remembered in the session; otherwise the browser's Accept-Language decides."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import Flask, request, session
from flask_babel import get_locale

from subsidy.clock import KAZAKHSTAN

LANGUAGES = ("ru", "kk", "en")
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
DEFAULT = "ru"


def select_locale() -> str:
    if not request:
        return DEFAULT
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else DEFAULT


def money(value: Decimal | None) -> str:
    """12 345,50 ₸ (ru, kk) or 12,345.50 ₸ (en)."""
    if value is None:
        return "—"
    return f"{format_decimal(Decimal(value), format='#,##0.00', locale=current_language())} ₸"


def number(value) -> str:
    if value is None:
        return "—"
    return format_decimal(
        Decimal(value).normalize(), format="#,##0.####", locale=current_language()
    )


def day(value: date | None) -> str:
    return "—" if value is None else format_date(value, "medium", locale=current_language())


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value.astimezone(KAZAKHSTAN), "medium", locale=current_language())


def localized(texts: dict | str | None) -> str:
    """Pick the current language from {"ru": ..., "kk": ..., "en": ...}."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    return texts.get(current_language()) or texts.get(DEFAULT) or next(iter(texts.values()), "")


def register_i18n(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money, number=number, day=day, moment=moment, localized=localized
    )

    @app.context_processor
    def languages():
        return {
            "LANGUAGES": LANGUAGES,
            "LANGUAGE_NAMES": LANGUAGE_NAMES,
            "current_language": current_language(),
        }
