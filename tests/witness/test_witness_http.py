"""Two real witnesses (``python -m subsidy.witness serve`` subprocesses on port 0, temporary state)
driven over HTTP by fake logs, the way a log operator's software would use them."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subsidy.audit import note
from tests.witness.fakelog import FakeLog, race
from tests.witness.running import Running, run, start

REPO = Path(__file__).resolve().parents[2]
NAMES = ["flow", "stale", "badproof", "fork", "rollback", "malformed", "concurrent", "alive"]
LOGS = {name: FakeLog(f"{name}.example/log") for name in NAMES}
for _log in LOGS.values():
    _log.grow(64)
# Loopback only: a proxy from the environment must not see these requests.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def witnesses(tmp_path_factory):
    vkeys = [log.vkey for log in LOGS.values()]
    first = start(tmp_path_factory.mktemp("w1"), "audit-chamber.example/w1", vkeys)
    second = start(tmp_path_factory.mktemp("w2"), "ngo.example/w2", vkeys, "--prefix", "/witness")
    yield first, second
    for running in (first, second):
        running.process.terminate()
    for running in (first, second):
        assert running.process.wait(timeout=30) == 0  # SIGTERM stops it cleanly
        assert running.log_lines()[-1].endswith("stopped")


def post(url: str, body: bytes) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url + "/add-checkpoint", data=body, method="POST")
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read()


def get(url: str) -> tuple[int, bytes]:
    try:
        with OPENER.open(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def submit(witness: Running, log: FakeLog, old: int, size: int) -> tuple[int, str, bytes]:
    return post(witness.url, log.request(old, size))


def test_a_log_collects_cosignatures_from_both_witnesses(witnesses) -> None:
    log = LOGS["flow"]
    lines = []
    for witness in witnesses:
        status, content_type, body = submit(witness, log, 0, 5)
        assert (status, content_type) == (200, "text/plain; charset=utf-8")
        verified = note.verify_note(log.checkpoint(5) + body, [witness.verifier])
        assert verified.verified == [witness.verifier]
        (cosignature,) = note.parse_signature_lines(body)
        assert cosignature.name == witness.name
        lines.append(body)
    everything = [log.verifier, *(w.verifier for w in witnesses)]
    assert note.verify_note(log.checkpoint(5) + b"".join(lines), everything).verified == everything
    for witness in witnesses:  # growth with a consistency proof
        status, _, body = submit(witness, log, 5, 23)
        assert status == 200
        assert note.verify_note(log.checkpoint(23) + body, [witness.verifier])


def test_the_witness_describes_itself(witnesses) -> None:
    first, second = witnesses
    status, body = get(first.url + "/")
    assert status == 200
    assert f"vkey: {first.verifier.vkey()}" in body.decode().splitlines()
    assert "log: flow.example/log" in body.decode().splitlines()
    assert second.url.endswith("/witness")
    assert get(second.url)[0] == 200
    assert get(second.url.removesuffix("/witness") + "/")[0] == 404
    assert get(first.url + "/add-checkpoint")[0] == 405
    # The second witness answers under its prefix only.
    base = second.url.removesuffix("/witness")
    assert post(base, LOGS["flow"].request(0, 1))[0] == 404


def test_stale_old_size_is_409_with_the_stored_size(witnesses) -> None:
    log = LOGS["stale"]
    for witness in witnesses:
        assert submit(witness, log, 0, 10)[0] == 200
        assert submit(witness, log, 0, 20) == (409, "text/x.tlog.size", b"10\n")
        assert submit(witness, log, 7, 20) == (409, "text/x.tlog.size", b"10\n")
        assert any(" 409 stale.example/log: old size 7" in line for line in witness.log_lines())


def test_a_bad_consistency_proof_is_422(witnesses) -> None:
    log = LOGS["badproof"]
    for witness in witnesses:
        assert submit(witness, log, 0, 10)[0] == 200
        proof = log.proof(10, 30)
        proof[-1] = bytes(32)
        status, _, _ = post(witness.url, note.render_add_checkpoint(10, proof, log.checkpoint(30)))
        assert status == 422
        assert submit(witness, log, 10, 30)[0] == 200  # the right proof still works


def test_same_size_with_another_root_is_409(witnesses) -> None:
    log = LOGS["fork"]
    for witness in witnesses:
        assert submit(witness, log, 0, 12)[0] == 200
        fork = note.render_add_checkpoint(12, [], log.checkpoint(12, root=bytes(32)))
        assert post(witness.url, fork) == (409, "text/x.tlog.size", b"12\n")


def test_rollback_to_a_smaller_tree_is_refused(witnesses) -> None:
    log = LOGS["rollback"]
    for witness in witnesses:
        assert submit(witness, log, 0, 40)[0] == 200
        assert post(witness.url, note.render_add_checkpoint(40, [], log.checkpoint(8)))[0] == 400
        assert submit(witness, log, 8, 8)[:2] == (409, "text/x.tlog.size")
        assert submit(witness, log, 0, 8)[2] == b"40\n"


def test_unknown_origin_is_404_and_a_wrong_log_key_403(witnesses) -> None:
    stranger = FakeLog("stranger.example/log")
    stranger.grow(3)
    impostor = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
    for witness in witnesses:
        assert submit(witness, stranger, 0, 3)[0] == 404
        status, _, _ = post(witness.url, LOGS["flow"].request(0, 3, key=impostor))
        assert status == 403
        lines = witness.log_lines()
        assert any(" 404 -: unknown log origin 'stranger.example/log'" in line for line in lines)
        assert any(" 403 flow.example/log: " in line for line in lines)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 1\n",
        b"old -1\n\n",
        b"garbage\xff\n\n",
        b"old 0\n\nmalformed.example/log\n3\nAAAA\n\n",
    ],
)
def test_malformed_requests_are_400(witnesses, body) -> None:
    for witness in witnesses:
        assert post(witness.url, body)[0] == 400
    log = LOGS["malformed"]
    no_final_newline = log.request(0, 3)[:-1]
    assert post(witnesses[0].url, no_final_newline)[0] == 400


def test_keep_alive_and_body_limits(witnesses) -> None:
    host_port = witnesses[0].url.removeprefix("http://")
    connection = http.client.HTTPConnection(host_port, timeout=30)
    try:
        log = LOGS["alive"]
        connection.request("POST", "/add-checkpoint", body=log.request(0, 2))
        assert connection.getresponse().read() and connection.sock is not None
        sock = connection.sock
        connection.request("POST", "/add-checkpoint", body=log.request(2, 4))
        response = connection.getresponse()
        assert (response.status, connection.sock) == (200, sock)  # the same connection
        response.read()
        connection.putrequest("POST", "/add-checkpoint")
        connection.putheader("Content-Length", str(1 << 21))
        connection.endheaders()
        response = connection.getresponse()
        assert (response.status, response.headers["Connection"]) == (413, "close")
    finally:
        connection.close()


def test_concurrent_submissions_do_not_roll_back(witnesses) -> None:
    log = LOGS["concurrent"]
    witness = witnesses[0]
    assert submit(witness, log, 0, 1)[0] == 200

    def submit_over_http(old: int, size: int) -> tuple[int, bytes]:
        status, _, body = submit(witness, log, old, size)
        return status, body

    chain = race(submit_over_http, threads=6, steps=8, limit=64)
    assert submit(witness, log, 0, chain)[2] == f"{chain}\n".encode()


# --- the command line -----------------------------------------------------------------------


def test_keygen_refuses_to_overwrite_and_vkey_repeats_the_key(tmp_path) -> None:
    key = tmp_path / "w.pem"
    made = run("keygen", "--key", key, "--name", "example.org/w")
    assert made.returncode == 0
    verifier = note.parse_vkey(made.stdout)
    assert (verifier.name, verifier.type) == ("example.org/w", note.COSIGNATURE_V1)
    assert os.stat(key).st_mode & 0o077 == 0
    pem = key.read_bytes()
    again = run("keygen", "--key", key, "--name", "example.org/w")
    assert (again.returncode, again.stdout, key.read_bytes()) == (2, "", pem)
    assert len(again.stderr.splitlines()) == 1 and "exists" in again.stderr
    assert run("vkey", "--key", key, "--name", "example.org/w").stdout == made.stdout


def test_bad_command_lines_are_one_line_and_exit_2(tmp_path) -> None:
    key = tmp_path / "w.pem"
    assert run("keygen", "--key", key, "--name", "w").returncode == 0
    (tmp_path / "not-a-key.pem").write_text("hello\n")
    serve = ["serve", "--key", str(key), "--name", "w", "--state", str(tmp_path / "s.sqlite")]
    log = ["--log", LOGS["flow"].vkey]
    cases = [
        [],
        ["bogus"],
        ["keygen", "--key", str(tmp_path / "k2.pem"), "--name", "a b"],
        ["vkey", "--key", str(tmp_path / "missing.pem"), "--name", "w"],
        ["vkey", "--key", str(tmp_path / "not-a-key.pem"), "--name", "w"],
        serve,  # no --log
        [*serve, "--log", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX"],
        [*serve, *log, "--listen", "localhost"],
        [*serve, *log, "--listen", "127.0.0.1:70000"],
        [*serve, *log, "--prefix", "witness/"],
        ["serve", "--key", str(key), "--name", "w", "--state", str(tmp_path / "no/s"), *log],
    ]
    for args in cases:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert result.stderr.startswith("python -m subsidy.witness: error: "), result.stderr
        assert result.stdout == ""


def test_the_witness_imports_neither_flask_nor_the_rest_of_subsidy() -> None:
    code = (
        "import sys, subsidy.witness.cli\n"
        "allowed = ('subsidy', 'subsidy.audit', 'subsidy.audit.note', 'subsidy.audit.merkle')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'werkzeug')\n"
        "       or m.startswith('subsidy') and m not in allowed\n"
        "       and not m.startswith('subsidy.witness')]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.stdout == "[]\n", result.stderr
