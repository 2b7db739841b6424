"""The verifier's database checks, without a database: the columns stored beside each entry
against the hashed entry, and the stored subtree hashes against the ones the entries give."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.audit import verify
from subsidy.audit.canonical import canonical_bytes
from subsidy.audit.merkle import CompactRange, leaf_hash
from subsidy.audit.verify import LogVerifier, StoredRow, beside_problem, completed_nodes

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _entry(index: int, **changes) -> dict:
    entry = {
        "index": index,
        "timestamp": (START + timedelta(seconds=index, microseconds=index)).isoformat(
            timespec="microseconds"
        ),
        "actor": f"user:{index % 7}",
        "action": "application_submitted" if index % 2 else "document_issued",
        "subject": f"application:{index // 2}",
        "data": {"amount": f"{index}.00", "district": "Өскемен"},
    }
    return {**entry, **changes}


def _row(entry: dict, **stored) -> StoredRow:
    """The database row of ``entry``: its bytes and the columns beside them (or ``stored``)."""
    canonical = canonical_bytes(entry)
    columns = {
        "created_at": entry["timestamp"],
        "actor": entry["actor"],
        "action": entry["action"],
        "subject": entry["subject"],
        **stored,
    }
    return (
        entry["index"],
        canonical,
        leaf_hash(canonical),
        columns["created_at"],
        columns["actor"],
        columns["action"],
        columns["subject"],
    )


class Nodes:
    """audit_nodes in memory: what the log's appends would have stored."""

    def __init__(self, rows: list[StoredRow]) -> None:
        tree = CompactRange()
        self.stored: dict[tuple[int, int], bytes] = {}
        for row in rows:
            for level, index, value in tree.append(leaf_hash(row[1])):
                self.stored[(level, index)] = value
        self.asked: list[tuple[int, int, int]] = []

    def take(self, level: int, lo: int, hi: int) -> list[bytes | None]:
        self.asked.append((level, lo, hi))
        return [self.stored.get((level, index)) for index in range(lo, hi)]


def _verify(rows: list[StoredRow], nodes: Nodes | None = None, checkpoints=()) -> LogVerifier:
    verifier = LogVerifier(nodes=nodes)
    for size, root in checkpoints:
        verifier.expect_root(size, root)
    verifier.feed_stored_rows(rows)
    verifier.finish()
    return verifier


def _root(rows: list[StoredRow], size: int) -> bytes:
    tree = CompactRange()
    for row in rows[:size]:
        tree.append_hash_only(leaf_hash(row[1]))
    return tree.root()


ROWS = [_row(_entry(index)) for index in range(300)]


def test_an_untouched_log_verifies_with_its_nodes_and_checkpoints():
    nodes = Nodes(ROWS)
    verifier = _verify(ROWS, nodes, [(100, _root(ROWS, 100)), (300, _root(ROWS, 300))])
    assert verifier.problem is None
    assert verifier.confirmed == [100, 300]
    # Every node of the tree was asked for once.
    assert sum(hi - lo for _, lo, hi in nodes.asked) == len(nodes.stored)


def test_the_bulk_check_and_the_one_by_one_check_agree(monkeypatch):
    """The service's entries pass the bulk byte comparison, and the parsing check (all the
    verifier does when the bulk one says "look closer") lets them through too."""
    assert verify._stored_leaves(ROWS, 0) == [leaf_hash(row[1]) for row in ROWS]
    slow = []
    monkeypatch.setattr(verify, "_stored_leaves", lambda chunk, first: slow.append(1))
    assert _verify(ROWS, Nodes(ROWS)).problem is None
    assert slow


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("action", "login_failed", "the stored action 'login_failed' is not the hashed "),
        ("actor", "user:99", "the stored actor 'user:99' is not the hashed 'user:"),
        ("subject", "applicant:1", "the stored subject 'applicant:1' is not the hashed "),
        ("created_at", "2026-11-26T12:02:00.120001+00:00", "the stored created_at "),
    ],
)
def test_a_column_beside_the_entry_that_differs_is_named(column, value, said):
    rows = list(ROWS)
    rows[120] = _row(_entry(120), **{column: value})
    problem = _verify(rows).problem
    assert problem is not None and problem.index == 120
    assert problem.reason.startswith(said), problem.reason


def test_a_time_is_compared_as_an_instant_to_the_microsecond():
    entry = _entry(5)
    hashed = datetime.fromisoformat(entry["timestamp"])
    almaty = hashed.astimezone(timezone(timedelta(hours=5)))
    rows = [*ROWS[:5], _row(entry, created_at=almaty.isoformat()), *ROWS[6:10]]
    assert _verify(rows).problem is None
    rows[5] = _row(entry, created_at=hashed)  # a datetime is fine too
    assert _verify(rows).problem is None
    rows[5] = _row(entry, created_at=hashed + timedelta(microseconds=1))
    assert _verify(rows).problem.index == 5
    rows[5] = _row(entry, created_at=entry["timestamp"][:-6])  # no offset: not a UTC time
    assert _verify(rows).problem.index == 5


