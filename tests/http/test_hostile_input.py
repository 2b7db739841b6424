"""Input a client can send never causes a 500, and a refusal names the field (review findings)."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.db import ExactNumeric, Money
from subsidy.extensions import db
from tests.factories import bearer, make_applicant, make_program, make_user, registry


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/v1/auth/token", '{"username": "far\\u0000mer", "password": "x"}'),
        ("POST", "/api/v1/auth/token", '{"username": "\\ud800", "password": "x"}'),
        ("GET", "/api/v1/programs/%00", None),
        ("GET", "/api/v1/programs?x=%00", None),
        ("POST", "/api/v1/documents/verify", '{"sha256": "a\\u0000"}'),
    ],
)
def test_nul_and_lone_surrogates_are_refused_not_crashed(client, app, method, url, body):
    # Raw JSON text with \u escapes: what a hostile client sends on the wire.
    response = client.open(url, method=method, data=body, content_type="application/json")
    assert response.status_code == 422, response.data
    assert response.json["errors"]


def test_huge_ids_and_cursors_are_refused(client, app):
    official = bearer(make_user("official"))
    auditor = bearer(make_user("auditor"))
    assert client.get("/api/v1/applications/2147483648", headers=official).status_code == 404
    assert (
        client.get("/api/v1/applications?cursor=4611686018427387904", headers=official).status_code
        == 422
    )
    assert (
        client.get("/api/v1/audit/entries?start=9223372036854775808", headers=auditor).status_code
        == 422
    )


@pytest.mark.parametrize("quantity", ["1E+1", "1_000", "١٠", " ", "0x10", "1.2.3", "-5"])
def test_quantities_are_plain_decimal_text(client, app, quantity):
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    response = client.post(
        "/api/v1/applications",
        json={"program": "TEST-HEADS-2026", "applicant": farm.iin_bin, "quantity": quantity},
        headers=bearer(make_user("official")),
    )
    assert response.status_code == 422, response.json
    assert "quantity" in response.json["errors"]


def test_a_farmer_learns_nothing_about_other_ids(client, app):
    make_program()
    farmer = bearer(make_user("applicant"))
    registered = make_applicant("peasant_farm")
    for iin_bin in (registered.iin_bin, "061211600012"):
        response = client.post(
            "/api/v1/applications",
            json={"program": "TEST-HEADS-2026", "applicant": iin_bin, "quantity": "1"},
            headers=farmer,
        )
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (ExactNumeric(18, 4), "9999999999999.99"),
        (ExactNumeric(18, 4), "0.0001"),
        (Money(), "9999999999999.99"),
        (Money(), "12345.67"),
    ],
)
def test_decimals_come_back_exactly_on_both_databases(app, column, value):
    stored = db.session.execute(sa.select(sa.literal(Decimal(value), column))).scalar_one()
    assert stored == Decimal(value)
    assert str(stored).rstrip("0").rstrip(".") == value.rstrip("0").rstrip(".")


def test_me_tells_a_farmer_its_applicant(client, app):
    farm = make_applicant("peasant_farm")
    response = client.get("/api/v1/auth/me", headers=bearer(make_user("applicant", applicant=farm)))
    assert response.status_code == 200
    assert response.json["applicant"]["iin_bin"] == farm.iin_bin
    assert client.get("/api/v1/auth/me").status_code == 401


# --- issue 19: what an attack on the running service found -----------------------------------
# Each test below answered 500 (or took seconds) before the request guard bounded bodies by
# route and parsed JSON with limits (subsidy.input_guard, subsidy.json_limits).

ERROR_SHAPE = {"code", "message", "errors"}
SMALL_ROUTES = ("/api/v1/auth/token", "/api/v1/documents/verify")


def _many_keys(count: int) -> bytes:
    """A JSON object of ``count`` distinct keys, 12 bytes each: 800,000 of them are 9.6 MB."""
    return b"{" + b",".join(b'"%07d":1' % n for n in range(count)) + b"}"


class CountingStream(io.BytesIO):
    """A request body that counts the bytes the server read of it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def _send(client, url: str, body: bytes, content_type: str = "application/json"):
    stream = CountingStream(body)
    response = client.post(
        url,
        input_stream=stream,
        content_type=content_type,
        headers={"Content-Length": str(len(body))},
    )
    return response, stream.bytes_read


@pytest.fixture(scope="module")
def huge_body() -> bytes:
    body = _many_keys(800_000)
    assert 9_500_000 < len(body) < 10 * 1024 * 1024  # under the global ceiling: the route's
    return body


@pytest.mark.parametrize("url", SMALL_ROUTES)
def test_a_huge_json_body_is_refused_by_its_route_before_a_byte_is_read(
    client, app, huge_body, url
):
    response, read = _send(client, url, huge_body)
    assert response.status_code == 413, response.data[:300]
    assert set(response.json) == ERROR_SHAPE
    assert response.json["code"] == "too_large"
    assert "_body" in response.json["errors"]
    assert read == 0


