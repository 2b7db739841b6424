"""Every page of every role, at a phone's 375 px and a desk's 1280 px, in Kazakh, Russian and
English, on the demo: no page scrolls sideways, the register's amounts are whole and in view,
a language link keeps the page and its query, signing in returns to the page asked for, and
the phone's header is one line with its menu behind a button."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DEMO_PASSWORDS, login
from tests.browser.test_auditor_public_journey import _decide_some

WIDTHS = (375, 1280)
LANGUAGES = ("kk", "ru", "en")
PASSWORDS = {**DEMO_PASSWORDS, "treasurer": "treasurer-demo-2026"}
# What is wider than the viewport when a page overflows: names the culprit in the message.
WIDEST = """(width) => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > width + 0.5)
  .slice(0, 5).map((e) => e.tagName + "." + e.className + "#" + e.id)"""
# Each amount cell of the register: its text neither clipped in the cell nor out of view.
CUT_AMOUNTS = """() => [...document.querySelectorAll("#register td.amount")].filter((cell) => {
  const box = cell.getBoundingClientRect();
  const wrap = cell.closest(".table-wrap").getBoundingClientRect();
  return cell.scrollWidth > cell.clientWidth + 1 || box.right > wrap.right + 0.5
    || box.right > document.documentElement.clientWidth + 0.5 || box.width < 1;
}).map((cell) => cell.textContent.trim())"""


@pytest.fixture(scope="module")
def demo(live_server):
    """The demo with decisions, and the ids of a page of each kind."""
    import sqlalchemy as sa

    from subsidy.accounts.models import User
    from subsidy.appeals.models import Appeal
    from subsidy.applications.models import Application, Status
    from subsidy.decisions.models import DecisionDocument
    from subsidy.extensions import db
    from subsidy.obligations.models import RecoveryCase
    from subsidy.payments.models import PaymentRun

    app = live_server["app"]
    _decide_some(app)

    def first(query):
        return db.session.execute(query.limit(1)).scalar()

    with app.app_context():
        farmer = db.session.execute(sa.select(User).filter_by(username="farmer")).scalar_one()
        ids = {
            "submitted": first(
                sa.select(Application.id).where(Application.status == Status.SUBMITTED)
            ),
            "decided": first(
                sa.select(DecisionDocument.application_id).where(
                    DecisionDocument.kind == "decision"
                )
            ),
            "own": first(
                sa.select(Application.id).where(Application.applicant_id == farmer.applicant_id)
            ),
            "sha": first(sa.select(DecisionDocument.pdf_sha256)),
            "appeal": first(sa.select(Appeal.id)),
            "case": first(sa.select(RecoveryCase.id)),
            "run": first(sa.select(PaymentRun.id)),
        }
        db.session.remove()
    return {**live_server, **ids}


def _pages(demo) -> dict[str | None, list[str]]:
    """Role (None: not signed in) -> the pages it reads (those the demo has data for)."""

    def when(key: str, path: str) -> list[str]:
        return [path.format(**demo)] if demo.get(key) else []

    return {
        None: [
            "/",
            "/transparency",
            "/transparency/queue",
            "/verify",
            *when("sha", "/verify?sha256={sha}"),
            "/login",
        ],
        "farmer": [
            "/applications",
            "/applications/new",
            *when("own", "/applications/{own}"),
            "/profile",
            "/appeals",
            "/recoveries",
        ],
        "official": [
            "/applications",
            "/applications/new",
            *when("submitted", "/applications/{submitted}"),
            *when("decided", "/applications/{decided}"),
            "/appeals",
            *when("appeal", "/appeals/{appeal}"),
            "/recoveries",
            *when("case", "/recoveries/{case}"),
        ],
        "treasurer": [
            "/payments",
            *when("run", "/payments/runs/{run}"),
            "/recoveries",
            *when("case", "/recoveries/{case}"),
        ],
        "auditor": ["/audit", "/audit/proof?index=0", "/applications", "/payments", "/appeals"],
        "admin": ["/audit"],
    }


def _with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def _sign_in(page, role: str | None) -> None:
    if role is not None:
        login(page, role, PASSWORDS[role])


@pytest.mark.parametrize("role", [None, "farmer", "official", "treasurer", "auditor", "admin"])
def test_no_page_scrolls_sideways(browser, demo, role):
    context = browser.new_context(base_url=demo["url"])
    page = context.new_page()
    try:
        _sign_in(page, role)
        problems = []
        for path in _pages(demo)[role]:
            for lang in LANGUAGES:
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    response = page.goto(_with_lang(path, lang))
                    assert response.status < 400, (role, path, response.status)
                    page.wait_for_load_state("load")
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    if scroll > width:
                        wide = page.evaluate(WIDEST, width)
                        problems.append(f"{path} {lang} at {width}px: {scroll}px wide {wide}")
        assert problems == [], "\n".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_registers_amounts_are_whole_and_in_view(page, demo, lang, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/transparency?lang={lang}")
    amounts = page.locator("#register td.amount")
    assert amounts.count() >= 2
    assert page.evaluate(CUT_AMOUNTS) == []
    shown = [text.strip() for text in amounts.all_inner_texts()]
    assert any(re.search(r"\d.*₸", text) for text in shown), shown


def test_a_language_link_keeps_the_page_and_its_query(page, demo):
    page.goto("/transparency?outcome=approved&lang=ru")
    with page.expect_navigation():
        page.click("header a[hreflang=kk]")
    assert re.search(r"/transparency\?outcome=approved&lang=kk$", page.url), page.url
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("select[name=outcome]").input_value() == "approved"

    page.goto(f"/verify?sha256={demo['sha']}&lang=kk")
    with page.expect_navigation():
        page.click("header a[hreflang=en]")
    assert f"sha256={demo['sha']}" in page.url
    assert page.locator("#verify-result").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"


def test_filters_on_the_officials_list_survive_a_language_switch(page, demo):
    login(page, "official")
    page.goto("/applications?status=submitted&lang=en")
    with page.expect_navigation():
        page.click("header a[hreflang=ru]")
    assert "status=submitted" in page.url and "lang=ru" in page.url
    assert page.locator("select[name=status]").input_value() == "submitted"


def _fill_the_sign_in_form(page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORDS[username])
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_signing_in_returns_to_the_page_asked_for_in_its_language(page, demo):
    page.goto("/applications?status=submitted&lang=kk")
    assert "/login" in page.url
    assert page.locator("html").get_attribute("lang") == "kk"
    _fill_the_sign_in_form(page, "official")
    assert re.search(r"/applications\?status=submitted&lang=kk$", page.url), page.url


def test_the_sign_in_link_returns_to_the_page_it_was_on(page, demo):
    page.goto("/transparency?outcome=rejected&lang=en")
    page.click("header a:text('Sign in')")
    _fill_the_sign_in_form(page, "auditor")
    assert re.search(r"/transparency\?outcome=rejected&lang=en$", page.url), page.url


def test_on_a_phone_the_header_is_one_line_and_the_menu_opens(page, demo):
    login(page, "auditor")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/transparency?lang=kk")
    header = page.locator("header.site")
    assert header.bounding_box()["height"] <= 64
    menu = page.locator("#site-menu")
    assert not menu.is_visible()
    page.click("header .menu-toggle")
    assert menu.is_visible()
    assert page.locator("header .menu-toggle").get_attribute("aria-expanded") == "true"
    with page.expect_navigation():
        page.click("#site-menu a[href='/audit']")
    assert "/audit" in page.url
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator("#site-menu").is_visible()
    assert not page.locator("header .menu-toggle").is_visible()


def test_without_javascript_the_phones_menu_is_simply_shown(browser, demo):
    context = browser.new_context(
        base_url=demo["url"], java_script_enabled=False, viewport={"width": 375, "height": 800}
    )
    try:
        page = context.new_page()
        page.goto("/?lang=ru")
        assert page.locator("#site-menu a[href='/transparency']").is_visible()
        assert not page.locator("header .menu-toggle").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
