"""The pages pass their own Content-Security-Policy: the browser reports no violation."""

from tests.browser.conftest import login

PAGES = [
    "/",
    "/transparency",
    "/verify",
    "/login",
    "/applications",
    "/applications/new",
    "/profile",
]


def test_no_page_violates_the_content_security_policy(page):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    login(page, "farmer")
    for path in PAGES:
        response = page.goto(path)
        assert response.status < 400, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert violations == []
