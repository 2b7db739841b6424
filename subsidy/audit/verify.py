"""Offline verifier of an exported transparency log.

    python -m subsidy.audit.verify FILE.jsonl [--checkpoint FILE.json ...] [--public-key FILE.pem]
    python -m subsidy.audit.verify FILE.jsonl --note CHECKPOINT.txt --vkey VKEY \
        [--witness VKEY ...] [--quorum K]

With ``--note``, a C2SP checkpoint (``/log/checkpoint``, a signed note) must carry the log's
signature under ``--vkey`` (``/log/vkey``) and cosignatures of at least ``--quorum`` (default:
all) of the ``--witness`` keys; the export must give its root at its size. A note without the
quorum fails, naming the witnesses that are missing (``FAIL checkpoint note: ...``).

It imports only the standard library, ``cryptography``, ``rfc8785`` and the pure audit modules,
so an auditor needs none of the service's dependencies. Exit status: 0 and a last line
``OK <size> entries, root <hex>``; 1 and one line ``FAIL index <N>: ...`` or
``FAIL checkpoint <size>: ...`` naming the first problem; 2 for bad usage or unreadable input.

Export format, one line per entry in index order (:func:`export_line` writes it)::

    {"index":<n>,"leaf_hash":"<64 hex>","entry":<the entry's stored RFC 8785 bytes>}

Any other JSON spelling of the same record is accepted too, through the slow path (parse, then
re-canonicalise). The fast path hashes the entry bytes exactly as they stand in the line,
without parsing them: bytes whose leaf hash ends up under a signed root *are* the bytes the
log committed to, so parsing adds nothing to what the signature proves, and skipping it makes
the verifier several times faster. ``--strict`` forces the slow path for every line.

The service's ``subsidy audit verify`` feeds the same :class:`LogVerifier` the database rows
(:meth:`LogVerifier.feed_stored_rows`): besides every leaf it then compares the columns stored
beside each entry (its time, actor, action and subject) with the hashed entry, and, given a
:class:`NodeSource`, every stored subtree hash with the one the entries give. An export has
neither, so this command checks neither.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import sys
from binascii import hexlify
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from itertools import chain, islice, repeat
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any, BinaryIO, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from subsidy.audit import checkpoints, note
from subsidy.audit.canonical import canonical_bytes_fast, stated_index, stated_indices_match
from subsidy.audit.merkle import CompactRange, leaf_hash
from subsidy.audit.witnessed import verify_witnessed

ENTRY_FIELDS = ("index", "timestamp", "actor", "action", "subject", "data")
CHUNK = 4096

_digest = type(sha256()).digest
_leaf_input = b"\x00".__add__
# Everything before an exported entry's second key; the entry starts with "action" under JCS.
_HEAD = b'{"index":%d,"leaf_hash":"%b","entry":{"action":'
_ENTRY_OFFSET = len(b'{"index":,"leaf_hash":"","entry":') + 64
_last_two = itemgetter(slice(-2, None))
_NODE_PREFIX = b"\x01"
Row = tuple[int, bytes, bytes | None]
# A database row: index, canonical bytes, recorded leaf hash, then the columns stored beside
# the entry: created_at (an aware datetime, or ISO 8601 text with its offset: the database can
# write it as the service writes timestamps, which the bulk check compares as bytes), actor,
# action, subject.
StoredRow = tuple[int, bytes, bytes | None, datetime | str, str, str, str]
_Fast = Callable[[list[Any], int], list[bytes] | None]
# RFC 8785 strings are json's (see subsidy.audit.canonical): quotes, backslashes and controls
# escaped, everything else raw UTF-8.
_encode_string = encode_basestring  # the C one when there is one
_STORED_HEAD = b'{"action":%b,"actor":%b,"data":'
_STORED_TAIL = b',"index":%d,"subject":%b,"timestamp":%b}'


class NodeSource(Protocol):
    """The stored subtree hashes (``audit_nodes``), asked for level by level in index order."""

    def take(self, level: int, lo: int, hi: int) -> Sequence[bytes | None]:
        """The stored hashes of nodes ``lo, ..., hi - 1`` at ``level``, None for a missing one."""
        ...


def export_line(index: int, canonical: bytes, leaf: bytes) -> bytes:
    """One export line in the form the fast path reads: the stored bytes, never re-encoded."""
    return b'{"index":%d,"leaf_hash":"%s","entry":%s}\n' % (index, leaf.hex().encode(), canonical)


@dataclass(frozen=True)
class Problem:
    reason: str
    index: int | None = None
    checkpoint: int | str | None = None

    def __str__(self) -> str:
        where = f"index {self.index}" if self.index is not None else f"checkpoint {self.checkpoint}"
        return f"FAIL {where}: {self.reason}"


class LogVerifier:
    """Recomputes the tree of a log fed in index order and keeps the first problem found.

    Feed it export lines (:meth:`feed_export_lines`), database rows of stored canonical bytes
    (:meth:`feed_rows`, :meth:`feed_canonical`) or parsed entries (:meth:`feed_entry`); all
    return False once a problem is recorded and ignore further input. Register checkpoint roots
    with :meth:`expect_root` (and any other sizes whose root you want with :meth:`want_roots_at`)
    before feeding past them, and call :meth:`finish` at the end of the log.

    Given ``nodes``, every node the entries complete is compared with the stored one as it is
    completed. A stored node that differs (or is missing) is held until the next signed root is
    reached: if that root does not match either, the entries were changed and the checkpoint is
    the problem (its message names where the nodes first differ); otherwise the node is.
    """

    def __init__(self, nodes: NodeSource | None = None) -> None:
        self._tree = CompactRange()
        self._nodes = nodes
        self._held: Problem | None = None  # a stored node that differs, see above
        self._stops: list[int] = []  # heap of sizes ahead of us where a root is needed
        self._wanted: set[int] = set()
        self._expected: dict[int, list[bytes]] = {}
        self.roots: dict[int, bytes] = {}
        self.confirmed: list[int] = []  # checkpoint sizes whose root matched, ascending
        self.problem: Problem | None = None
        self.on_progress: Callable[[int], None] | None = None

    @property
    def size(self) -> int:
        return self._tree.size

    def root(self) -> bytes:
        return self._tree.root()

    def want_roots_at(self, sizes: Iterable[int]) -> None:
        """Record the root at these sizes in :attr:`roots` as the log passes them."""
        for size in sizes:
            self._wanted.add(size)
            self._add_stop(size)

    def expect_root(self, size: int, root: bytes) -> None:
        """A signed root: the log's first ``size`` entries must hash to it."""
        self._expected.setdefault(size, []).append(bytes(root))
        self._add_stop(size)

    def _add_stop(self, size: int) -> None:
        if size < self.size:
            raise ValueError(f"size {size} is already behind the verifier ({self.size})")
        if size == self.size:
            self._arrive()
        else:
            heapq.heappush(self._stops, size)  # duplicates are popped together on arrival

    def _arrive(self) -> None:
        size = self.size
        while self._stops and self._stops[0] <= size:
            heapq.heappop(self._stops)
        root = self._tree.root()
        if size in self._wanted:
            self.roots[size] = root
        signed = self._expected.pop(size, None)
        if signed is None or self.problem is not None:
            return
        for expected in signed:
            if expected != root:
                self.record(Problem(self._mismatch(size, root, expected), checkpoint=size))
                return
        self.confirmed.append(size)
        self._release()  # the entries agree with the signed root: a differing node is the problem

    def _mismatch(self, size: int, root: bytes, expected: bytes) -> str:
        said = f"root mismatch: the log gives {root.hex()}, the checkpoint signs {expected.hex()}"
        if size == 0:
            return said
        lo = self.confirmed[-1] if self.confirmed else 0
        since = f"the checkpoint at {lo} matched" if self.confirmed else "no earlier checkpoint"
        said = f"{said}; a changed entry lies in indices {lo}..{size - 1} ({since})"
        if self._held is not None:
            said += f"; the stored subtree hashes first differ at index {self._held.index}"
        return said

    def _fail(self, index: int, reason: str) -> bool:
        self._release()  # a node held back comes first: it was completed before this index
        return self.record(Problem(reason, index=index))

    def _release(self) -> None:
        if self._held is not None:
            self.record(self._held)
            self._held = None

    def record(self, problem: Problem) -> bool:
        """Keep ``problem`` unless an earlier one is already kept; always False."""
        self.problem = self.problem or problem
        return False

    def finish(self) -> bool:
        """End of the log: a checkpoint beyond it means entries are missing."""
        self._release()
        if self.problem is None and self._expected:
            size, signed = self.size, min(self._expected)
            self._fail(
                size,
                f"entries missing from index {size}: "
                f"checkpoint {signed} signs {signed} entries, the log has {size}",
            )
        return self.problem is None

    # -- feeding one entry at a time ------------------------------------------------------

    def feed(
        self,
        index: int,
        entry_or_canonical: bytes | Mapping[str, Any],
        recorded_leaf_hash: bytes | None = None,
    ) -> bool:
        """Stored canonical bytes (cheap, hashed as they are) or a parsed entry object."""
        recorded = None if recorded_leaf_hash is None else bytes(recorded_leaf_hash)
        if isinstance(entry_or_canonical, bytes | bytearray | memoryview):
            return self.feed_canonical(index, bytes(entry_or_canonical), recorded)
        return self.feed_entry(index, entry_or_canonical, recorded)

    def feed_canonical(
        self, index: int, canonical: bytes, recorded_leaf_hash: bytes | None = None
    ) -> bool:
        """Stored RFC 8785 bytes, hashed exactly as they are (never re-encoded)."""
        if not self._in_position(index) or not self._states_index(index, canonical):
            return False
        return self._add(index, canonical, recorded_leaf_hash)

    def _states_index(self, index: int, canonical: bytes) -> bool:
        if not stated_indices_match([canonical], index):
            own = stated_index(canonical)
            if type(own) is not int or own != index:
                return self._fail(index, f"the entry's own index is {own}")
        return True

    def feed_entry(
        self, index: int, entry: object, recorded_leaf_hash: bytes | None = None
    ) -> bool:
        """A parsed entry (any JSON value: a non-object is a problem like any other), checked
        field by field, then hashed in its RFC 8785 form."""
        if not self._in_position(index):
            return False
        if not isinstance(entry, Mapping):
            return self._fail(index, "the entry is not a JSON object")
        missing = [name for name in ENTRY_FIELDS if name not in entry]
        if missing:
            return self._fail(index, f"the entry lacks {', '.join(missing)}")
        own = entry["index"]
        if type(own) is not int or own != index:
            return self._fail(index, f"the entry's own index is {own!r}")
        try:
            canonical = canonical_bytes_fast(entry)
        except (ValueError, TypeError) as exc:
            return self._fail(index, f"the entry has no RFC 8785 form: {exc}")
        return self._add(index, canonical, recorded_leaf_hash)

    def _in_position(self, index: int) -> bool:
        if self.problem is not None:
            return False
        if index != self.size:
            return self._fail(
                self.size,
                f"expected index {self.size}, found {index!r} "
                "(entries missing, duplicated or out of order)",
            )
        return True

    def feed_stored(
        self,
        index: int,
        canonical: bytes,
        recorded_leaf_hash: bytes | None,
        created_at: datetime | str,
        actor: str,
        action: str,
        subject: str,
    ) -> bool:
        """A database row (:data:`StoredRow`): the stored bytes as :meth:`feed_canonical` takes
        them, then the columns stored beside them compared with the hashed entry."""
        canonical = bytes(canonical)
        if not self._in_position(index) or not self._states_index(index, canonical):
            return False
        leaf = self._leaf(index, canonical, recorded_leaf_hash)
        if leaf is None:
            return False
        reason = beside_problem(canonical, created_at, actor, action, subject)
        if reason is not None:
            return self._fail(index, reason)
        return self._append(leaf)

    def _add(self, index: int, canonical: bytes, recorded: bytes | None) -> bool:
        leaf = self._leaf(index, canonical, recorded)
        return False if leaf is None else self._append(leaf)

    def _leaf(self, index: int, canonical: bytes, recorded: bytes | None) -> bytes | None:
        leaf = leaf_hash(canonical)
        if recorded is not None and leaf != recorded:
            self._fail(
                index,
                f"leaf hash mismatch: the entry hashes to {leaf.hex()}, "
                f"the log records {bytes(recorded).hex()}",
            )
            return None
        return leaf

    def _append(self, leaf: bytes) -> bool:
        if self._nodes is None or self._held is not None:
            self._tree.append_hash_only(leaf)
        else:
            for level, index, value in self._tree.append(leaf):
                self._compare_level(level, index, [value])
        if self._stops and self._stops[0] == self.size:
            self._arrive()
        return True

    def _extend(self, leaves: list[bytes]) -> None:
        if self._nodes is None or self._held is not None:
            self._tree.extend(leaves)
            return
        first = self.size
        levels, frontier = completed_nodes(self._tree, leaves)
        self._tree = CompactRange(first + len(leaves), frontier)
        for level, hashes in enumerate(levels):
            self._compare_level(level, first >> level, hashes)

    def _compare_level(self, level: int, lo: int, computed: list[bytes]) -> None:
        """Compare the nodes ``lo, lo + 1, ...`` at ``level`` that the entries just completed
        with the stored ones; hold the one completed first (by the lowest index) that differs."""
        assert self._nodes is not None
        stored = list(self._nodes.take(level, lo, lo + len(computed)))
        if stored == computed:
            return
        for node, (found, value) in enumerate(zip(stored, computed, strict=True), lo):
            if found == value:
                continue
            index = ((node + 1) << level) - 1  # the entry whose append completes the node
            if self._held is None or index < (self._held.index or 0):
                self._held = Problem(_node_reason(level, node, found, value), index=index)
            return

    # -- feeding in bulk --------------------------------------------------------------------

    def feed_export_lines(self, lines: Iterable[bytes], *, strict: bool = False) -> bool:
        """Export lines as bytes (a file opened in binary mode), in order."""
        return self._chunked(lines, None if strict else _lines_leaves, self._slow_line)

    def feed_rows(self, rows: Iterable[Row]) -> bool:
        """Rows ``(index, canonical bytes, recorded leaf hash or None)`` from the database."""
        return self._chunked(rows, _rows_leaves, lambda row: self.feed(*row))

    def feed_stored_rows(self, rows: Iterable[StoredRow]) -> bool:
        """Database rows with the columns stored beside the entry (:data:`StoredRow`)."""
        return self._chunked(rows, _stored_leaves, lambda row: self.feed_stored(*row))

    def _chunked(
        self, items: Iterable[Any], fast: _Fast | None, slow: Callable[[Any], bool]
    ) -> bool:
        source = iter(items)
        while self.problem is None:
            chunk = list(islice(source, self._chunk_size()))
            if not chunk:
                break
            leaves = fast(chunk, self.size) if fast else None
            if leaves is None:
                # Something is off in this chunk: go item by item to name the first problem.
                for item in chunk:
                    if not slow(item):
                        break
            else:
                self._extend(leaves)
                if self._stops and self._stops[0] == self.size:
                    self._arrive()
            if self.on_progress is not None:
                self.on_progress(self.size)
        return self.problem is None

    def _chunk_size(self) -> int:
        # Chunks end at every stop (to take that root) and at every power of ten, so that all
        # index numbers in a chunk have the same length and the entries sit at one offset.
        n = self.size
        limit: int = min(CHUNK, 10 ** len(str(n)) - n)
        return min(limit, self._stops[0] - n) if self._stops else limit

    def _slow_line(self, line: bytes) -> bool:
        index = self.size
        if self.problem is not None:
            return False
        try:
            record = json.loads(line)
        except ValueError:
            return self._fail(index, f"line {index + 1} is not valid JSON")
        if not isinstance(record, dict):
            return self._fail(index, f"line {index + 1} is not a JSON object")
        missing = [name for name in ("index", "leaf_hash", "entry") if name not in record]
        if missing:
            return self._fail(index, f"line {index + 1} lacks {', '.join(missing)}")
        if type(record["index"]) is not int:
            return self._fail(index, f"line {index + 1} has index {record['index']!r}")
        recorded = _hex_hash(record["leaf_hash"])
        if recorded is None:
            return self._fail(index, f"line {index + 1} has a leaf_hash that is not 64 hex digits")
        return self.feed_entry(record["index"], record["entry"], recorded)


