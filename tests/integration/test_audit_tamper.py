"""Tamper drills: an owner who bypasses the guards and rewrites the log is caught by
`subsidy audit verify` (and the offline verifier), which names the first bad index."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from subsidy.audit import checkpoints
from subsidy.audit.merkle import leaf_hash, root_from_leaf_hashes
from subsidy.audit.models import AuditEntry
from subsidy.audit.services import append_entry, create_checkpoint
from subsidy.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def _fill(count: int) -> None:
    for number in range(count):
        append_entry(
            actor="test",
            action="payment",
            subject=f"application:{number}",
            data={"amount": f"{1000 + number}.00"},
        )


def _disable_guards(backend: str) -> None:
    """What a database owner can do; both databases roll this DDL back with the test."""
    if backend == "postgresql":
        for table in ("audit_entries", "audit_checkpoints"):
            db.session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        for name in (
            "audit_entries_no_update",
            "audit_entries_no_delete",
            "audit_checkpoints_no_update",
            "audit_checkpoints_no_delete",
            "audit_checkpoints_growing",
        ):
            db.session.execute(sa.text(f"DROP TRIGGER {name}"))


def _verify(runner):
    db.session.commit()
    return runner.invoke(args=["audit", "verify"])


@pytest.fixture
def logged(app):
    _fill(250 - _size())
    create_checkpoint()
    db.session.commit()


def _size():
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


def _row(index):
    return db.session.get(AuditEntry, index)


def test_an_untouched_log_verifies(runner, logged):
    result = _verify(runner)
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].startswith(f"OK {_size()} entries, root ")


def test_a_changed_byte_is_named(runner, logged, backend):
    _disable_guards(backend)
    row = _row(120)
    changed = bytes(row.canonical).replace(b"1120.00", b"9120.00")
    assert changed != bytes(row.canonical)
    db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.entry_index == 120).values(canonical=changed)
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL index 120: leaf hash mismatch" in result.output


def test_a_changed_byte_with_its_leaf_hash_recomputed_fails_the_signed_checkpoint(
    runner, logged, backend
):
    _disable_guards(backend)
    changed = bytes(_row(150).canonical).replace(b"1150.00", b"9150.00")
    db.session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.entry_index == 150)
        .values(canonical=changed, leaf_hash=leaf_hash(changed))
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL checkpoint 200: root mismatch" in result.output
    assert "indices 100..199" in result.output


def test_two_swapped_entries_are_named(runner, logged, backend):
    _disable_guards(backend)
    first, second = _row(30), _row(31)
    a = (bytes(first.canonical), bytes(first.leaf_hash))
    b = (bytes(second.canonical), bytes(second.leaf_hash))
    for index, (canonical, leaf) in ((30, b), (31, a)):
        db.session.execute(
            sa.update(AuditEntry)
            .where(AuditEntry.entry_index == index)
            .values(canonical=canonical, leaf_hash=leaf)
        )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL index 30: the entry's own index is 31" in result.output


def test_a_cut_tail_resigned_with_another_key_is_caught(runner, logged, backend):
    _disable_guards(backend)
    size = _size()
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.entry_index >= 180))
    db.session.execute(sa.text("DELETE FROM audit_checkpoints WHERE tree_size > 100"))
    leaves = [
        bytes(r)
        for r in db.session.execute(
            sa.select(AuditEntry.leaf_hash).order_by(AuditEntry.entry_index)
        ).scalars()
    ]
    forger = checkpoints.load_private_key_pem(checkpoints.generate_private_key_pem())
    forged = checkpoints.sign_checkpoint(
        forger, 180, root_from_leaf_hashes(leaves), "2026-11-26T00:00:00+00:00"
    )
    db.session.execute(
        sa.text(
            "INSERT INTO audit_checkpoints (tree_size, root_hash, timestamp, key_id, signature)"
            " VALUES (:s, :r, :t, :k, :g)"
        ),
        {
            "s": 180,
            "r": bytes.fromhex(forged["root_hash"]),
            "t": forged["timestamp"],
            "k": forged["key_id"],
            "g": base64.b64decode(forged["signature"]),
        },
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL checkpoint 180" in result.output
    assert size > 180


def test_offline_verifier_catches_tampering_in_an_export(runner, logged, app, tmp_path):
    export = tmp_path / "log.jsonl"
    checkpoint = tmp_path / "checkpoint.json"
    pem = tmp_path / "public.pem"
    result = runner.invoke(args=["audit", "export", str(export), "--checkpoint", str(checkpoint)])
    assert result.exit_code == 0, result.output
    pem.write_bytes(app.extensions["subsidy.signing_key"].public_pem)

    def offline(path):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "subsidy.audit.verify",
                str(path),
                "--checkpoint",
                str(checkpoint),
                "--public-key",
                str(pem),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )

    good = offline(export)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.strip().splitlines()[-1].startswith("OK ")

    lines = export.read_bytes().splitlines(keepends=True)
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(
        b"".join([*lines[:77], lines[77].replace(b"1077.00", b"1078.00"), *lines[78:]])
    )
    swapped = tmp_path / "swapped.jsonl"
    swapped.write_bytes(b"".join([*lines[:5], lines[6], lines[5], *lines[7:]]))
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(lines[:200]))
    for path, index in ((changed, 77), (swapped, 5), (cut, 200)):
        result = offline(path)
        assert result.returncode == 1, result.stdout
        assert f"FAIL index {index}" in result.stdout
    assert json.loads(checkpoint.read_text())["tree_size"] == len(lines)


def test_a_bad_checkpoint_signature_is_named_before_a_changed_entry(runner, logged, backend):
    """Signatures are checked on a second thread while the entries stream: the answer is still
    the first bad checkpoint signature, whatever the entries show."""
    _disable_guards(backend)
    changed = bytes(_row(20).canonical).replace(b"1020.00", b"9020.00")
    db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.entry_index == 20).values(canonical=changed)
    )
    signature = db.session.execute(
        sa.text("SELECT signature FROM audit_checkpoints WHERE tree_size = 200")
    ).scalar_one()
    flipped = bytes([signature[0] ^ 1]) + bytes(signature[1:])
    db.session.execute(
        sa.text("UPDATE audit_checkpoints SET signature = :g WHERE tree_size = 200"),
        {"g": flipped},
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "FAIL checkpoint 200: " in result.output
    assert "index 20" not in result.output
