"""RFC 9162 §2.1 Merkle tree: hashing, incremental roots, and inclusion/consistency proofs.

Pure Python on hashlib only, so the offline verifier and the database layer share one
implementation. Node ``(level, index)`` is the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``; a store that keeps every completed node can
answer any root or proof from O(log n) nodes, fetched in one query via :func:`nodes_needed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

GetNode = Callable[[int, int], bytes]
Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """MTH of a one-entry list: SHA-256(0x00 ‖ data)."""
    return sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 ‖ left ‖ right)."""
    return sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2): RFC 9162's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The reference MTH, recursive as written in RFC 9162 §2.1.1 (for tests and small trees)."""
    if not hashes:
        return EMPTY_ROOT
    return _mth(hashes, 0, len(hashes))


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return hashes[lo]
    k = _split(hi - lo)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


class CompactRange:
    """The frontier of a growing tree: the roots of the perfect subtrees of ``[0, size)``.

    They follow the binary decomposition of ``size``, largest (leftmost) first, which is all an
    append-only log needs to extend the tree and compute its root in O(log n).
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        frontier = [bytes(h) for h in hashes]
        if size < 0 or len(frontier) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")
        if any(len(h) != HASH_SIZE for h in frontier):
            raise ValueError("frontier hashes must be 32 bytes")
        self._size = size
        self._hashes = frontier

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return every node it completes as ``(level, index, hash)``.

        The first is the leaf itself, ``(0, old_size)``; the others are the subtrees merged
        because the old size ended in that many one bits.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        n = self._size
        completed = [(0, n, leaf_hash)]
        hashes = self._hashes
        level, h = 0, leaf_hash
        while n & 1:
            h = sha256(_NODE_PREFIX + hashes.pop() + h).digest()
            level += 1
            n >>= 1
            completed.append((level, n, h))
        hashes.append(h)
        self._size += 1
        return completed

    def append_hash_only(self, leaf_hash: bytes) -> None:
        """:meth:`append` without building the node list: the verifier's hot path."""
        n = self._size
        self._size = n + 1
        hashes = self._hashes
        h = leaf_hash
        while n & 1:
            h = sha256(_NODE_PREFIX + hashes.pop() + h).digest()
            n >>= 1
        hashes.append(h)

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes at once, like :meth:`append_hash_only` in a loop but faster.

        The new leaves split into aligned perfect subtrees; each is hashed a whole level at a
        time (one list comprehension per level instead of a Python loop per node), then its
        root joins the frontier.
        """
        start, pos = self._size, 0
        for level, _ in perfect_subtrees(start, start + len(leaves)):
            width = 1 << level
            layer = leaves[pos : pos + width]
            while len(layer) > 1:
                pairs = iter(layer)
                layer = [
                    sha256(_NODE_PREFIX + a + b).digest() for a, b in zip(pairs, pairs, strict=True)
                ]
            self._push(level, layer[0])
            pos += width

    def _push(self, level: int, h: bytes) -> None:
        # A perfect subtree at an aligned position merges with equal-sized frontier roots.
        hashes = self._hashes
        n = self._size >> level
        while n & 1:
            h = sha256(_NODE_PREFIX + hashes.pop() + h).digest()
            n >>= 1
        hashes.append(h)
        self._size += 1 << level

    def root(self) -> bytes:
        """MTH of the whole range: the frontier folded right to left."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        h = hashes[-1]
        for left in reversed(hashes[:-1]):
            h = sha256(_NODE_PREFIX + left + h).digest()
        return h

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._hashes)

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` as maximal aligned perfect subtrees ``(level, index)``, left to right.

    For the ranges that occur in RFC 9162 trees (``start`` a multiple of the largest power of two
    not above ``end - start``) this is the binary decomposition of ``end - start``, largest first,
    which is how the RFC's recursion splits them.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid range [{start}, {end})")
    nodes = []
    while start < end:
        # Largest block that is both aligned at start and fits before end.
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _check_rfc_range(start: int, end: int) -> None:
    if not 0 <= start < end:
        raise ValueError(f"invalid range [{start}, {end})")
    k = 1 << ((end - start).bit_length() - 1)
    if start % k:
        raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 9162 tree")


def hash_range(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH of leaves ``[start, end)`` from stored perfect-subtree hashes.

    The range must be one that the RFC recursion produces (every proof range is); its subtree
    is the perfect parts joined right to left. ``[0, 0)`` is the empty tree.
    """
    if start == end == 0:
        return EMPTY_ROOT
    _check_rfc_range(start, end)
    parts = perfect_subtrees(start, end)
    h = get_node(*parts[-1])
    for level, index in reversed(parts[:-1]):
        h = node_hash(get_node(level, index), h)
    return h


def inclusion_proof_ranges(index: int, size: int) -> list[Range]:
    """Leaf ranges whose MTHs form PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf side first."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    ranges = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_proof_ranges(first: int, second: int) -> list[Range]:
    """Leaf ranges whose MTHs form PROOF(first, D[second]) (RFC 9162 §2.1.4.1), in proof order.

    ``first == second`` gives the empty proof (SUBPROOF(m, D[m], true) = {}). ``first == 0``
    is refused: every tree extends the empty one, so such a proof would prove nothing, and
    verifiers (ours and the reference probes) reject it.
    """
    if not 0 < first <= second:
        raise ValueError(f"a consistency proof needs 0 < first <= second, got {first}, {second}")
    lo, hi, complete = 0, second, True
    tail = []
    while first - lo != hi - lo:
        k = _split(hi - lo)
        if first - lo <= k:
            tail.append((lo + k, hi))
            hi = lo + k
        else:
            tail.append((lo, lo + k))
            lo += k
            complete = False
    # The old tree's own subtree is only sent when it is not the whole old tree.
    head = [] if complete else [(lo, hi)]
    return head + tail[::-1]


def nodes_needed(ranges: Iterable[Range]) -> set[tuple[int, int]]:
    """Every stored node that :func:`hash_range` reads for these ranges: fetch them at once."""
    wanted: set[tuple[int, int]] = set()
    for start, end in ranges:
        wanted.update(perfect_subtrees(start, end))
    return wanted


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    return [hash_range(s, e, get_node) for s, e in inclusion_proof_ranges(index, size)]


def consistency_proof(first: int, second: int, get_node: GetNode) -> list[bytes]:
    return [hash_range(s, e, get_node) for s, e in consistency_proof_ranges(first, second)]


def _all_hashes(*values: bytes) -> bool:
    return all(isinstance(v, bytes | bytearray) and len(v) == HASH_SIZE for v in values)


def _is_size(*values: int) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2); ValueError if malformed."""
    if not _is_size(index, tree_size) or index >= tree_size:
        raise ValueError(f"index {index} is outside a tree of size {tree_size}")
    if not _all_hashes(leaf_hash, *proof):
        raise ValueError("the leaf hash and every proof element must be 32 bytes")
    fn, sn, r = index, tree_size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise ValueError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = sha256(_NODE_PREFIX + p + r).digest()
            # A right-edge node with no sibling at these levels: climb past them.
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(_NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is shorter than the path to the root")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2. Any hash that is not exactly 32 bytes makes it False."""
    if not _all_hashes(root):
        return False
    try:
        return root_from_inclusion_proof(leaf_hash, index, tree_size, proof) == root
    except ValueError:
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, with the reference probes' rulings on the edge cases.

    * ``first > second`` or ``first == 0``: False (the empty tree is trivially a prefix of
      every tree, so a "proof" from it proves nothing and is refused, as upstream does).
    * ``first == second``: True only for an empty proof and identical roots. Nothing is hashed
      here, so this is a plain equality check, also for roots that are not 32 bytes (the
      upstream probe "sizes are equal (one) and proof is empty" requires that).
    * Otherwise every root and proof element must be 32 bytes.
    """
    if not _is_size(first, second) or first > second or first == 0:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof or not _all_hashes(first_root, second_root, *proof):
        return False
    return _consistency_roots(first, second, first_root, proof) == (first_root, second_root)


def _consistency_roots(
    first: int, second: int, first_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes] | None:
    """(fr, sr) from §2.1.4.2 steps 2-6, or None where the algorithm says fail."""
    # A power-of-two old tree is a node of the new one, so the proof omits it.
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = sha256(_NODE_PREFIX + c + fr).digest()
            sr = sha256(_NODE_PREFIX + c + sr).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha256(_NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return (fr, sr) if sn == 0 else None