def _lines_leaves(chunk: list[bytes], first: int) -> list[bytes] | None:
    """Leaf hashes of export lines in exactly the :func:`export_line` form, else None.

    One pass per check over the whole chunk, in C (map/itemgetter), no Python per line.
    """
    count = len(chunk)
    if not chunk[-1].endswith(b"\n"):
        chunk[-1] += b"\n"  # the file's last line may lack its newline; the list is ours
    if list(map(_last_two, chunk)).count(b"}\n") != count:
        return None
    entries = list(map(itemgetter(slice(_ENTRY_OFFSET + len(str(first)), -2)), chunk))
    leaves = list(map(_digest, map(sha256, map(_leaf_input, entries))))
    heads = map(_HEAD.__mod__, zip(range(first, first + count), map(hexlify, leaves), strict=True))
    if not all(map(bytes.startswith, chunk, heads)) or not stated_indices_match(entries, first):
        return None
    return leaves


def _rows_leaves(chunk: list[Row], first: int) -> list[bytes] | None:
    indices, canonicals, recorded = zip(*chunk, strict=True)
    if list(indices) != list(range(first, first + len(chunk))) or None in recorded:
        return None
    entries = list(map(bytes, canonicals))  # drivers may hand out memoryview
    if not stated_indices_match(entries, first):
        return None
    leaves = list(map(_digest, map(sha256, map(_leaf_input, entries))))
    return leaves if list(map(bytes, recorded)) == leaves else None


