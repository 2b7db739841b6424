"""RFC 9162 Merkle tree: reference vectors, upstream probes, and generated proofs of every shape."""

from __future__ import annotations

import base64
import json
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.audit import merkle
from subsidy.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    consistency_proof_ranges,
    hash_range,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    nodes_needed,
    perfect_subtrees,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

PROBES = Path(__file__).resolve().parent.parent / "data" / "rfc9162"
PROBE_FILES = sorted(PROBES.glob("inclusion/**/*.json")) + sorted(
    PROBES.glob("consistency/**/*.json")
)

# The RFC 6962 reference tree (google/certificate-transparency merkle_tree_test.cc) and the root
# of each of its prefixes, sizes 0 to 8.
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
REFERENCE_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

MAX_SIZE = 300


def build(leaves: list[bytes]) -> tuple[dict[tuple[int, int], bytes], list[bytes]]:
    """Every perfect node of the tree, as a store keeps them, and the root at every size."""
    nodes, roots, tree = {}, [EMPTY_ROOT], CompactRange()
    for leaf in leaves:
        for level, index, value in tree.append(leaf):
            nodes[(level, index)] = value
        roots.append(tree.root())
    return nodes, roots


LEAVES = [leaf_hash(b"entry %d" % i) for i in range(MAX_SIZE)]
NODES, ROOTS = build(LEAVES)
REF_NODES, _ = build([leaf_hash(leaf) for leaf in REFERENCE_LEAVES])


def get_node(level: int, index: int) -> bytes:
    return NODES[(level, index)]


def flipped(value: bytes, bit: int = 0) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


# -- upstream probes and reference vectors ----------------------------------------------------


def test_all_upstream_probes_are_present() -> None:
    assert len(PROBE_FILES) == 196


@pytest.mark.parametrize("path", PROBE_FILES, ids=lambda p: str(p.relative_to(PROBES)))
def test_upstream_probe(path: Path) -> None:
    probe = json.loads(path.read_text())
    proof = [b64(p) for p in probe["proof"] or []]
    if "leafIdx" in probe:
        ok = verify_inclusion(
            b64(probe["leafHash"]), probe["leafIdx"], probe["treeSize"], proof, b64(probe["root"])
        )
    else:
        ok = verify_consistency(
            probe["size1"], probe["size2"], b64(probe["root1"]), b64(probe["root2"]), proof
        )
    assert ok is not probe["wantErr"], probe["desc"]


@pytest.mark.parametrize("size", range(9))
def test_reference_tree_roots(size: int) -> None:
    hashes = [leaf_hash(leaf) for leaf in REFERENCE_LEAVES[:size]]
    assert root_from_leaf_hashes(hashes).hex() == REFERENCE_ROOTS[size]
    tree = CompactRange()
    for leaf in hashes:
        tree.append_hash_only(leaf)
    assert tree.root().hex() == REFERENCE_ROOTS[size]


@pytest.mark.parametrize(
    "path", [p for p in PROBE_FILES if p.name == "happy-path.json"], ids=lambda p: p.parent.name
)
def test_generated_proofs_equal_upstream_happy_paths(path: Path) -> None:
    probe = json.loads(path.read_text())
    expected = [b64(p) for p in probe["proof"] or []]
    ref = REF_NODES.__getitem__
    if "leafIdx" in probe:
        got = inclusion_proof(probe["leafIdx"], probe["treeSize"], lambda lv, ix: ref((lv, ix)))
    else:
        got = consistency_proof(probe["size1"], probe["size2"], lambda lv, ix: ref((lv, ix)))
    assert got == expected


# -- every tree up to 64 leaves, exhaustively --------------------------------------------------


def inclusion_mutations(index: int, size: int, proof: list[bytes], root: bytes):
    leaf = LEAVES[index]
    for i in range(len(proof)):
        yield (
            "flipped bit",
            leaf,
            index,
            size,
            [*proof[:i], flipped(proof[i], i % 8), *proof[i + 1 :]],
            root,
        )
    if proof:
        yield "truncated", leaf, index, size, proof[:-1], root
    yield "extended", leaf, index, size, [*proof, root], root
    yield "extended at front", leaf, index, size, [leaf, *proof], root
    yield "flipped leaf", flipped(leaf), index, size, proof, root
    yield "other root", leaf, index, size, proof, ROOTS[size - 1] if size > 1 else flipped(root)
    yield "index - 1", leaf, index - 1, size, proof, root
    yield "index + 1", leaf, index + 1, size, proof, root