def test_entries_the_bulk_check_cannot_read_are_parsed():
    """Escaped strings, keys the service does not write, a value that merely looks like a key:
    the slow path reads them and finds them in order."""
    odd = [
        _entry(0, data={"note": 'a "quoted" \\ word\n'}),
        _entry(1, actor='the "cli"'),
        _entry(2, data={"action": "action"}),
        {**_entry(3), "extra": 1},
        _entry(4, subject="application:\u0001"),
    ]
    assert _verify([_row(entry) for entry in odd]).problem is None


def test_a_repeated_key_counts_as_a_json_parser_reads_it():
    """The last "action" is the one a parser (and PostgreSQL's jsonb) reads: not the column."""
    good = canonical_bytes(_entry(0))
    forged = good.replace(b',"data":{', b',"data":{},"action":"login_failed","x":{', 1)
    assert json.loads(forged)["action"] == "login_failed"
    row = (0, forged, leaf_hash(forged), *_row(_entry(0))[3:])
    problem = _verify([row]).problem
    assert problem is not None and problem.index == 0
    assert "the stored action 'document_issued' is not the hashed 'login_failed'" in problem.reason


@pytest.mark.parametrize(
    ("canonical", "said"),
    [(b"not json", "not valid JSON"), (b'[0,{"index":0}]', "not a JSON object")],
)
def test_bytes_that_are_no_entry_cannot_agree(canonical, said):
    assert said in beside_problem(canonical, START, "cli", "login_failed", "user:1")


def test_a_forged_node_is_named_at_the_entry_that_completes_it():
    nodes = Nodes(ROWS)
    nodes.stored[(3, 5)] = bytes(32)
    problem = _verify(ROWS, nodes, [(300, _root(ROWS, 300))]).problem
    assert problem is not None and problem.index == 47
    assert problem.reason.startswith(
        "the stored subtree hash at level 3, node 5 (leaves 40..47) is not the one the "
        "entries give: audit_nodes has " + "00" * 32
    )


def test_the_first_completed_of_several_bad_nodes_is_named():
    nodes = Nodes(ROWS)
    nodes.stored[(4, 2)] = bytes(32)  # leaves 32..47, completed by 47
    nodes.stored[(0, 40)] = bytes(32)  # completed by 40
    del nodes.stored[(1, 19)]  # leaves 38..39, completed by 39: the first
    problem = _verify(ROWS, nodes).problem
    assert problem is not None and problem.index == 39
    assert "level 1, node 19 (leaves 38..39) is missing from audit_nodes" in problem.reason


def test_a_changed_entry_is_the_checkpoints_problem_and_the_nodes_say_where():
    """Entry 150's bytes and leaf hash rewritten: the signed root is the first problem (the
    entries disagree with what was signed), and the stored nodes point at the entry."""
    rows = list(ROWS)
    rows[150] = _row(_entry(150, data={"amount": "9150.00"}))
    checkpoints = [(100, _root(ROWS, 100)), (200, _root(ROWS, 200))]
    problem = _verify(rows, Nodes(ROWS), checkpoints).problem
    assert problem is not None and problem.checkpoint == 200
    assert "indices 100..199" in problem.reason
    assert problem.reason.endswith("the stored subtree hashes first differ at index 150")


def test_a_bad_node_comes_before_a_later_bad_entry():
    nodes = Nodes(ROWS)
    nodes.stored[(0, 10)] = bytes(32)
    rows = list(ROWS)
    rows[60] = _row(_entry(60), action="login_failed")
    problem = _verify(rows, nodes).problem
    assert problem is not None and problem.index == 10


def test_without_nodes_no_node_is_asked_for():
    assert _verify(ROWS).problem is None


def test_a_node_beyond_the_log_names_the_first_index_the_log_lacks():
    assert verify.node_beyond_reason(0, 303, 300)[0] == 303
    assert verify.node_beyond_reason(3, 37, 300) == (
        300,
        "a subtree hash is stored at level 3, node 37 (leaves 296..303), "
        "beyond the log's 300 entries",
    )
    assert verify.node_beyond_reason(63, 0, 300)[0] == 300
    assert "which no tree has" in verify.node_beyond_reason(0, -1, 300)[1]


@settings(max_examples=200, deadline=None)
@given(first=st.integers(0, 300), count=st.integers(0, 300))
def test_completed_nodes_are_what_appends_complete(first, count):
    leaves = [leaf_hash(b"%d" % n) for n in range(first + count)]
    tree = CompactRange()
    for leaf in leaves[:first]:
        tree.append(leaf)
    expected: dict[int, list[bytes]] = {}
    after = tree.copy()
    for leaf in leaves[first:]:
        for level, index, value in after.append(leaf):
            expected.setdefault(level, []).append(value)
            assert index == (first >> level) + len(expected[level]) - 1
    levels, frontier = completed_nodes(tree, leaves[first:])
    assert {level: hashes for level, hashes in enumerate(levels) if hashes} == expected
    assert frontier == list(after.hashes)
