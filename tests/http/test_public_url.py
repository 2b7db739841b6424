"""The QR code of a letter leads back to the service that issued it: SUBSIDY_PUBLIC_URL when set,
else the address the issuing request was served on (a service on port 5001 must not print codes
for :5000), else — the CLI, the demo — the configured default.

The end-to-end test starts a real gunicorn on a free port (as bench/servers.py does), decides an
application through it, decodes the QR code of the PDF it serves (poppler's pdftoppm, zbar's
zbarimg) and follows the link to the verify page."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade

from bench.servers import Server
from subsidy.decisions.issuing import public_url
from subsidy.extensions import db
from tests.conftest import make_app
from tests.factories import PASSWORD, make_applicant, make_program, make_user, registry, submit

TOOLS = shutil.which("pdftoppm") and shutil.which("zbarimg")
if os.environ.get("SUBSIDY_TEST_REQUIRE_TOOLS") and not TOOLS:
    raise RuntimeError("SUBSIDY_TEST_REQUIRE_TOOLS is set but pdftoppm or zbarimg is missing")


def test_the_configured_public_url_wins_and_the_request_address_stands_in(app):
    assert app.config["PUBLIC_URL_CONFIGURED"]  # the suite's own: http://subsidy.test
    with app.test_request_context("/", base_url="http://10.0.0.7:8080"):
        assert public_url() == "http://subsidy.test"
    app.config["PUBLIC_URL_CONFIGURED"] = False
    try:
        with app.test_request_context("/", base_url="https://subsidy.example:8443"):
            assert public_url() == "https://subsidy.example:8443"
        with app.app_context():  # the CLI, the demo: no request
            assert public_url() == app.config["PUBLIC_URL"]
    finally:
        app.config["PUBLIC_URL_CONFIGURED"] = True


def _call(base: str, path: str, *, body=None, token: str | None = None):
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # loopback only
        return response.status, response.read()


def _scan(pdf: bytes, folder: Path) -> list[str]:
    (folder / "decision.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(folder / "decision.pdf"), str(folder / "page")],
        check=True,
    )
    found = []
    for page in sorted(folder.glob("page-*.png")):
        result = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True)
        found += result.stdout.decode().split()
    return found


@pytest.mark.skipif(not TOOLS, reason="poppler-utils or zbar-tools not installed")
def test_a_decision_issued_on_another_port_links_to_that_port(tmp_path):
    database = tmp_path / "live.db"
    # The server's environment names its database and instance, and no SUBSIDY_PUBLIC_URL.
    env = {key: value for key, value in os.environ.items() if not key.startswith("SUBSIDY_")}
    env |= {
        "SUBSIDY_DATABASE_URL": f"sqlite:///{database}",
        "SUBSIDY_INSTANCE_PATH": str(tmp_path),
        "SUBSIDY_SECRET_KEY": "live-server-test",
    }
    app = make_app(f"sqlite:///{database}", tmp_path)  # the same instance: keys, certificate
    with app.app_context():
        upgrade()
        make_program(closes="2099-12-31")
        farm = make_applicant("peasant_farm")
        registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
        application = submit(farm, quantity="10")
        official = make_user(username="live-official", full_name="Ким Сергей Владимирович")
        number, application_id, username = application.number, application.id, official.username
        db.session.commit()
        db.engine.dispose()

    with Server("subsidy:create_app()", env, tmp_path / "gunicorn.log") as server:
        assert server.port != 5000
        base = f"http://127.0.0.1:{server.port}"
        status, body = _call(
            base, "/api/v1/auth/token", body={"username": username, "password": PASSWORD}
        )
        token = json.loads(body)["token"]
        status, _ = _call(
            base, f"/api/v1/applications/{application_id}/approve", body={}, token=token
        )
        assert status == 200
        status, pdf = _call(
            base, f"/api/v1/applications/{application_id}/decision.pdf", token=token
        )
        assert status == 200 and pdf.startswith(b"%PDF-")

        (link,) = _scan(pdf, tmp_path)
        assert link.startswith(f"{base}/verify?sha256="), link
        status, page = _call("", link)
        assert status == 200
        text = page.decode()
        assert number in text and 'id="verify-result"' in text
        assert 'data-state="valid"' in text  # the stored file's signature, checked
