"""The offline verifier, run as auditors run it (``python -m subsidy.audit.verify``), and its
reusable core :class:`LogVerifier`; also the fast RFC 8785 encoder it relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.audit.canonical import canonical_bytes, canonical_bytes_fast, jcs_equals_json_dumps
from subsidy.audit.checkpoints import key_id, public_key_pem, sign_checkpoint
from subsidy.audit.merkle import leaf_hash, root_from_leaf_hashes
from subsidy.audit.verify import LogVerifier, export_line

REPO = Path(__file__).resolve().parents[2]
TIMESTAMP = "2025-11-26T12:00:00.000000+00:00"
SIZE = 30


def make_entry(index: int) -> dict:
    return {
        "index": index,
        "timestamp": f"2025-11-26T12:00:{index % 60:02d}.000000+00:00",
        "actor": f"user:{index % 3}",
        "action": "application.approve" if index % 2 else "application.submit",
        "subject": f"application:{index}",
        "data": {"amount": f"{1000 + index}.50", "district": "Үлан ✓", "rules": [1, 2, index]},
    }


ENTRIES = [make_entry(i) for i in range(SIZE)]
CANONICAL = [canonical_bytes(e) for e in ENTRIES]
LEAVES = [leaf_hash(c) for c in CANONICAL]


def root(size: int) -> bytes:
    return root_from_leaf_hashes(LEAVES[:size])


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def export(path: Path, size: int = SIZE) -> Path:
    return write_lines(path, [export_line(i, CANONICAL[i], LEAVES[i]) for i in range(size)])


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def pem(tmp_path: Path, key) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(public_key_pem(key))
    return path


def checkpoint(path: Path, key, size: int, root_hash: bytes | None = None) -> Path:
    signed = sign_checkpoint(key, size, root(size) if root_hash is None else root_hash, TIMESTAMP)
    path.write_text(json.dumps(signed))
    return path


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "subsidy.audit.verify", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_fails(result: subprocess.CompletedProcess, start: str) -> None:
    """Exit status 1 and exactly one line on standard output, starting with ``start``."""
    assert result.returncode == 1, result
    assert len(result.stdout.splitlines()) == 1, result.stdout
    assert result.stdout.startswith(start), result.stdout


# -- the command line --------------------------------------------------------------------


def test_a_genuine_export_with_signed_checkpoints_passes(tmp_path: Path, key, pem: Path) -> None:
    log = export(tmp_path / "log.jsonl")
    cps = [checkpoint(tmp_path / f"cp{n}.json", key, n) for n in (25, 10, SIZE)]
    result = run(log, *[a for cp in cps for a in ("--checkpoint", cp)], "--public-key", pem)
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert lines[-1] == f"OK {SIZE} entries, root {root(SIZE).hex()}"
    assert lines[0].startswith("checkpoint 10: root matches, signature valid")
    assert result.stderr == ""  # no progress output when standard error is not a terminal


def test_without_a_key_the_signatures_are_said_to_be_unchecked(tmp_path: Path, key) -> None:
    result = run(export(tmp_path / "log.jsonl"), "--checkpoint", checkpoint(tmp_path / "c", key, 5))
    assert result.returncode == 0
    assert "signature NOT checked" in result.stdout.splitlines()[0]


def test_an_empty_export_is_the_empty_tree(tmp_path: Path) -> None:
    result = run(write_lines(tmp_path / "log.jsonl", []))
    assert result.stdout.splitlines() == [f"OK 0 entries, root {root(0).hex()}"]


def test_a_changed_byte_in_an_entry_names_its_index(tmp_path: Path) -> None:
    lines = [export_line(i, CANONICAL[i], LEAVES[i]) for i in range(SIZE)]
    lines[7] = lines[7].replace(b"application:7", b"application:8")
    result = run(write_lines(tmp_path / "log.jsonl", lines))
    assert_fails(result, "FAIL index 7: leaf hash mismatch")


def test_a_change_with_a_recomputed_leaf_hash_is_caught_by_the_checkpoint(
    tmp_path: Path, key, pem: Path
) -> None:
    lines = [export_line(i, CANONICAL[i], LEAVES[i]) for i in range(SIZE)]
    forged = canonical_bytes({**ENTRIES[17], "actor": "user:admin"})
    lines[17] = export_line(17, forged, leaf_hash(forged))
    log = write_lines(tmp_path / "log.jsonl", lines)
    cp10, cp25 = checkpoint(tmp_path / "a", key, 10), checkpoint(tmp_path / "b", key, 25)
    result = run(log, "--checkpoint", cp10, "--checkpoint", cp25, "--public-key", pem)
    assert_fails(result, "FAIL checkpoint 25: root mismatch")
    assert "indices 10..24 (the checkpoint at 10 matched)" in result.stdout


def test_two_swapped_entries_name_the_first_position(tmp_path: Path) -> None:
    lines = [export_line(i, CANONICAL[i], LEAVES[i]) for i in range(SIZE)]
    lines[3], lines[4] = lines[4], lines[3]
    result = run(write_lines(tmp_path / "log.jsonl", lines))
    assert_fails(result, "FAIL index 3: expected index 3, found 4")


def test_swapped_entries_with_renumbered_lines_are_caught_by_their_own_index(tmp_path) -> None:
    order = [*range(3), 4, 3, *range(5, SIZE)]
    lines = [export_line(pos, CANONICAL[i], LEAVES[i]) for pos, i in enumerate(order)]
    result = run(write_lines(tmp_path / "log.jsonl", lines))
    assert_fails(result, "FAIL index 3: the entry's own index is 4")


def test_a_cut_tail_re_signed_with_another_key_is_refused(tmp_path: Path, key, pem) -> None:
    log = export(tmp_path / "log.jsonl", 20)
    forged = checkpoint(tmp_path / "cp.json", Ed25519PrivateKey.generate(), 20)
    result = run(log, "--checkpoint", forged, "--public-key", pem)
    assert_fails(result, "FAIL checkpoint 20: signed by key_id")
    # The forger may copy our key_id too; then the signature itself fails.
    signed = json.loads(forged.read_text())
    signed["key_id"] = key_id(key.public_key())
    forged.write_text(json.dumps(signed))
    result = run(log, "--checkpoint", forged, "--public-key", pem)
    assert_fails(result, "FAIL checkpoint 20: signature invalid")


def test_a_cut_tail_is_found_by_an_older_genuine_checkpoint(tmp_path: Path, key, pem) -> None:
    log = export(tmp_path / "log.jsonl", 20)
    result = run(
        log, "--checkpoint", checkpoint(tmp_path / "cp.json", key, SIZE), "--public-key", pem
    )
    assert_fails(result, "FAIL index 20: entries missing from index 20")


def test_a_checkpoint_signed_by_our_key_with_a_forged_signature_is_refused(
    tmp_path: Path, key, pem: Path
) -> None:
    path = checkpoint(tmp_path / "cp.json", key, 10)
    signed = json.loads(path.read_text())
    signed["timestamp"] = "2030-01-01T00:00:00+00:00"
    path.write_text(json.dumps(signed))
    result = run(export(tmp_path / "log.jsonl"), "--checkpoint", path, "--public-key", pem)
    assert_fails(result, "FAIL checkpoint 10: signature invalid")


def test_a_line_that_is_not_json_names_its_index(tmp_path: Path) -> None:
    lines = [export_line(i, CANONICAL[i], LEAVES[i]) for i in range(SIZE)]
    lines[5] = lines[5][:40] + b"\n"
    result = run(write_lines(tmp_path / "log.jsonl", lines))
    assert_fails(result, "FAIL index 5: line 6 is not valid JSON")


def test_an_entry_lacking_a_field_names_its_index(tmp_path: Path) -> None:
    lines = [export_line(i, CANONICAL[i], LEAVES[i]) for i in range(SIZE)]
    entry = {k: v for k, v in ENTRIES[9].items() if k != "actor"}
    lines[9] = (
        json.dumps({"index": 9, "leaf_hash": LEAVES[9].hex(), "entry": entry}).encode() + b"\n"
    )
    assert_fails(
        run(write_lines(tmp_path / "log.jsonl", lines)), "FAIL index 9: the entry lacks actor"
    )


def test_any_json_spelling_of_the_records_verifies_through_the_slow_path(tmp_path: Path) -> None:
    # Spaces, another key order, escaped non-ASCII, and no final newline.
    lines = [
        json.dumps({"entry": e, "leaf_hash": LEAVES[i].hex().upper(), "index": i}).encode()
        for i, e in enumerate(ENTRIES)
    ]
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"\n".join(lines))
    assert run(log).stdout.splitlines()[-1] == f"OK {SIZE} entries, root {root(SIZE).hex()}"
    strict = run(export(tmp_path / "canonical.jsonl"), "--strict")
    assert strict.stdout.splitlines()[-1] == f"OK {SIZE} entries, root {root(SIZE).hex()}"


@pytest.mark.parametrize(
    "args, named",
    [
        ((), "FILE.jsonl"),
        (("missing.jsonl",), "FILE.jsonl"),
        (("{log}", "--checkpoint"), "--checkpoint"),
        (("{log}", "--checkpoint", "missing.json"), "--checkpoint"),
        (("{log}", "--checkpoint", "{log}"), "--checkpoint"),
        (("{log}", "--public-key", "{log}"), "--public-key"),
        (("{log}", "--bogus"), "--bogus"),
    ],
)
def test_bad_usage_is_one_line_naming_the_argument(tmp_path: Path, args, named: str) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"not": "an export"}\n{"really": "not"}\n')
    result = run(*[a.format(log=log) for a in args])
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and named in result.stderr, result.stderr
    assert result.stdout == ""


def test_the_verifier_imports_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys, subsidy.audit.verify\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy'))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- LogVerifier in process ---------------------------------------------------------------


def test_database_rows_give_the_same_roots_as_the_export(tmp_path: Path) -> None:
    rows = LogVerifier()
    rows.want_roots_at([0, 7, 16, SIZE])
    assert rows.feed_rows((i, memoryview(CANONICAL[i]), LEAVES[i]) for i in range(SIZE))
    assert rows.finish()
    assert rows.roots == {n: root(n) for n in (0, 7, 16, SIZE)}
    lines = LogVerifier()
    with export(tmp_path / "log.jsonl").open("rb") as handle:
        assert lines.feed_export_lines(handle)
    assert lines.root() == rows.root() == root(SIZE)


def test_feeding_one_at_a_time_accepts_bytes_or_parsed_entries() -> None:
    verifier = LogVerifier()
    for i in range(SIZE):
        assert verifier.feed(i, CANONICAL[i] if i % 2 else ENTRIES[i], LEAVES[i])
    assert verifier.root() == root(SIZE)


def test_only_the_first_problem_is_kept() -> None:
    verifier = LogVerifier()
    verifier.expect_root(3, b"\x00" * 32)  # would fail too, later
    assert not verifier.feed_rows([(0, CANONICAL[0], LEAVES[0]), (1, CANONICAL[1], LEAVES[0])])
    assert not verifier.feed(2, CANONICAL[2])
    assert not verifier.finish()
    assert str(verifier.problem).startswith("FAIL index 1: leaf hash mismatch")


def test_a_row_whose_stored_bytes_claim_another_index_is_refused() -> None:
    verifier = LogVerifier()
    assert not verifier.feed_rows([(0, CANONICAL[1], LEAVES[1])])
    assert str(verifier.problem) == "FAIL index 0: the entry's own index is 1"


def test_an_unusual_entry_shape_falls_back_to_parsing_and_still_verifies(tmp_path: Path) -> None:
    # A nested ',"index":' after the real one defeats the fast scan; parsing settles it.
    odd = canonical_bytes({**ENTRIES[0], "subject": {"a": 1, "index": 7, "b": 2}})
    leaf = leaf_hash(odd)
    verifier = LogVerifier()
    assert verifier.feed_rows([(0, odd, leaf), (1, CANONICAL[1], LEAVES[1])])
    assert verifier.root() == root_from_leaf_hashes([leaf, LEAVES[1]])
    log = write_lines(tmp_path / "log.jsonl", [export_line(0, odd, leaf)])
    assert run(log).stdout == f"OK 1 entries, root {leaf.hex()}\n"


def test_canonical_export_lines_never_take_the_slow_path(tmp_path: Path, monkeypatch) -> None:
    def refuse(line: bytes) -> bool:
        raise AssertionError(f"slow path taken for {line[:40]!r}")

    verifier = LogVerifier()
    monkeypatch.setattr(verifier, "_slow_line", refuse)
    encoded = [canonical_bytes(make_entry(i)) for i in range(1200)]
    lines = [export_line(i, c, leaf_hash(c)) for i, c in enumerate(encoded)]
    verifier.want_roots_at([9, 10, 99, 100, 1000, 1100])
    assert verifier.feed_export_lines(lines)
    assert verifier.size == 1200


# -- the fast canonical encoder -------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fast_canonical_bytes_are_exactly_rfc8785(value) -> None:
    try:
        expected = canonical_bytes(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_bytes_fast(value)
        return
    assert canonical_bytes_fast(value) == expected


@pytest.mark.parametrize(
    "value, safe",
    [
        ({"a": 1, "b": [True, None, "x"]}, True),
        ({"a": 1.0}, False),
        ({"a": 2**53}, False),
        ({"\U0001f600": 1, "\uffff": 2}, False),
        ({"é": 1}, True),
        ({1: 2}, False),
    ],
)
def test_the_fast_encoder_is_used_only_where_it_equals_jcs(value, safe: bool) -> None:
    assert jcs_equals_json_dumps(value) is safe