def _stored_leaves(chunk: list[StoredRow], first: int) -> list[bytes] | None:
    indices, canonicals, recorded, created, actors, actions, subjects = zip(*chunk, strict=True)
    if list(indices) != list(range(first, first + len(chunk))) or None in recorded:
        return None
    entries = list(map(bytes, canonicals))
    if not _beside_agree(entries, indices, created, actors, actions, subjects):
        return None
    leaves = list(map(_digest, map(sha256, map(_leaf_input, entries))))
    return leaves if list(map(bytes, recorded)) == leaves else None


def _json_strings(values: Iterable[str]) -> Iterator[bytes]:
    return map(str.encode, map(_encode_string, values))


def _beside_agree(
    entries: list[bytes],
    indices: Sequence[int],
    created: Sequence[datetime | str],
    actors: Sequence[str],
    actions: Sequence[str],
    subjects: Sequence[str],
) -> bool:
    """Whether each entry states the index, time, actor, action and subject stored beside it,
    by byte comparisons over the whole chunk without parsing; False means "look closer"
    (:func:`beside_problem`), never that something is wrong.

    The service's entries are RFC 8785 objects of six keys, so their bytes are
    ``{"action":A,"actor":B,"data":D,"index":N,"subject":S,"timestamp":T}``. Bytes that start
    with the stored action and actor written so, end with the stored index, subject and time
    written so, and hold no backslash (so no escaped key or quote) and no other "action" or
    "actor" key state exactly those values to a JSON parser: the first two members are A and B
    and no later key repeats them; the last three are read from the end, where no string can
    hide them (a JSON string ends at its first unescaped quote). The time compares as text
    here, so only when the database hands it out as the text the service hashes.
    """
    count = len(entries)
    if any(map(bytes.__contains__, entries, repeat(b"\\"))):
        return False
    heads = map(
        _STORED_HEAD.__mod__, zip(_json_strings(actions), _json_strings(actors), strict=True)
    )
    if not all(map(bytes.startswith, entries, heads)):
        return False
    try:
        times = list(_json_strings(created))  # type: ignore[arg-type]
    except TypeError:  # times as datetimes: beside_problem compares them
        return False
    tails = map(_STORED_TAIL.__mod__, zip(indices, _json_strings(subjects), times, strict=True))
    if not all(map(bytes.endswith, entries, tails)):
        return False
    for key in (b'"action"', b'"actor"'):
        if list(map(bytes.count, entries, repeat(key))).count(1) != count:
            return False
    return True


