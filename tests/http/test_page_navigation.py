"""What every page's header links to: the same page in another language (path and query kept),
the sign-in form that returns to the page asked for (a local path only), the icon browsers ask
for; and the official's applicant search behind the application form."""

import re

import pytest

from tests.factories import PASSWORD, make_applicant, make_program, make_user


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _language_links(html: str) -> dict[str, str]:
    return {
        lang: href.replace("&amp;", "&")
        for href, lang in re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', html)
    }


def _sign_in(client, user, next_path: str | None = None):
    page = client.get("/login")
    target = "/login" if next_path is None else f"/login?next={next_path}"
    return client.post(
        target,
        data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )


def test_language_links_keep_the_path_and_the_query(client):
    page = client.get("/verify?sha256=" + "a" * 64 + "&lang=ru")
    links = _language_links(page.text)
    assert links["kk"] == "/verify?sha256=" + "a" * 64 + "&lang=kk"
    assert links["en"] == "/verify?sha256=" + "a" * 64 + "&lang=en"
    register = _language_links(client.get("/transparency?outcome=approved&lang=en").text)
    assert register["kk"] == "/transparency?outcome=approved&lang=kk"


def test_a_language_link_on_a_form_answer_points_at_the_form_page(client):
    make_program()
    _sign_in(client, make_user("official"))
    form = client.get("/applications/new")
    page = client.post(
        "/applications/new",
        data={"csrf_token": _csrf(form.text), "program": "NONE", "quantity": "1"},
        headers={"Referer": "http://localhost/applications/new?program=X"},
    )
    links = _language_links(page.text)
    assert links["kk"] == "/applications/new?lang=kk"  # the form's own address answers a GET


def test_the_sign_in_link_returns_to_the_page(client):
    page = client.get("/transparency?outcome=approved")
    assert 'href="/login?next=/transparency?outcome%3Dapproved"' in page.text


def test_sign_in_returns_to_the_page_asked_for(client):
    user = make_user("official")
    asked = client.get("/applications?status=submitted")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/login?next=/applications?status%3Dsubmitted"
    response = _sign_in(client, user, "/applications%3Fstatus%3Dsubmitted")
    assert response.status_code == 302
    assert response.headers["Location"] == "/applications?status=submitted"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/%0d%0aSet-Cookie:x=1",
        "/applications%0a",
        "javascript:alert(1)",
        "applications",
    ],
)
def test_next_is_a_local_path_or_nothing(client, target):
    user = make_user("official")
    response = _sign_in(client, user, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_protected_link_in_kazakh_asks_to_sign_in_in_kazakh(client):
    asked = client.get("/applications?lang=kk")
    assert asked.status_code == 302
    form = client.get(asked.headers["Location"])
    assert '<html lang="kk">' in form.text
    assert "Кіру" in form.text


def test_the_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    assert "max-age" in response.headers["Cache-Control"]


def test_officials_find_an_applicant_by_name_or_by_the_first_digits(client):
    farm = make_applicant(name="КХ «Бәйтерек-Сынақ»")
    make_applicant(name="КХ «Басқа»")
    _sign_in(client, make_user("official"))
    by_name = client.get("/applicants/search?q=бәйтерек-сын").get_json()
    assert [item["iin_bin"] for item in by_name["items"]] == [farm.iin_bin]
    assert by_name["items"][0]["name"] == "КХ «Бәйтерек-Сынақ»"
    by_digits = client.get(f"/applicants/search?q={farm.iin_bin[:10]}").get_json()
    assert farm.iin_bin in [item["iin_bin"] for item in by_digits["items"]]
    assert client.get("/applicants/search?q=%25").get_json()["items"] == []
    assert client.get("/applicants/search?q=x").get_json()["items"] == []  # too short


def test_the_applicant_search_is_for_officials_only(client):
    assert client.get("/applicants/search?q=кх").status_code == 302
    _sign_in(client, make_user("applicant"))
    assert client.get("/applicants/search?q=кх").status_code == 403


def test_a_search_result_link_fills_in_the_applicant(client):
    make_program()
    farm = make_applicant()
    _sign_in(client, make_user("official"))
    page = client.get(f"/applications/new?applicant={farm.iin_bin}")
    assert f'value="{farm.iin_bin}"' in page.text
    assert 'data-search="/applicants/search"' in page.text
