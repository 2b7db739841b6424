"""A decision's C2SP tlog-proof: downloadable where the decision is (API, the decision page, the
public /verify), checked offline with the log's vkey and a quorum of witnesses, by our
`python -m subsidy.audit.witnessed` and by a reading of the spec written here."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from subsidy.audit import merkle, note
from subsidy.audit.publish import publish
from subsidy.audit.signing import log_verifier
from subsidy.decisions.queries import latest_document
from subsidy.extensions import db
from tests.factories import approved, bearer, make_applicant, make_program, make_user, registry
from tests.spec_witness import SpecWitness, posting

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def decided(app):
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20)])
    application = approved(farm)
    db.session.commit()
    return {"application": application, "farmer": make_user("applicant", applicant=farm)}


@pytest.fixture
def witnessed(app, decided):
    pair = [SpecWitness(f"witness{n}.example/w", log_verifier()) for n in (1, 2)]
    app.config["WITNESSES"] = tuple(w.config() for w in pair)
    app.config["WITNESS_QUORUM"] = 2
    assert publish(post=posting(pair)).ok
    yield pair
    app.config["WITNESSES"], app.config["WITNESS_QUORUM"] = (), 0


def _spec_read(text: bytes) -> dict:
    """tlog-proof@v1 as its spec words it, without subsidy's parser."""
    lines = text.decode("utf-8").split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    position, extra = 1, None
    if lines[1].startswith("extra "):
        extra, position = base64.b64decode(lines[1][6:], validate=True), 2
    assert lines[position].startswith("index ")
    index = int(lines[position][6:])
    proof = []
    position += 1
    while lines[position]:
        proof.append(base64.b64decode(lines[position], validate=True))
        position += 1
    checkpoint = "\n".join(lines[position + 1 :])
    origin, size, root = checkpoint.split("\n")[:3]
    return {
        "extra": extra,
        "index": index,
        "proof": proof,
        "origin": origin,
        "size": int(size),
        "root": base64.b64decode(root),
        "note": checkpoint.encode(),
    }


def _rfc6962_root(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, written from the RFC for this test."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


def test_the_api_serves_a_proof_that_an_independent_reading_checks(client, decided, witnessed):
    application = decided["application"]
    document = latest_document(application.id)
    response = client.get(
        f"/api/v1/applications/{application.id}/decision.tlog-proof",
        headers=bearer(decided["farmer"]),
    )
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/plain"
    assert f'{document.number}.tlog-proof"' in response.headers["Content-Disposition"]
    read = _spec_read(response.data)
    entry = json.loads(read["extra"])
    assert read["index"] == document.issued_log_index == entry["index"]
    assert entry["action"] == "document_issued"
    assert entry["data"]["pdf_sha256"] == hashlib.sha256(document.pdf).hexdigest()
    leaf = hashlib.sha256(b"\x00" + read["extra"]).digest()
    assert _rfc6962_root(leaf, read["index"], read["size"], read["proof"]) == read["root"]
    # The checkpoint: the log's signature and both witnesses' cosignatures verify.
    checked = note.verify_note(read["note"], [log_verifier(), *(w.verifier for w in witnessed)])
    assert len(checked.verified) == 3


def _offline(tmp_path, proof: bytes, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "decision.tlog-proof"
    path.write_bytes(proof)
    return subprocess.run(
        [sys.executable, "-m", "subsidy.audit.witnessed", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_offline_checker_needs_the_quorum_and_names_a_missing_witness(
    client, decided, witnessed, tmp_path
):
    application = decided["application"]
    document = latest_document(application.id)
    proof = client.get(
        f"/api/v1/applications/{application.id}/decision.tlog-proof",
        headers=bearer(decided["farmer"]),
    ).data
    pdf = tmp_path / "decision.pdf"
    pdf.write_bytes(document.pdf)
    vkeys = [arg for w in witnessed for arg in ("--witness", w.verifier.vkey())]
    ok = _offline(tmp_path, proof, "--vkey", log_verifier().vkey(), *vkeys, "--pdf", str(pdf))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(
        f"OK entry {document.issued_log_index} (document {document.number})"
    )
    # A third witness that never cosigned: a quorum of 3 fails and names it.
    third = SpecWitness("witness3.example/w", log_verifier())
    short = _offline(
        tmp_path, proof, "--vkey", log_verifier().vkey(), *vkeys,
        "--witness", third.verifier.vkey(), "--quorum", "3",
    )  # fmt: skip
    assert short.returncode == 1 and "missing: witness3.example/w" in short.stdout
    # Another PDF is not the one the entry logged.
    pdf.write_bytes(document.pdf + b"\n")
    other = _offline(tmp_path, proof, "--vkey", log_verifier().vkey(), *vkeys, "--pdf", str(pdf))
    assert other.returncode == 1 and "does not log this PDF" in other.stdout
    # A changed inclusion proof does not prove the entry.
    lines = proof.split(b"\n")
    lines[3] = base64.b64encode(bytes(32))
    forged = _offline(tmp_path, b"\n".join(lines), "--vkey", log_verifier().vkey(), *vkeys)
    assert forged.returncode == 1 and "not included" in forged.stdout


def test_the_decision_page_and_verify_link_the_proof(client, decided, witnessed):
    application = decided["application"]
    document = latest_document(application.id)
    from tests.http.test_workflow_pages import _login

    _login(client, decided["farmer"])
    page = client.get(f"/applications/{application.id}")
    assert f"/applications/{application.id}/decision.tlog-proof" in page.text
    assert client.get(f"/applications/{application.id}/decision.tlog-proof").status_code == 200
    verified = client.get(f"/verify?sha256={document.pdf_sha256}")
    link = f"/verify/{document.pdf_sha256}.tlog-proof"
    assert link in verified.text
    client.get("/logout")
    public = client.get(link)  # anyone: the log is public
    assert public.status_code == 200 and public.data.startswith(b"c2sp.org/tlog-proof@v1\n")
    assert client.get(f"/verify/{'0' * 64}.tlog-proof").status_code == 404
    assert client.get("/verify/nothex.tlog-proof").status_code in (400, 422)


def test_no_proof_until_a_checkpoint_covers_the_decision(client, decided):
    application = decided["application"]
    response = client.get(
        f"/api/v1/applications/{application.id}/decision.tlog-proof",
        headers=bearer(decided["farmer"]),
    )
    assert response.status_code == 409
    assert "not yet in a signed checkpoint" in response.json["message"]


def test_the_proof_is_against_the_witnessed_checkpoint_not_a_newer_unwitnessed_one(
    client, decided, witnessed
):
    from subsidy.audit.services import create_checkpoint
    from tests.log_owner import fill_log

    witnessed_size = witnessed[0].size
    fill_log(3)
    create_checkpoint()  # signed by the log, not yet cosigned
    db.session.commit()
    application = decided["application"]
    read = _spec_read(
        client.get(
            f"/api/v1/applications/{application.id}/decision.tlog-proof",
            headers=bearer(decided["farmer"]),
        ).data
    )
    assert read["size"] == witnessed_size
    assert merkle.leaf_hash(read["extra"])