def beside_problem(
    canonical: bytes, created_at: datetime | str, actor: str, action: str, subject: str
) -> str | None:
    """Why the columns stored beside an entry do not agree with the hashed entry, or None.

    The time must be the same instant (to the microsecond) as the entry's ISO 8601 timestamp;
    both must state their UTC offset. The strings must be equal."""
    try:
        entry = json.loads(canonical)
    except ValueError:
        return "the hashed entry is not valid JSON, so no stored column agrees with it"
    if not isinstance(entry, dict):
        return "the hashed entry is not a JSON object, so no stored column agrees with it"
    stamp = entry.get("timestamp")
    stored_time = _aware_time(created_at)
    if stored_time is None or _aware_time(stamp) != stored_time:
        shown = created_at.isoformat() if isinstance(created_at, datetime) else created_at
        return f"the stored created_at {shown!r} is not the hashed timestamp {stamp!r}"
    for name, stored in (("actor", actor), ("action", action), ("subject", subject)):
        if name not in entry:
            return f"the stored {name} {stored!r} is not in the hashed entry"
        hashed = entry[name]
        if type(hashed) is not str or hashed != stored:
            return f"the stored {name} {stored!r} is not the hashed {hashed!r}"
    return None


def _aware_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else None


def _set_bits(n: int) -> list[int]:
    """The levels of the perfect subtrees of ``[0, n)``, largest first."""
    return [level for level in range(n.bit_length() - 1, -1, -1) if n >> level & 1]


