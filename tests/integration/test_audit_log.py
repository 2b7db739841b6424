"""The log inside the database: entries written with each change, append-only guards,
automatic checkpoints, and proofs served from stored subtree hashes."""

import base64
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from subsidy.audit import checkpoints, merkle
from subsidy.audit.models import AuditCheckpoint, AuditEntry
from subsidy.audit.services import append_entry, create_checkpoint, lock_log
from subsidy.extensions import db
from tests.factories import bearer, make_applicant, make_user


def _entries():
    rows = db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.entry_index)).scalars()
    return list(rows)


def _fill(count: int) -> None:
    lock_log(db.session)  # appended at once, not queued for the sequencer
    for number in range(count):
        append_entry(
            actor="test", action="test_event", subject=f"test:{number}", data={"n": number}
        )


def test_every_foundation_change_is_logged_without_names_or_ids(app):
    applicant = make_applicant("individual", name="Серікбаев Нұрлан Қайратұлы")
    make_user("applicant", applicant=applicant, username="nurlan")
    actions = [entry.action for entry in _entries()]
    assert actions[-2:] == ["applicant_created", "user_created"]
    for entry in _entries():
        raw = bytes(entry.canonical).decode()
        assert applicant.iin_bin not in raw
        assert "Серікбаев" not in raw and "nurlan" not in raw


def test_entries_are_canonical_and_gap_free(app):
    _fill(5)
    entries = _entries()
    assert [entry.entry_index for entry in entries] == list(range(len(entries)))
    for entry in entries:
        parsed = json.loads(bytes(entry.canonical))
        assert parsed["index"] == entry.entry_index
        assert set(parsed) == {"index", "timestamp", "actor", "action", "subject", "data"}
        assert bytes(entry.leaf_hash) == merkle.leaf_hash(bytes(entry.canonical))


def _refused(statement: str) -> bool:
    savepoint = db.session.begin_nested()
    try:
        db.session.execute(sa.text(statement))
    except DBAPIError:
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


@pytest.mark.parametrize("table", ["audit_entries", "audit_nodes", "audit_checkpoints"])
def test_update_and_delete_on_the_log_are_refused(app, table):
    _fill(100)  # one automatic checkpoint too
    assert db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() > 0
    column = {"audit_entries": "actor", "audit_nodes": "hash", "audit_checkpoints": "key_id"}[table]
    value = "'x'" if column != "hash" else "hash"
    assert _refused(f"UPDATE {table} SET {column} = {value}")
    assert _refused(f"DELETE FROM {table}")


def test_truncate_is_refused_on_postgresql(app, backend):
    if backend != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    _fill(3)
    for table in ("audit_entries", "audit_nodes", "audit_checkpoints"):
        assert _refused(f"TRUNCATE {table}")


def test_insert_or_replace_and_index_gaps_are_refused(app, backend):
    _fill(3)
    if backend == "sqlite":
        assert _refused(
            "INSERT OR REPLACE INTO audit_entries (entry_index, created_at, actor, action, "
            "subject, canonical, leaf_hash) VALUES (1, '2026-01-01', 'x', 'x', 'x', x'00', x'00')"
        )
        assert _refused(
            "INSERT OR REPLACE INTO audit_nodes (level, node_index, hash) VALUES (0, 0, x'00')"
        )
    else:
        assert _refused(
            "INSERT INTO audit_nodes (level, node_index, hash) VALUES (0, 0, '\\x00') "
            "ON CONFLICT (level, node_index) DO UPDATE SET hash = excluded.hash"
        )
    size = len(_entries())
    blob = "x'00'" if backend == "sqlite" else "'\\x00'"
    assert _refused(
        "INSERT INTO audit_entries (entry_index, created_at, actor, action, subject, canonical, "
        f"leaf_hash) VALUES ({size + 5}, '2026-01-01', 'x', 'x', 'x', {blob}, {blob})"
    )


