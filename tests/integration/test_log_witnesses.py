"""Two real witnesses (``python -m subsidy.witness serve``, separate processes) and the log:
`subsidy audit publish` gets both cosignatures, `/log/checkpoint` serves them and verifies with
a quorum of 2; after history is rewritten and re-signed with the log's own key (what an owner
holding the key and the database can do), both witnesses refuse and the quorum fails."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from subsidy.audit.services import append_entry, log_size
from subsidy.audit.signing import log_verifier
from subsidy.audit.witnessed import NotWitnessed, verify_witnessed
from subsidy.audit.witnesses import parse_witnesses
from subsidy.extensions import db
from tests.log_owner import cut_log, disable_log_guards, fill_log
from tests.witness.running import start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def witnessed_log(app, tmp_path):
    fill_log(40)
    db.session.commit()
    started = []
    for name in ("audit-chamber", "ngo"):
        (tmp_path / name).mkdir()
        started.append(start(tmp_path / name, f"{name}.example/w", [log_verifier().vkey()]))
    lines = "\n".join(f"{w.verifier.vkey()} {w.url}" for w in started)
    app.config["WITNESSES"] = parse_witnesses(lines)
    app.config["WITNESS_QUORUM"] = 2
    try:
        yield [w.verifier for w in started]
    finally:
        app.config["WITNESSES"], app.config["WITNESS_QUORUM"] = (), 0
        for witness in started:
            witness.process.terminate()
            witness.process.wait(timeout=30)


def _offline(runner, tmp_path, note_text: bytes, vkeys: list[str], *extra: str):
    """`subsidy audit export`, then the offline verifier against the note and the vkeys."""
    export, saved = tmp_path / "log.jsonl", tmp_path / "checkpoint.txt"
    assert runner.invoke(args=["audit", "export", str(export)]).exit_code == 0
    saved.write_bytes(note_text)
    witnesses = [arg for vkey in vkeys[1:] for arg in ("--witness", vkey)]
    command = [sys.executable, "-m", "subsidy.audit.verify", str(export), "--note", str(saved)]
    return subprocess.run(
        [*command, "--vkey", vkeys[0], *witnesses, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _served(client) -> bytes:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    return response.data


def _rewrite_history(backend: str, keep: int, count: int) -> None:
    """The owner switches the guards off, cuts the log back to ``keep`` entries and appends
    ``count`` others through the service, which signs checkpoints with the log's key."""
    disable_log_guards(backend)
    cut_log(keep)
    fill_log(count, actor="forger")
    db.session.commit()


def test_both_witnesses_cosign_and_refuse_a_rewritten_history(
    app, client, runner, witnessed_log, backend, tmp_path
):
    published = runner.invoke(args=["audit", "publish"])
    assert published.exit_code == 0, published.output
    assert "OK 2 of 2 witnesses cosigned (quorum 2)" in published.output
    served = _served(client)
    checked = verify_witnessed(served, log_verifier(), witnessed_log, 2)
    assert checked.checkpoint.size == log_size(db.session) == 40
    assert set(checked.cosigned_by) == {"audit-chamber.example/w", "ngo.example/w"}
    vkeys = [log_verifier().vkey(), *(w.vkey() for w in witnessed_log)]
    offline = _offline(runner, tmp_path, served, vkeys, "--quorum", "2")
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "cosigned by 2 of 2 witnesses (quorum 2)" in offline.stdout
    assert offline.stdout.splitlines()[-1].startswith("OK 40 entries, root ")
    # Growth is cosigned from the size each witness holds.
    append_entry(actor="test", action="payment", subject="application:99", data={})
    db.session.commit()  # queued; publishing integrates it first
    again = runner.invoke(args=["audit", "publish"])
    assert again.exit_code == 0 and "cosigned (from size 40)" in again.output, again.output
    # History rewritten from entry 20 on, longer than before, every checkpoint re-signed.
    _rewrite_history(backend, keep=20, count=30)
    refused = runner.invoke(args=["audit", "publish"])
    assert refused.exit_code == 1, refused.output
    assert refused.output.count("ROLLBACK") == 2, refused.output
    assert "refused the consistency proof (422)" in refused.output
    assert "FAIL 0 of 2 witnesses cosigned (quorum 2)" in refused.output
    with pytest.raises(
        NotWitnessed, match=re.escape("missing: audit-chamber.example/w, ngo.example/w")
    ):
        verify_witnessed(_served_newest(client), log_verifier(), witnessed_log, 2)
    # Offline: the forged tree's checkpoint lacks the quorum; the witnessed one an auditor kept
    # does not match the rewritten log.
    forged = _offline(runner, tmp_path, _served_newest(client), vkeys, "--quorum", "2")
    assert forged.returncode == 1
    assert "FAIL checkpoint note: 0 of 2 witnesses cosigned" in forged.stdout
    assert "missing: audit-chamber.example/w, ngo.example/w" in forged.stdout
    kept = _offline(runner, tmp_path, served, vkeys, "--quorum", "2")
    assert kept.returncode == 1 and "FAIL checkpoint 40: root mismatch" in kept.stdout, kept.stdout


def _served_newest(client) -> bytes:
    """What /log/checkpoint serves now: the forged tree's newest note (no quorum anywhere)."""
    return _served(client)


def test_the_same_size_with_another_root_is_a_conflict(app, runner, witnessed_log, backend):
    assert runner.invoke(args=["audit", "publish"]).exit_code == 0
    _rewrite_history(backend, keep=10, count=30)  # 40 entries again, another root
    refused = runner.invoke(args=["audit", "publish"])
    assert refused.exit_code == 1
    assert refused.output.count("holds a different tree of 40 entries") == 2, refused.output


def test_the_worker_publishes_when_the_log_grew_and_not_otherwise(app, runner, witnessed_log):
    first = runner.invoke(args=["worker", "--once"])
    assert first.exit_code == 0 and "OK 2 of 2 witnesses cosigned" in first.output, first.output
    idle = runner.invoke(args=["worker", "--once"])
    assert idle.exit_code == 0 and idle.output == ""  # nothing new, nothing asked
    append_entry(actor="test", action="payment", subject="application:7", data={})
    db.session.commit()
    grown = runner.invoke(args=["worker", "--once"])
    assert "cosigned (from size 40)" in grown.output, grown.output


def test_a_witness_that_is_down_fails_the_round_and_the_worker_goes_on(app, runner, witnessed_log):
    from subsidy.audit.witnesses import Witness

    down = Witness(witnessed_log[0], "http://127.0.0.1:9")  # nothing listens on port 9
    app.config["WITNESSES"] = (down, app.config["WITNESSES"][1])
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output  # the worker reports and carries on
    assert "audit-chamber.example/w: no answer from http://127.0.0.1:9/add-checkpoint" in (
        result.output
    )
    assert "FAIL 1 of 2 witnesses cosigned (quorum 2)" in result.output