def completed_nodes(
    tree: CompactRange, leaves: Sequence[bytes]
) -> tuple[list[list[bytes]], list[bytes]]:
    """Every node that appending ``leaves`` to ``tree`` completes, and the new frontier.

    ``levels[l]`` holds the hashes of nodes ``first >> l, ..., (end >> l) - 1`` at level ``l``
    (``first`` the tree's size, ``end`` the size after): what :meth:`CompactRange.append`
    returns leaf by leaf, hashed a whole level at a time as :meth:`CompactRange.extend` does.
    """
    first = tree.size
    end = first + len(leaves)
    left = dict(zip(_set_bits(first), tree.hashes, strict=True))  # the frontier, by level
    layer = list(leaves)
    levels = [layer]
    lo, hi = first, end
    while lo >> 1 < hi >> 1:
        # A node's left child is in the frontier when the level's first node is a right child.
        row = chain((left[len(levels) - 1],), layer) if lo & 1 else iter(layer)
        layer = [sha256(_NODE_PREFIX + a + b).digest() for a, b in zip(row, row, strict=False)]
        levels.append(layer)
        lo, hi = lo >> 1, hi >> 1
    frontier = []
    for level in _set_bits(end):
        offset = (end >> level) - 1 - (first >> level)
        frontier.append(levels[level][offset] if offset >= 0 else left[level])
    return levels, frontier