def consistency_mutations(first: int, second: int, proof: list[bytes]):
    r1, r2 = ROOTS[first], ROOTS[second]
    for i in range(len(proof)):
        yield "flipped bit", first, second, r1, r2, [*proof[:i], flipped(proof[i]), *proof[i + 1 :]]
    if proof:
        yield "truncated", first, second, r1, r2, proof[:-1]
    yield "extended", first, second, r1, r2, [*proof, r2]
    yield "extended at front", first, second, r1, r2, [r1, *proof]
    yield "swapped roots", first, second, r2, r1, proof
    yield "flipped first root", first, second, flipped(r1), r2, proof
    yield "flipped second root", first, second, r1, flipped(r2), proof
    yield "first - 1", first - 1, second, r1, r2, proof
    if first + 1 < second:
        yield "first + 1", first + 1, second, r1, r2, proof


def check_inclusion(index: int, size: int) -> None:
    proof = inclusion_proof(index, size, get_node)
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])
    assert root_from_inclusion_proof(LEAVES[index], index, size, proof) == ROOTS[size]
    for desc, *args in inclusion_mutations(index, size, proof, ROOTS[size]):
        assert not verify_inclusion(*args), (desc, index, size)


def check_consistency(first: int, second: int) -> None:
    proof = consistency_proof(first, second, get_node)
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)
    if first == second:
        assert proof == []
        return
    for desc, *args in consistency_mutations(first, second, proof):
        assert not verify_consistency(*args), (desc, first, second)


@pytest.mark.parametrize("size", range(1, 65))
def test_every_proof_of_a_small_tree_verifies_and_every_mutation_fails(size: int) -> None:
    assert root_from_leaf_hashes(LEAVES[:size]) == ROOTS[size]
    for index in range(size):
        check_inclusion(index, size)
    for first in range(1, size + 1):
        check_consistency(first, size)


# -- larger trees, sampled ---------------------------------------------------------------------


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(0, size - 1)), size


@st.composite
def first_and_second(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, second)), second


@settings(max_examples=300, deadline=None)
@given(index_and_size())
def test_inclusion_proofs_up_to_300_leaves(case: tuple[int, int]) -> None:
    check_inclusion(*case)


@settings(max_examples=300, deadline=None)
@given(first_and_second())
def test_consistency_proofs_up_to_300_leaves(case: tuple[int, int]) -> None:
    check_consistency(*case)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=MAX_SIZE))
def test_incremental_root_equals_recursive_root(data: list[bytes]) -> None:
    hashes = [leaf_hash(d) for d in data]
    one_by_one, bulk = CompactRange(), CompactRange()
    for leaf in hashes:
        one_by_one.append_hash_only(leaf)
    bulk.extend(hashes)
    assert one_by_one.root() == bulk.root() == root_from_leaf_hashes(hashes)
    assert one_by_one.hashes == bulk.hashes


