"""CR and LF in the login form's `next` never reach a response header (issue 19: the redirect
after signing in answered 500, werkzeug refusing a Location with a line break)."""

import re

import pytest

from tests.factories import PASSWORD, make_user


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:x=1", "/a%0dLocation:%20//evil.example"])
def test_cr_and_lf_in_the_login_next_never_reach_a_header(client, app, target):
    user = make_user("official")
    asked = client.get(f"/login?next={target}")
    assert asked.status_code < 500
    response = client.post(
        f"/login?next={target}",
        data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(asked.text)},
    )
    assert response.status_code < 500
    location = response.headers.get("Location", "/")
    assert "\r" not in location and "\n" not in location
    assert location.startswith("/") and not location.startswith("//")
    assert "x=1" not in response.headers.get("Set-Cookie", "")
