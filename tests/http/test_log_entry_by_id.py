"""An entry by the id its write was given: 404 with Retry-After while it waits in the log's
queue, then the entry with its index and, for a tree size, its inclusion proof."""

from __future__ import annotations

from subsidy.audit import merkle
from subsidy.audit.queries import tree_head
from subsidy.audit.sequencer import run_sequencer
from subsidy.audit.services import append_entry
from subsidy.extensions import db


def test_a_queued_entry_answers_404_with_retry_after_then_its_index_and_proof(client, app):
    queued = append_entry(actor="test", action="test_event", subject="t:by-id", data={"n": 1})
    db.session.commit()

    waiting = client.get(f"/api/v1/audit/entries/by-id?id={queued['id']}")
    assert waiting.status_code == 404
    assert waiting.headers["Retry-After"] == "1"
    assert waiting.json["code"] == "queued"

    run_sequencer()
    size = tree_head()["tree_size"]
    found = client.get(f"/api/v1/audit/entries/by-id?id={queued['id']}&tree_size={size}")
    assert found.status_code == 200, found.json
    body = found.json
    assert body["id"] == queued["id"] and body["entry"]["index"] == body["index"] < size
    assert body["entry"]["data"] == {"n": 1} and body["entry"]["subject"] == "t:by-id"
    path = [bytes.fromhex(node) for node in body["path"]]
    root = bytes.fromhex(tree_head()["root_hash"])
    leaf = bytes.fromhex(body["leaf_hash"])
    assert merkle.verify_inclusion(leaf, body["index"], size, path, root)


def test_an_unknown_id_is_404_without_retry_after_and_a_bad_size_is_422(client, app):
    unknown = client.get("/api/v1/audit/entries/by-id?id=987654321")
    assert unknown.status_code == 404 and "Retry-After" not in unknown.headers
    assert client.get("/api/v1/audit/entries/by-id").status_code == 422
    entry = append_entry(actor="test", action="test_event", subject="t:size")
    db.session.commit()
    run_sequencer()
    index = client.get(f"/api/v1/audit/entries/by-id?id={entry['id']}").json["index"]
    too_small = client.get(f"/api/v1/audit/entries/by-id?id={entry['id']}&tree_size={index}")
    assert too_small.status_code == 422 and "tree_size" in too_small.json["errors"]


def test_a_submission_answers_with_its_queued_entry_id_which_leads_to_its_index(client, app):
    from tests.factories import bearer, make_applicant, make_program, make_user, registry

    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    headers = bearer(make_user("applicant", applicant=farm))
    db.session.commit()
    body = {"program": "TEST-HEADS-2026", "applicant": farm.iin_bin, "quantity": "10"}
    answer = client.post("/api/v1/applications", json=body, headers=headers)
    assert answer.status_code == 201, answer.json
    entry = answer.json["log_entry"]
    # Queued in the request's transaction: the response was made before the commit.
    assert entry["id"] is not None and entry["index"] is None
    # The sequencer ran after the request's commit.
    found = client.get(f"/api/v1/audit/entries/by-id?id={entry['id']}").json
    assert found["entry"]["action"] == "application_submitted"
    assert found["entry"]["subject"] == f"application:{answer.json['id']}"
    assert found["entry"]["data"]["queue_number"] == 1


def test_a_sequencer_that_fails_after_the_commit_leaves_the_answer_and_the_entry(
    client, app, monkeypatch, caplog
):
    import sqlalchemy as sa

    import subsidy.audit.sequencer as sequencer

    def gone(**_):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection lost"))

    real = sequencer.run_sequencer
    monkeypatch.setattr(sequencer, "run_sequencer", gone)
    queued = client.post(
        "/api/v1/auth/token", json={"username": "nobody-here", "password": "wrong password"}
    )
    assert queued.status_code == 401  # a failed login is kept and logged (queued)
    assert "the log's sequencer failed" in caplog.text and "Traceback" not in caplog.text
    subject = "user:unknown"
    pending = db.session.execute(
        sa.text("SELECT count(*) FROM audit_queue WHERE subject = :s"), {"s": subject}
    ).scalar()
    assert pending == 1
    real()
    assert not db.session.execute(sa.text("SELECT count(*) FROM audit_queue")).scalar()