def _leaves(level: int, node: int) -> str:
    lo, hi = node << level, ((node + 1) << level) - 1
    return f"leaf {lo}" if lo == hi else f"leaves {lo}..{hi}"


def _node_reason(level: int, node: int, stored: bytes | None, computed: bytes) -> str:
    where = f"level {level}, node {node} ({_leaves(level, node)})"
    if stored is None:
        return f"the subtree hash at {where} is missing from audit_nodes"
    return (
        f"the stored subtree hash at {where} is not the one the entries give: "
        f"audit_nodes has {bytes(stored).hex()}, the entries give {computed.hex()}"
    )


def node_beyond_reason(level: int, node: int, size: int) -> tuple[int, str]:
    """The index to name and the reason for a stored node that a log of ``size`` entries does
    not have: the first index it claims that the log lacks."""
    if not 0 <= level <= 62 or node < 0:
        return size, f"a subtree hash is stored at level {level}, node {node}, which no tree has"
    return max(node << level, size), (
        f"a subtree hash is stored at level {level}, node {node} ({_leaves(level, node)}), "
        f"beyond the log's {size} entries"
    )


def _hex_hash(value: Any) -> bytes | None:
    if not isinstance(value, str) or len(value) != 64:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


# -- command line ---------------------------------------------------------------------------


