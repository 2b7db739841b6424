"""The catalogue of the services' messages (subsidy/web/messages.py): every message a service the
pages call can raise has an entry, every entry is translated into Kazakh and Russian, a refusal
is matched with its values and shown as the page shows them; the API keeps its English and its
codes; error pages are pages, the API's and the log's errors are not."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.support import Translations

from subsidy.errors import Conflict, ValidationFailed
from subsidy.web import error_pages, labels, messages
from tests.factories import bearer, make_applicant, make_program, make_user, registry
from tests.http.test_languages_checker import english_runs

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "subsidy" / "translations"

# The services and queries the pages call: what they raise can reach a page.
PAGE_SERVICES = (
    "subsidy/applications/services.py",
    "subsidy/applications/states.py",
    "subsidy/applications/queries.py",
    "subsidy/decisions/services.py",
    "subsidy/decisions/queries.py",
    "subsidy/decisions/http.py",
    "subsidy/payments/services.py",
    "subsidy/payments/queries.py",
    "subsidy/obligations/services.py",
    "subsidy/obligations/queries.py",
    "subsidy/appeals/services.py",
    "subsidy/appeals/queries.py",
    "subsidy/applicants/queries.py",
    "subsidy/audit/queries.py",
    "subsidy/programs/queries.py",
    "subsidy/districts/queries.py",
    "subsidy/fields.py",
)
REFUSALS = {
    "ValidationFailed",
    "Conflict",
    "NotFound",
    "Forbidden",
    "Malformed",
    "Unauthorized",
    "AppealClosed",
    "BudgetExhausted",
    "NothingToPay",
    "NotYetCheckpointed",
    "TooLarge",
    "ValidationError",  # marshmallow's, in subsidy/fields.py
}
# Raised only where no page reaches (the API's own headers, a field the pages never send).
API_ONLY = {
    "Idempotency-Key was already used for a different application",
    "already used for a different application",
    "must be at least 1 and at most second",  # the consistency proof's query, API only
    "the log is empty: nothing to sign",
}


def _skeleton(node: ast.expr) -> tuple[str, ...] | None:
    """A message's fixed text, cut where the service formats a value in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.JoinedStr):
        parts, current = [], ""
        for value in node.values:
            if isinstance(value, ast.Constant):
                current += value.value
            else:
                parts.append(current)
                current = ""
        return (*parts, current)
    return None


