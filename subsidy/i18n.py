"""Languages of the pages: Russian (default), Kazakh and English. `?lang=` switches and the
choice is remembered in the session; otherwise the browser's Accept-Language decides."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import parse_pattern
from flask import Flask, request, session
from flask_babel import get_locale

from subsidy.clock import KAZAKHSTAN

LANGUAGES = ("ru", "kk", "en")
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
DEFAULT = "ru"
# Parsed once: a page formats a hundred amounts, and parsing the pattern each time was a third of
# the cost of each.
MONEY = parse_pattern("#,##0.00")
QUANTITY = parse_pattern("#,##0.####")


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


def _locale() -> Locale:
    """The request's locale object (Flask-Babel keeps it per request): formatting with it
    skips parsing a language name on every call."""
    return get_locale() or Locale.parse(DEFAULT)


def money(value: Decimal | None) -> str:
    """12 345,50 ₸ (ru, kk) or 12,345.50 ₸ (en)."""
    if value is None:
        return "—"
    return f"{MONEY.apply(Decimal(value), _locale())} ₸"


def number(value) -> str:
    if value is None:
        return "—"
    return QUANTITY.apply(Decimal(value).normalize(), _locale())


def day(value: date | None) -> str:
    return "—" if value is None else format_date(value, "medium", locale=_locale())


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value.astimezone(KAZAKHSTAN), "medium", locale=_locale())


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
