import re

from tests.factories import PASSWORD, make_user


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_login_form_signs_in_with_a_session_cookie(client):
    make_user("official", username="aidos")
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post(
        "/login?next=/",
        data={"username": "aidos", "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "aidos" in home.text


def test_login_without_csrf_token_is_refused(client):
    make_user("official", username="aidos")
    response = client.post("/login", data={"username": "aidos", "password": PASSWORD})
    assert response.status_code == 400


def test_wrong_password_shows_a_generic_message(client):
    make_user("official", username="aidos")
    page = client.get("/login")
    response = client.post(
        "/login", data={"username": "aidos", "password": "wrong", "csrf_token": _csrf(page.text)}
    )
    assert response.status_code == 401
    assert "Wrong username or password" in response.text


def test_next_never_leaves_the_site(client):
    make_user("official", username="aidos")
    page = client.get("/login")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "aidos", "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert response.headers["Location"] == "/"