class UsageError(Exception):
    """Bad arguments or unreadable input: one line on standard error, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)  # argparse would print two lines (usage and message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m subsidy.audit.verify", description=__doc__.split("\n")[0])
    parser.add_argument("file", metavar="FILE.jsonl", help="the export, one entry a line")
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="FILE.json",
        help="a signed checkpoint the log must match (repeatable)",
    )
    parser.add_argument("--public-key", metavar="FILE.pem", help="the key that signs checkpoints")
    parser.add_argument("--strict", action="store_true", help="parse every entry (slower)")
    parser.add_argument(
        "--note",
        metavar="CHECKPOINT.txt",
        help="a C2SP checkpoint (signed note, /log/checkpoint) the log must match",
    )
    parser.add_argument(
        "--vkey", metavar="VKEY", help="the log's verifier key (/log/vkey), or a file holding it"
    )
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="VKEY",
        help="a witness's verifier key, or a file holding it (repeatable)",
    )
    parser.add_argument(
        "--quorum", type=int, metavar="K", help="witness cosignatures needed (default: all)"
    )
    return parser


def _read(path: str, argument: str, load: Callable[[bytes], Any], what: str) -> Any:
    try:
        with open(path, "rb") as handle:
            return load(handle.read())
    except OSError as exc:
        raise UsageError(f"argument {argument} {path}: cannot read: {exc.strerror}") from exc
    except ValueError as exc:
        raise UsageError(f"argument {argument} {path}: not {what}") from exc


def _expect_checkpoints(
    verifier: LogVerifier, paths: list[str], key: Ed25519PublicKey | None
) -> list[str]:
    """Check each checkpoint by itself, smallest first, and have the verifier expect its root.

    Returns the lines to print on success; a bad checkpoint becomes the verifier's problem.
    """
    parsed = []
    for path in paths:
        checkpoint = _read(path, "--checkpoint", json.loads, "JSON")
        try:
            parsed.append((*checkpoints.parse_root(checkpoint), checkpoint))
        except ValueError as exc:
            verifier.record(Problem(f"malformed: {exc}", checkpoint=path))
            return []
    notes = []
    for size, root, checkpoint in sorted(parsed, key=itemgetter(0)):
        reason = None if key is None else checkpoints.checkpoint_problem(key, checkpoint)
        if reason is not None:
            verifier.record(Problem(reason, checkpoint=size))
            return []
        checked = (
            "NOT checked (no key)" if key is None else f"valid (key_id {checkpoint['key_id']})"
        )
        notes.append(f"checkpoint {size}: root matches, signature {checked}")
        verifier.expect_root(size, root)
    return notes


def _progress(size: int) -> None:
    # Chunks hold at most CHUNK entries, so this redraws about once per 65,536 of them.
    if size % 65536 < CHUNK:
        sys.stderr.write(f"\rverified {size:,} entries\x1b[K")
        sys.stderr.flush()


def _vkey(value: str, argument: str) -> note.Verifier:
    """A vkey given as is, or the path of a file holding one."""
    text = value
    if os.path.isfile(value):
        text = _read(value, argument, lambda data: data.decode("utf-8"), "UTF-8 text")
    try:
        return note.parse_vkey(text.strip())
    except note.NoteError as exc:
        raise UsageError(f"argument {argument}: {exc}") from exc


def _expect_note(verifier: LogVerifier, args: argparse.Namespace) -> str | None:
    """The C2SP checkpoint: the log's signature and a quorum of witness cosignatures, then its
    root expected of the log. Returns the line to print on success; a bad note becomes the
    verifier's problem."""
    if args.note is None:
        if args.vkey or args.witness or args.quorum is not None:
            raise UsageError("--vkey, --witness and --quorum go with --note")
        return None
    if not args.vkey:
        raise UsageError("argument --note needs --vkey, the log's verifier key")
    log_key = _vkey(args.vkey, "--vkey")
    witnesses = [_vkey(value, "--witness") for value in args.witness]
    quorum = len(witnesses) if args.quorum is None else args.quorum
    if not 0 <= quorum <= len(witnesses):
        raise UsageError(f"argument --quorum: must be 0..{len(witnesses)} (the --witness keys)")
    text = _read(args.note, "--note", bytes, "a file")
    try:
        witnessed = verify_witnessed(text, log_key, witnesses, quorum)
    except note.NoteError as exc:
        verifier.record(Problem(str(exc), checkpoint="note"))
        return None
    checkpoint = witnessed.checkpoint
    verifier.expect_root(checkpoint.size, checkpoint.root)
    return (
        f"checkpoint note {checkpoint.origin} at {checkpoint.size} entries: signed by the log, "
        f"cosigned by {len(witnessed.cosigned_by)} of {len(witnesses)} witnesses "
        f"(quorum {quorum})"
    )


