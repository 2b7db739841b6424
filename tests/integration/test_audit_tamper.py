"""Tamper drills: an owner who bypasses the guards and rewrites the log is caught by
`subsidy audit verify` (and the offline verifier), which names the first bad index. Also what
the database's own insert guards (migration 0009) refuse while they are on."""

import base64
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from subsidy.audit import checkpoints
from subsidy.audit.merkle import leaf_hash, node_hash, root_from_leaf_hashes
from subsidy.audit.models import AuditCheckpoint, AuditEntry, AuditNode
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
        for table in (
            "audit_entries",
            "audit_nodes",
            "audit_checkpoints",
            "audit_checkpoint_notes",
            "audit_cosignatures",
        ):
            db.session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        for name in (
            "audit_entries_no_update",
            "audit_entries_no_delete",
            "audit_nodes_no_update",
            "audit_nodes_no_delete",
            "audit_nodes_no_replace",
            "audit_nodes_leaf",
            "audit_nodes_children",
            "audit_checkpoints_no_update",
            "audit_checkpoints_no_delete",
            "audit_checkpoints_growing",
            "audit_checkpoints_within_log",
            "audit_checkpoint_notes_no_update",
            "audit_checkpoint_notes_no_delete",
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
    # Their C2SP notes too, or verify names those first (test_audit_tamper_checkpoints.py).
    db.session.execute(sa.text("DELETE FROM audit_checkpoint_notes WHERE tree_size > 100"))
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


# -- what is stored beside the hashed entries ----------------------------------------------


def _named(runner, said: str) -> str:
    """Verify: it must fail, and its line start with ``said``."""
    result = _verify(runner)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(said), result.output
    return result.output


def _signed_row(app, size: int, root: bytes) -> dict:
    """A checkpoint row signed with the service's own key (the owner may hold it)."""
    key = app.extensions["subsidy.signing_key"].private_key
    signed = checkpoints.sign_checkpoint(key, size, root, "2026-11-26T00:00:00.000000+00:00")
    return {
        "tree_size": size,
        "root_hash": root,
        "timestamp": signed["timestamp"],
        "key_id": signed["key_id"],
        "signature": base64.b64decode(signed["signature"]),
    }


def _node(level: int, index: int) -> bytes:
    return bytes(db.session.get(AuditNode, (level, index)).hash)


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("action", "login_failed", "the stored action 'login_failed' is not the hashed 'payment'"),
        ("actor", "user:1", "the stored actor 'user:1' is not the hashed 'test'"),
        ("subject", "application:7", "the stored subject 'application:7' is not the hashed"),
    ],
)
def test_a_column_changed_beside_its_hashed_entry_is_named(
    runner, logged, backend, column, value, said
):
    """Pages and filters read these columns: the hashed bytes, untouched, still verify."""
    _disable_guards(backend)
    db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.entry_index == 70).values({column: value})
    )
    _named(runner, f"FAIL index 70: {said}")


def test_a_changed_created_at_is_named_to_the_microsecond(runner, logged, backend):
    _disable_guards(backend)
    created = _row(90).created_at
    db.session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.entry_index == 90)
        .values(created_at=created + timedelta(microseconds=1))
    )
    assert "is not the hashed timestamp" in _named(runner, "FAIL index 90: the stored created_at ")


def test_a_forged_subtree_hash_is_named_at_the_entry_that_completes_it(runner, logged, backend):
    """Auditors' proofs are computed from audit_nodes: a node that the entries do not give is
    named by the index whose append completed it, even though every leaf and root checks."""
    _disable_guards(backend)
    db.session.execute(
        sa.update(AuditNode)
        .where(AuditNode.level == 3, AuditNode.node_index == 5)
        .values(hash=bytes(32))
    )
    _named(
        runner,
        "FAIL index 47: the stored subtree hash at level 3, node 5 (leaves 40..47) "
        "is not the one the entries give",
    )


def test_a_forged_leaf_and_its_parents_name_the_leaf(runner, logged, backend):
    """A leaf changed in audit_nodes alone, with every node above it recomputed to match."""
    _disable_guards(backend)
    forged, level, index = bytes(32), 0, 130
    while True:
        db.session.execute(
            sa.update(AuditNode)
            .where(AuditNode.level == level, AuditNode.node_index == index)
            .values(hash=forged)
        )
        sibling = db.session.get(AuditNode, (level, index ^ 1))
        if sibling is None:
            break
        pair = (forged, bytes(sibling.hash)) if index % 2 == 0 else (bytes(sibling.hash), forged)
        forged, level, index = node_hash(*pair), level + 1, index // 2
    _named(runner, "FAIL index 130: the stored subtree hash at level 0, node 130 (leaf 130)")


def test_a_missing_subtree_hash_is_named(runner, logged, backend):
    _disable_guards(backend)
    db.session.execute(sa.delete(AuditNode).where(AuditNode.level == 2, AuditNode.node_index == 33))
    _named(
        runner,
        "FAIL index 135: the subtree hash at level 2, node 33 (leaves 132..135) "
        "is missing from audit_nodes",
    )


@pytest.mark.parametrize(
    ("level", "index", "named"),
    [(0, 253, 253), (3, 31, 250), (9, 0, 250), (-1, 4, 250), (70, 0, 250)],
)
def test_a_subtree_hash_beyond_the_log_is_named(runner, logged, backend, level, index, named):
    """The log has 250 entries: leaf 253, the eight leaves 248..255, a tree of 512 and nodes at
    no level a tree has are all beyond it."""
    _disable_guards(backend)
    db.session.execute(
        sa.insert(AuditNode).values(level=level, node_index=index, hash=bytes(range(32)))
    )
    _named(runner, f"FAIL index {named}: a subtree hash is stored at level {level}, node {index}")


