"""The farmer applies with a preview of the checks, two officials approve, the farmer downloads
the decision. Every page is also checked at a phone's width for horizontal overflow; with
SUBSIDY_SCREENSHOTS=<folder> (docs/screenshots/ in the repository) the pages are saved there
at 1280 and 375 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import login

SHOTS = os.environ.get("SUBSIDY_SCREENSHOTS")
WIDTHS = (1280, 375)
WIDEST = """(width) => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > width)
  .slice(0, 5).map((e) => e.tagName + "." + e.className + "#" + e.id)"""


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server["url"], viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def look(page, name: str) -> None:
    """No horizontal overflow at any width; a screenshot of each when asked for."""
    page.wait_for_load_state("load")  # measured with its stylesheets applied, not half-loaded
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(WIDEST, width) if overflow > width else []
        assert overflow <= width, f"{name} overflows at {width}px ({overflow}px wide): {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})


def approve_as(page, username: str, number: str) -> None:
    login(page, username)
    page.goto("/applications?lang=en&program=DAIRY-MILK-2026")
    link = page.get_by_role("link", name=number, exact=True)
    while not link.count():  # first-come order: follow "next page" until it shows up
        page.click("a[rel=next]")
        page.wait_for_load_state()
    link.click()
    page.wait_for_url(re.compile(r"/applications/\d+$"))
    look(page, f"{username}-application-decide")
    page.fill("#approve-form textarea[name=comment]", f"checked by {username}")
    with page.expect_navigation():
        page.click("#approve-form button[type=submit]")
    assert page.locator("#confirm").is_visible()  # nothing is decided by one tap
    look(page, f"{username}-confirm-approval")
    with page.expect_navigation():
        page.click("#confirm-form button[type=submit]")


def test_farmer_applies_officials_approve_farmer_downloads_the_decision(page, new_page):
    login(page, "farmer")
    page.goto("/applications/new?lang=en")
    look(page, "farmer-new-application")
    page.select_option("select[name=program]", "DAIRY-MILK-2026")
    page.fill("input[name=quantity]", "250000")
    page.click("button[name=check]")
    checks = page.locator("#preview .check")
    assert checks.count() >= 1
    assert checks.first.locator(".detail").inner_text().strip()
    assert "✓" in page.locator("#preview").inner_text()
    look(page, "farmer-preview")

    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+$"))
    assert "submitted" in page.locator("#status").inner_text()
    number = page.locator("h1 .nowrap").inner_text().strip()
    application_url = page.url
    look(page, "farmer-application-detail")
    page.goto("/applications")
    assert number in page.locator("#applications").inner_text()
    look(page, "farmer-applications")
    page.goto("/profile")
    look(page, "farmer-profile")

    official = new_page()
    approve_as(official, "official", number)
    status = official.locator("#status").inner_text()
    amount = official.locator("#requested-amount").inner_text()
    if "awaiting" in status:  # 250 000 l at 45 ₸ is above the 10 000 000 ₸ threshold
        assert "10,000,000" not in amount
        assert official.locator("#second-approval").is_visible()
        look(official, "application-detail")
        official.goto("/applications?lang=en")
        look(official, "official-queue")
        approve_as(new_page(), "official2", number)
    page.goto(application_url)
    assert "approved" in page.locator("#status").inner_text()
    look(page, "farmer-decision")

    href = page.locator("#decision-pdf").get_attribute("href")
    pdf = page.request.get(href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