def _verify(args: argparse.Namespace, log: BinaryIO) -> int:
    verifier = LogVerifier()
    noted = _expect_note(verifier, args)
    if verifier.problem is not None:
        print(verifier.problem)
        return 1
    key = None
    if args.public_key is not None:  # even "" must be read (and fail), never mean "no key"
        load = checkpoints.load_public_key_pem
        key = _read(args.public_key, "--public-key", load, "an Ed25519 public key")
    notes = _expect_checkpoints(verifier, args.checkpoint, key)
    verifier.on_progress = _progress if sys.stderr.isatty() else None
    try:
        verifier.feed_export_lines(log, strict=args.strict)
    finally:
        if verifier.on_progress is not None:
            sys.stderr.write("\r\x1b[K")
    if not verifier.finish():
        print(verifier.problem)
        return 1
    for line in notes:
        print(line)
    if noted:
        print(noted)
    print(f"OK {verifier.size} entries, root {verifier.root().hex()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        with open(args.file, "rb", buffering=1 << 20) as log:
            return _verify(args, log)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:  # the log itself: opening or reading it
        print(
            f"error: argument FILE.jsonl {args.file}: cannot read: {exc.strerror}", file=sys.stderr
        )
    return 2


if __name__ == "__main__":
    sys.exit(main())