@pytest.mark.parametrize(
    ("size", "said", "bracket"),
    [
        (300, "FAIL index 250: entries missing from index 250: checkpoint 300 signs 300", ""),
        (230, "FAIL checkpoint 230: root mismatch", "indices 200..229"),
    ],
)
def test_a_bogus_checkpoint_signed_with_the_real_key_is_named(
    runner, app, logged, backend, size, said, bracket
):
    """Larger than the log, or over a root that is not the log's: the signature checks (the
    owner may hold the key), the root does not."""
    _disable_guards(backend)
    db.session.execute(sa.insert(AuditCheckpoint).values(_signed_row(app, size, bytes(32))))
    assert bracket in _named(runner, said)


# -- the database's insert guards (0009), switched on ----------------------------------------


def _refused(statement, values) -> str | None:
    """The database's message if it refuses the insert, else None."""
    savepoint = db.session.begin_nested()
    try:
        db.session.execute(statement, values)
    except DBAPIError as error:
        savepoint.rollback()
        return str(error.orig)
    savepoint.rollback()
    return None


def _next_entry(**changes) -> dict:
    """The row an append would write next, with ``changes``."""
    size = _size()
    created = _row(size - 1).created_at
    entry = {
        "action": "payment",
        "actor": "test",
        "data": {},
        "index": size,
        "subject": "application:9",
        "timestamp": created.isoformat(timespec="microseconds"),
    }
    canonical = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode()
    row = {
        "entry_index": size,
        "created_at": created,
        "actor": "test",
        "action": "payment",
        "subject": "application:9",
        "canonical": canonical,
        "leaf_hash": leaf_hash(canonical),
    }
    return {**row, **changes}


def test_the_guards_let_the_next_entry_in(app, logged):
    assert _refused(sa.insert(AuditEntry), _next_entry()) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"action": "login_failed"},
        {"actor": "user:1"},
        {"subject": "application:10"},
        {"canonical": b'{"index":250}'},
        {"canonical": b"not json"},
    ],
)
def test_the_guards_refuse_an_entry_whose_columns_are_not_its_hashed_entrys(
    app, logged, backend, changes
):
    if "canonical" in changes:
        changes["leaf_hash"] = leaf_hash(changes["canonical"])
    assert _refused(sa.insert(AuditEntry), _next_entry(**changes)) is not None


def test_the_guards_refuse_a_created_at_that_is_not_the_hashed_time(app, logged):
    row = _next_entry()
    row["created_at"] += timedelta(seconds=1)
    assert _refused(sa.insert(AuditEntry), row) is not None


def test_postgresql_refuses_a_leaf_hash_that_is_not_the_entrys(app, logged, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no SHA-256: verify reports a wrong leaf hash")
    said = _refused(sa.insert(AuditEntry), _next_entry(leaf_hash=bytes(32)))
    assert said is not None and "leaf hash of index 250" in said


def test_the_guards_refuse_nodes_that_do_not_belong(app, logged, backend):
    insert = sa.insert(AuditNode)
    # A leaf beyond the log, a node whose children are missing, a level no tree has; then a
    # leaf that is not its entry's.
    assert _refused(insert, {"level": 0, "node_index": 250, "hash": bytes(32)}) is not None
    assert _refused(insert, {"level": 4, "node_index": 15, "hash": bytes(32)}) is not None
    assert _refused(insert, {"level": -1, "node_index": 0, "hash": bytes(32)}) is not None
    db.session.execute(sa.insert(AuditEntry), _next_entry())
    assert _refused(insert, {"level": 0, "node_index": 250, "hash": bytes(32)}) is not None
    leaf = bytes(_row(250).leaf_hash)
    assert _refused(insert, {"level": 0, "node_index": 250, "hash": leaf}) is None
    if backend == "postgresql":  # SQLite cannot hash: verify reports a wrong node above a leaf
        db.session.execute(insert, {"level": 0, "node_index": 250, "hash": leaf})
        db.session.execute(sa.insert(AuditEntry), _next_entry())
        other = bytes(_row(251).leaf_hash)
        db.session.execute(insert, {"level": 0, "node_index": 251, "hash": other})
        said = _refused(insert, {"level": 1, "node_index": 125, "hash": bytes(32)})
        assert said is not None and "level 1, node 125 is not the one the log gives" in said
        assert (
            _refused(insert, {"level": 1, "node_index": 125, "hash": node_hash(leaf, other)})
            is None
        )


def test_the_guards_refuse_a_checkpoint_larger_than_the_log(app, logged):
    said = _refused(sa.insert(AuditCheckpoint), _signed_row(app, 251, bytes(32)))
    assert said is not None


def _disable_guards_for_growth() -> None:
    """Let a checkpoint smaller than the latest in (PostgreSQL), leaving the 0009 guard on."""
    db.session.execute(
        sa.text("ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_growing")
    )


def test_postgresql_refuses_a_checkpoint_of_another_root(app, logged, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no SHA-256: verify reports a checkpoint's wrong root")
    # The log's root at 230 from its stored nodes: [0, 128) [128, 192) [192, 224) [224, 230).
    parts = [_node(7, 0), _node(6, 2), _node(5, 6), _node(2, 56), _node(1, 114)]
    root = parts[-1]
    for part in reversed(parts[:-1]):
        root = node_hash(part, root)
    _disable_guards_for_growth()
    said = _refused(sa.insert(AuditCheckpoint), _signed_row(app, 230, bytes(32)))
    assert said is not None and "the root at tree size 230 is not the log's" in said
    assert _refused(sa.insert(AuditCheckpoint), _signed_row(app, 230, root)) is None
