"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against the
app served from a thread on a free port, on a seeded SQLite database of its own.

Without /usr/bin/chromium or the playwright package these tests skip; CI sets
SUBSIDY_TEST_REQUIRE_BROWSER=1 (after installing chromium) so that they fail instead."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
REQUIRED = bool(os.environ.get("SUBSIDY_TEST_REQUIRE_BROWSER"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORDS = {
    "farmer": "farmer-demo-2026",
    "official": "official-demo-2026",
    "official2": "official2-demo-2026",
    "auditor": "auditor-demo-2026",
    "admin": "admin-demo-2026",
}


def _missing() -> str | None:
    if not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    problem = _missing()
    if problem:
        if REQUIRED:
            pytest.fail(f"browser tests are required here but {problem}")
        pytest.skip(problem)
    from flask_migrate import upgrade

    from subsidy import create_app
    from subsidy.demo.seed import seed
    from subsidy.extensions import db

    folder = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.db'}",
            "INSTANCE_PATH": folder,
            "SIGNING_KEY_PATH": str(folder / "signing_key.pem"),
            "SECRET_KEY": "browser-tests",
            "RATELIMIT_ENABLED": False,
            "TODAY": "2026-06-15",
        }
    )
    with app.app_context():
        upgrade()
        seed()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "app": app}
    server.shutdown()


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server["url"], viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    yield page
    context.close()


def login(page, username: str, password: str | None = None) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or DEMO_PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_load_state()