@st.composite
def rfc_range(draw: st.DrawFn) -> tuple[int, int]:
    """A leaf range that is a subtree of some RFC 9162 tree: start aligned to its width."""
    width = draw(st.integers(1, MAX_SIZE))
    step = 1 << (width.bit_length() - 1)
    start = step * draw(st.integers(0, (MAX_SIZE - width) // step))
    return start, start + width


@settings(max_examples=300, deadline=None)
@given(rfc_range())
def test_hash_range_equals_recursive_root_of_the_range(bounds: tuple[int, int]) -> None:
    start, end = bounds
    assert hash_range(start, end, get_node) == root_from_leaf_hashes(LEAVES[start:end])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_perfect_subtrees_cover_the_range_with_aligned_maximal_blocks(a: int, b: int) -> None:
    start, end = sorted((a, b))
    nodes = perfect_subtrees(start, end)
    position = start
    for level, index in nodes:
        assert index << level == position
        position += 1 << level
    assert position == end
    # Maximal: no two neighbours could merge into one aligned block.
    for (l1, i1), (l2, i2) in pairwise(nodes):
        assert not (l1 == l2 and i1 % 2 == 0 and i2 == i1 + 1)


# -- the storage-facing API -----------------------------------------------------------------


def test_append_reports_every_completed_node_including_the_leaf() -> None:
    tree = CompactRange()
    for leaf in LEAVES[:7]:
        tree.append(leaf)
    completed = tree.append(LEAVES[7])
    assert [(level, index) for level, index, _ in completed] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert completed[-1][2] == ROOTS[8]
    assert tree.hashes == (ROOTS[8],)


def test_a_compact_range_rebuilt_from_stored_nodes_continues_the_tree() -> None:
    size = 13
    frontier = [get_node(level, index) for level, index in perfect_subtrees(0, size)]
    tree = CompactRange(size, frontier)
    assert tree.root() == ROOTS[size]
    for leaf in LEAVES[size:40]:
        tree.append(leaf)
    assert tree.root() == ROOTS[40]


def test_compact_range_refuses_a_frontier_that_does_not_fit_the_size() -> None:
    with pytest.raises(ValueError):
        CompactRange(3, [ROOTS[2]])
    with pytest.raises(ValueError):
        CompactRange(1, [b"short"])


def test_proofs_read_only_the_nodes_that_nodes_needed_names() -> None:
    for index, size in [(0, 1), (5, 8), (12, 13), (200, 300)]:
        ranges = inclusion_proof_ranges(index, size)
        wanted = nodes_needed(ranges)
        assert len(wanted) <= 2 * size.bit_length()
        read = set()

        def recording(level: int, idx: int, read: set = read) -> bytes:
            read.add((level, idx))
            return get_node(level, idx)

        inclusion_proof(index, size, recording)
        assert read == wanted


def test_proof_ranges_follow_the_rfc() -> None:
    assert inclusion_proof_ranges(5, 8) == [(4, 5), (6, 8), (0, 4)]
    assert consistency_proof_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert consistency_proof_ranges(4, 7) == [(4, 7)]
    assert consistency_proof_ranges(6, 6) == []


@pytest.mark.parametrize("index, size", [(-1, 5), (5, 5), (0, 0)])
def test_inclusion_proof_refuses_an_index_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof_ranges(index, size)


@pytest.mark.parametrize("first, second", [(0, 5), (0, 0), (6, 5), (-1, 3)])
def test_consistency_proof_refuses_sizes_out_of_order_or_from_empty(first, second) -> None:
    with pytest.raises(ValueError):
        consistency_proof_ranges(first, second)


def test_hash_range_refuses_a_range_that_is_no_rfc_subtree() -> None:
    with pytest.raises(ValueError):
        hash_range(3, 8, get_node)
    assert hash_range(0, 0, get_node) == EMPTY_ROOT


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33, "00" * 32])
def test_verifiers_refuse_hashes_that_are_not_32_bytes(bad) -> None:
    proof = inclusion_proof(1, 4, get_node)
    assert not verify_inclusion(bad, 1, 4, proof, ROOTS[4])
    assert not verify_inclusion(LEAVES[1], 1, 4, proof, bad)
    assert not verify_inclusion(LEAVES[1], 1, 4, [bad, *proof[1:]], ROOTS[4])
    proof = consistency_proof(3, 8, get_node)
    assert not verify_consistency(3, 8, bad, ROOTS[8], proof)
    assert not verify_consistency(3, 8, ROOTS[3], bad, proof)
    assert not verify_consistency(3, 8, ROOTS[3], ROOTS[8], [*proof[:-1], bad])


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert merkle.leaf_hash(b"") == bytes.fromhex(REFERENCE_ROOTS[1])
    assert merkle.node_hash(LEAVES[0], LEAVES[1]) == ROOTS[2]
    assert merkle.leaf_hash(LEAVES[0] + LEAVES[1]) != ROOTS[2]