def test_the_login_form_is_bounded_to_a_few_kilobytes(client, app):
    body = b"username=a&password=" + b"x" * 100_000
    response, read = _send(client, "/login", body, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert read == 0


@pytest.mark.parametrize("url", SMALL_ROUTES)
def test_a_body_of_a_few_kilobytes_still_reaches_the_small_routes(client, app, url):
    body = b'{"username": "a", "password": "b", "sha256": "' + b"a" * 2000 + b'"}'
    response, _ = _send(client, url, body)
    assert response.status_code in (401, 422), response.data[:300]


def test_an_upload_gets_the_upload_limit_and_no_more(client, app):
    from subsidy.input_guard import UPLOAD_BODY

    pdf = b"%PDF-1.7\n" + b"0" * (UPLOAD_BODY + 1)
    response = client.post(
        "/api/v1/documents/verify",
        data={"file": (io.BytesIO(pdf), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert set(response.json) == ERROR_SHAPE


def test_the_routes_named_in_the_body_limits_exist_and_take_their_files(app):
    from subsidy import input_guard
    from subsidy.decisions.http import MAX_UPLOAD
    from subsidy.web.payments import MAX_REPORT_BYTES

    named = input_guard.SMALL_ROUTES | input_guard.UPLOAD_ROUTES | input_guard.REPORT_ROUTES
    assert named <= set(app.view_functions)
    assert max(MAX_UPLOAD, MAX_REPORT_BYTES) < input_guard.UPLOAD_BODY


def test_a_status_report_gets_the_upload_limit(client, app):
    from subsidy.input_guard import UPLOAD_BODY

    treasurer = bearer(make_user("treasurer"))
    report, read = _send(
        client, "/api/v1/payment-runs/1/status", b"<x/>" * (UPLOAD_BODY // 4 + 1), "application/xml"
    )
    assert report.status_code == 413 and read == 0
    within = client.post(
        "/api/v1/payment-runs/1/status",
        data=b"<x/>" * (2 * 1024 * 1024 // 4),
        content_type="application/xml",
        headers=treasurer,
    )
    assert within.status_code in (404, 422), within.data[:200]  # read, then refused: no such run


def test_json_of_many_keys_under_the_route_limit_is_refused_by_the_parser(client, app):
    body = _many_keys(50_000)  # 600 KB: under the 1 MB of an application
    response, _ = _send(client, "/api/v1/applications", body)
    assert response.status_code == 400
    assert set(response.json) == ERROR_SHAPE
    assert "json" in response.json["errors"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 990 + "]" * 990,
        '{"a":' * 990 + "1" + "}" * 990,
        '{"username": ' + "[" * 995 + "]" * 995 + ', "password": "x"}',
        "[" * 100_000,  # not even closed
        '{"animals": ' + "[" * 40 + '"A"' + "]" * 40 + "}",  # within the stack, past the limit
    ],
    ids=["array", "object", "in-a-field", "unclosed", "forty"],
)
@pytest.mark.parametrize("url", [*SMALL_ROUTES, "/api/v1/applications"])
def test_deeply_nested_json_is_refused(client, app, body, url):
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code in (400, 413), response.data[:300]
    assert set(response.json) == ERROR_SHAPE


@pytest.mark.parametrize(
    "body",
    [
        '{"\\ud800": 1}',
        '{"username": "a", "password": "b", "\\udfff": "c"}',
        '{"username": "a", "password": "b", "x\\ud83d": {"\\ud800": 1}}',
    ],
)
@pytest.mark.parametrize("url", SMALL_ROUTES)
def test_a_lone_surrogate_in_a_json_key_is_refused_by_name(client, app, body, url):
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 422, response.data[:300]
    assert set(response.json) == ERROR_SHAPE
    field = next(iter(response.json["errors"]))
    assert "\\ud" in field  # named, escaped: the answer itself is valid UTF-8


@pytest.mark.parametrize(
    "number", ["9" * 5000, "-" + "9" * 5000, "1." + "0" * 5000, "1e99999", "NaN", "-Infinity"]
)
@pytest.mark.parametrize("url", [*SMALL_ROUTES, "/api/v1/applications"])
def test_a_number_that_is_no_sane_number_is_refused(client, app, number, url):
    body = '{"username": %s, "password": "x", "sha256": %s, "quantity": %s}' % ((number,) * 3)
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code in (400, 413), response.data[:300]
    assert set(response.json) == ERROR_SHAPE


def test_a_key_given_twice_is_refused(client, app):
    body = '{"username": "a", "password": "b", "username": "c"}'
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["errors"] == {"json": ["an object gives a key twice"]}