def _raised_messages(path: Path):
    """(line, skeleton) of each message a refusal in ``path`` is built with, and of the field
    messages in its ``errors``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        owner = getattr(getattr(func, "value", None), "id", None)
        if owner == "ValidationFailed" and name == "field" and len(node.args) == 2:
            candidates = [node.args[1]]
        elif name in REFUSALS and node.args:
            candidates = [node.args[0]]
            if len(node.args) > 1 and isinstance(node.args[1], ast.Dict):
                for value in node.args[1].values:
                    if isinstance(value, ast.List):
                        candidates += value.elts
        else:
            continue
        for candidate in candidates:
            skeleton = _skeleton(candidate)
            if skeleton is not None:
                yield node.lineno, skeleton


def _catalogue_skeletons() -> set[tuple[str, ...]]:
    placeholder = re.compile(r"%\(\w+\)s")
    return {tuple(placeholder.split(message)) for message in messages.MESSAGES}


def _is_field_prefixed(skeleton: tuple[str, ...]) -> bool:
    """``f"{field}: {message}"`` and ``"quantity: ..."``: a field and a catalogued message."""
    return len(skeleton) >= 2 and skeleton[0] == "" and skeleton[1].startswith(": ")


def test_every_message_the_pages_services_raise_is_in_the_catalogue(app):
    templates = _catalogue_skeletons()
    missing = []
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        for relative in PAGE_SERVICES:
            for line, skeleton in _raised_messages(ROOT / relative):
                text = "{}".join(skeleton)
                field, _, rest = text.partition(": ")
                if re.fullmatch(r"[a-z_]+", field) and rest:
                    skeleton = tuple(rest.split("{}"))  # "file: larger than ... MB"
                if len(skeleton) == 1 and messages.known(skeleton[0]) is not None:
                    continue
                if skeleton in templates or text in API_ONLY or _is_field_prefixed(skeleton):
                    continue
                missing.append(f"{relative}:{line}: {text!r}")
    assert missing == [], "messages without a catalogue entry:\n" + "\n".join(missing)


def test_the_quantity_problems_are_in_the_catalogue(app):
    from decimal import Decimal

    from subsidy.eligibility.amounts import check_quantity

    samples = ["0", "-1", "1e30", "1.5", "1.123456789", "123456789012345678901"]
    problems = {
        check_quantity(unit, Decimal(sample))
        for unit in ("head", "hectare", "liter")
        for sample in samples
    } - {None}
    assert problems
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert [p for p in problems if messages.known(p) is None] == []


def _texts() -> list[str]:
    """Every text this catalogue and the error pages add."""
    texts = list(messages.MESSAGES)
    for mapping in (
        messages.GENERIC,
        messages.ACTIONS,
        labels.FIELD_LABELS,
        labels.ACTOR_LABELS,
        labels.DOCUMENT_KIND_LABELS,
        labels.DOCUMENT_OUTCOME_LABELS,
    ):
        texts += [value._args[0] for value in mapping.values()]
    for title, text in error_pages.PAGES.values():
        texts += [title._args[0], text._args[0]]
    return texts


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_entry_is_translated_into_kazakh_and_russian(lang):
    catalogue = Translations.load(str(TRANSLATIONS), [lang])
    placeholder = re.compile(r"%\((\w+)\)s")
    untranslated, english, placeholders = [], [], []
    for text in _texts():
        translated = catalogue.ugettext(text)
        if translated == text:
            untranslated.append(text)
            continue
        shown = placeholder.sub("1", translated)
        if english_runs(shown, frozenset({"DOCTYPE", "DTD", "Document"})):
            english.append(f"{text!r} -> {translated!r}")
        if not set(placeholder.findall(translated)) <= set(placeholder.findall(text)):
            placeholders.append(text)
    assert untranslated == [], untranslated
    assert english == [], english
    assert placeholders == [], placeholders


# --- matching and showing --------------------------------------------------------------------


@pytest.fixture
def ru(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        yield


@pytest.fixture
def en(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def test_a_field_error_is_shown_with_the_fields_name(ru):
    refusal = ValidationFailed.field("quantity", "must be greater than zero")
    assert messages.refusal_line(refusal) == "Количество: должно быть больше нуля"
    unknown = ValidationFailed.field("applicant", "no registered applicant with this IIN/BIN")
    assert messages.refusal_line(unknown) == (
        "Заявитель: заявитель с таким ИИН/БИН не зарегистрирован"
    )


def test_values_are_shown_as_the_page_shows_them(ru):
    assert messages.translate("must not exceed 2000.00") == "не должно превышать 2\u00a0000,00 ₸"
    assert messages.translate("must be at most 2000 characters") == "не длиннее 2\u00a0000 символов"
    assert messages.translate("must be at most the log size 53") == (
        "не больше размера журнала (53)"
    )
    refusal = Conflict("the run is released", {"status": ["is released"]})
    assert messages.refusal_line(refusal) == "Реестр в статусе «утверждён»"
    assert messages.translate("cannot withdraw an application that is approved") == (
        "нельзя отозвать заявку в статусе «одобрено»"
    )
    assert messages.translate(
        "the application has a high risk flag (shared_bank_account, herd_spike): "
        "write why it is approved all the same"
    ).startswith("у заявки высокий признак риска (Общий банковский счёт, ")


def test_an_unknown_message_is_not_shown_in_english_on_a_russian_page(ru):
    assert messages.translate("a brand new refusal", status=409) == "Сейчас это невозможно."
    assert messages.refusal_line(ValidationFailed.field("zzz", "something new")) == (
        "Проверьте введённые данные."
    )
    assert messages.translate("Введите число.") == "Введите число."  # the page's own text


def test_an_english_page_shows_the_services_text(en):
    assert messages.translate("a brand new refusal") == "a brand new refusal"
    assert messages.refusal_line(ValidationFailed.field("zzz", "something new")) == (
        "zzz: something new"
    )


def test_actors_are_named(ru):
    assert labels.actor_label("system") == "сервис (автоматически)"
    assert labels.actor_label("user:7") == "пользователь № 7"
    assert labels.actor_label("cli") == "администратор (командная строка)"


def test_the_log_verdict_is_a_sentence(ru):
    ok = labels.log_verdict("OK 1260 entries, root " + "ab" * 32)
    assert ok.startswith("Записей: 1\u00a0260; корневой хеш:") and "ab" * 32 in ok
    failed = labels.log_verdict("FAIL index 12: the entry's own index is 13")
    assert failed.startswith("Журнал не прошёл проверку на записи № 12:")
    assert '<code lang="en">the entry&#39;s own index is 13</code>' in failed


# --- the API keeps its English, the pages get pages ------------------------------------------


def test_the_api_keeps_its_codes_and_english_in_any_language(client):
    make_program()
    farm = make_applicant()
    registry(livestock=[(farm.iin_bin, "cattle", 10, 10)])
    official = make_user("official")
    response = client.post(
        "/api/v1/applications",
        json={"program": "TEST-HEADS-2026", "applicant": farm.iin_bin, "quantity": "0"},
        headers={**bearer(official), "Accept-Language": "ru"},
    )
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert response.json["message"] == "quantity: must be greater than zero"
    missing = client.get("/api/v1/nothing-here", headers={"Accept-Language": "kk"})
    assert missing.status_code == 404 and missing.json["code"] == "not_found"


def test_an_error_page_has_the_sites_header_and_language_menu(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "kk"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert '<html lang="kk">' in response.text and '<header class="site">' in response.text
    assert 'hreflang="ru"' in response.text and "Бет табылмады" in response.text


def test_a_method_not_allowed_page_keeps_its_allow_header(client):
    response = client.get("/logout", headers={"Accept-Language": "ru"})
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert "Эту страницу нельзя открыть так" in response.text


def test_the_logs_machine_answers_stay_plain(client):
    response = client.get("/log/no-such-thing")
    assert response.status_code == 404 and "<header" not in response.text
