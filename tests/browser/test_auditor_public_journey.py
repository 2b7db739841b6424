"""An auditor verifies the log and a proof; an anonymous visitor reads the register in Kazakh.

Every page is checked for horizontal overflow at 1280 and 375 px; with SUBSIDY_SCREENSHOTS=1 the
pages are also saved to docs/screenshots/."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.conftest import login

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = (1280, 375)


def _decide_some(app, approvals: int = 5) -> None:
    """Decisions exist only after someone decides: approve a few eligible demo applications."""
    import sqlalchemy as sa

    from subsidy.accounts.models import User
    from subsidy.applicants.models import Applicant
    from subsidy.applications.models import Status
    from subsidy.applications.services import submit_application
    from subsidy.decisions import services as decisions
    from subsidy.errors import DomainError
    from subsidy.extensions import db
    from subsidy.transparency.queries import register_page

    with app.app_context():
        if register_page(limit=1)[0]:
            return
        submitter = db.session.execute(sa.select(User).filter_by(username="official")).scalar_one()
        decider = db.session.execute(sa.select(User).filter_by(username="official2")).scalar_one()
        # Never the demo farmer's farm: the farmer's own journey applies for it (one application
        # per applicant), and the live server is shared by the whole session.
        linked = sa.select(User.applicant_id).where(User.applicant_id.is_not(None))
        candidates = db.session.execute(
            sa.select(Applicant)
            .where(Applicant.kind.in_(["peasant_farm", "legal_entity"]))
            .where(Applicant.id.not_in(linked))
            .order_by(Applicant.id.desc())
        ).scalars()
        approved = rejected = 0
        for applicant in candidates:
            try:
                application, _ = submit_application(
                    program="DAIRY-MILK-2026",
                    applicant=applicant.iin_bin,
                    quantity=Decimal("20000"),
                    user=submitter,
                )
                if application.status != Status.SUBMITTED:
                    continue
                if approved < approvals:
                    decisions.approve_application(application=application, user=decider)
                    approved += 1
                elif not rejected:
                    decisions.reject_application(
                        application=application, user=decider, reason="demo: missing certificate"
                    )
                    rejected += 1
                db.session.commit()
            except DomainError:
                db.session.rollback()
            if approved >= approvals and rejected:
                break
        assert approved, "no demo applicant was eligible for the milk program"


def _shoot(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        if os.environ.get("SUBSIDY_SCREENSHOTS"):
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} overflows horizontally by {overflow}px at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def decided(live_server):
    _decide_some(live_server["app"])
    return live_server


def test_auditor_verifies_the_log_and_an_inclusion_proof(page, decided):
    login(page, "auditor")
    page.goto("/audit?lang=en")
    assert page.locator("#tree-size").inner_text().strip() != "0"
    _shoot(page, "audit")
    page.click("#verify-log")
    page.wait_for_load_state()
    result = page.locator("#log-verify-result")
    assert result.locator("strong").inner_text() == "OK"
    assert "entries checked" in result.inner_text()
    assert page.locator("ol.progress-lines meter").count() >= 1
    _shoot(page, "audit-verified")

    page.goto("/audit?lang=en")
    page.locator("table.log tbody tr").first.locator("td.num a").click()
    page.wait_for_load_state()
    proof = page.locator("#proof-result")
    assert "Verified: the entry is in the tree" in proof.inner_text()
    _shoot(page, "proof")


def test_anonymous_visitor_reads_the_register_in_kazakh(page, decided):
    page.goto("/transparency?lang=kk")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart title").first.text_content()
    assert page.locator("table.register tbody tr").count() >= 1
    _shoot(page, "transparency")
    page.goto("/?lang=en")
    assert page.locator("article.program").count() >= 1
    _shoot(page, "home")
    page.goto("/verify?lang=en")
    _shoot(page, "verify")
