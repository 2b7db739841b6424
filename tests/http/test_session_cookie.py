"""The session cookie is set when the session changes, not on every response.

With Flask's default (SESSION_REFRESH_EACH_REQUEST) every response to a signed-in browser carried
the whole cookie again, so a slow answer to an earlier request (a favicon, a stylesheet, a page
fetched in another tab) arriving after ``?lang=ru`` was remembered put back the cookie from before
it: the next page came in the old language (a browser test saw it 1 time in 3 on a busy machine).
A web session's end is kept on the server (8 hours after sign-in, an idle hour:
subsidy.accounts.sessions), so nothing needs the cookie to be refreshed."""

from __future__ import annotations

from tests.factories import make_user
from tests.http.test_sessions import BROWSER, _sign_in


def test_a_response_that_changes_nothing_in_the_session_sets_no_cookie(app, client):
    make_user("official", username="cookie-clerk")
    _sign_in(client, "cookie-clerk")
    for path in ("/favicon.ico", "/static/style.css", "/applications", "/transparency"):
        response = client.get(path, headers=BROWSER)
        assert response.status_code == 200, path
        assert "session=" not in str(response.headers.getlist("Set-Cookie")), path
    chosen = client.get("/transparency?lang=ru", headers=BROWSER)
    assert "session=" in str(chosen.headers.getlist("Set-Cookie"))  # the choice is remembered
    # ... and kept by the next page, whose answer sets no cookie of its own
    page = client.get("/applications", headers=BROWSER)
    assert page.status_code == 200 and 'lang="ru"' in page.text
    assert "session=" not in str(page.headers.getlist("Set-Cookie"))