def test_a_checkpoint_is_signed_every_100_entries_and_verifies(app):
    already = len(_entries())
    _fill(200 - already % 100)
    rows = db.session.execute(sa.select(AuditCheckpoint)).scalars().all()
    assert rows and all(row.tree_size % 100 == 0 for row in rows)
    key = app.extensions["subsidy.signing_key"]
    for row in rows:
        assert checkpoints.verify_checkpoint(key.public_key, row.as_dict())
        leaves = [bytes(e.leaf_hash) for e in _entries()[: row.tree_size]]
        assert bytes(row.root_hash) == merkle.root_from_leaf_hashes(leaves)


def test_manual_checkpoint_covers_the_current_tree_and_is_not_repeated(app):
    _fill(7)
    first = create_checkpoint()
    assert first["tree_size"] == len(_entries())
    assert create_checkpoint() == first


def test_checkpoint_api_public_key_and_proofs_verify(client, app):
    _fill(37)
    create_checkpoint()
    db.session.commit()
    checkpoint = client.get("/api/v1/audit/checkpoints/latest").json
    pem = client.get("/api/v1/audit/public-key")
    assert pem.mimetype == "application/x-pem-file"
    public_key = checkpoints.load_public_key_pem(pem.data)
    assert checkpoints.verify_checkpoint(public_key, checkpoint)
    size = checkpoint["tree_size"]
    root = bytes.fromhex(checkpoint["root_hash"])
    for index in (0, 1, size // 2, size - 1):
        proof = client.get(f"/api/v1/audit/proofs/inclusion?index={index}&tree_size={size}").json
        path = [bytes.fromhex(node) for node in proof["path"]]
        assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), index, size, path, root)
    earlier = size - 20
    old_root = merkle.root_from_leaf_hashes([bytes(e.leaf_hash) for e in _entries()[:earlier]])
    proof = client.get(f"/api/v1/audit/proofs/consistency?first={earlier}&second={size}").json
    path = [bytes.fromhex(node) for node in proof["path"]]
    assert merkle.verify_consistency(earlier, size, old_root, root, path)
    assert base64.b64decode(checkpoint["signature"])


@pytest.mark.parametrize(
    "query",
    [
        "index=5&tree_size=3",
        "index=-1&tree_size=3",
        "index=0&tree_size=999999",
        "index=x&tree_size=1",
        "tree_size=1",
    ],
)
def test_bad_proof_requests_are_422(client, app, query):
    _fill(3)
    db.session.commit()
    response = client.get(f"/api/v1/audit/proofs/inclusion?{query}")
    assert response.status_code == 422, response.json
    assert response.json["errors"]


def test_entries_are_for_auditors_only(client, app):
    _fill(3)
    auditor = bearer(make_user("auditor"))
    official = bearer(make_user("official"))
    assert client.get("/api/v1/audit/entries").status_code == 401
    assert client.get("/api/v1/audit/entries", headers=official).status_code == 403
    page = client.get("/api/v1/audit/entries?start=0&limit=2", headers=auditor).json
    assert [item["index"] for item in page["items"]] == [0, 1]
    assert page["next"] == 2
    item = page["items"][0]
    from subsidy.audit.canonical import canonical_bytes

    assert merkle.leaf_hash(canonical_bytes(item["entry"])).hex() == item["leaf_hash"]


def test_an_entry_too_large_for_an_entry_bundle_is_refused_and_nothing_written(app):
    from subsidy.audit.services import MAX_ENTRY_BYTES, EntryTooLarge, append_entry, log_size

    before = log_size(db.session)
    with pytest.raises(EntryTooLarge, match="entry bundle"):
        append_entry(actor="t", action="payment", subject="s", data={"x": "a" * MAX_ENTRY_BYTES})
    assert log_size(db.session) == before
    append_entry(actor="t", action="payment", subject="s", data={"x": "a" * 60_000})
