"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile paths, the range each tile covers, and
entry bundles. Pure: no Flask, no SQLAlchemy.

Tiles have height 8: the tile at level ``L``, index ``N`` holds, for ``i`` in ``0 .. W-1``, the
hash of the perfect subtree over leaves ``[(N*256 + i) * 256**L, (N*256 + i + 1) * 256**L)``,
which is the stored node ``(8*L, N*256 + i)`` of :mod:`subsidy.audit.merkle`. A full tile has
``W = 256``; a partial one ``1 <= W <= 255`` (``.p/<W>`` in its path). Entry bundle ``N`` holds
entries ``N*256 .. N*256 + W - 1``, each behind its length as a big-endian uint16.

Paths are parsed strictly: one tile has one path, and every other spelling (``0067`` for
``067``, ``x1/067``, a leading ``x000`` element, ``01`` as a level, ``.p/0``, ``.p/256``) is
refused, not normalised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes or entries in a full tile
HASH_SIZE = 32
MAX_LEVEL = 63
# Go's golang.org/x/mod/sumdb/tlog (and so most clients) count tiles and tree sizes in int64:
# a tile starting at leaf 2**63 or later lies beyond any log they can follow.
MAX_START_INDEX = (1 << 63) - 1
MAX_ENTRY_SIZE = 0xFFFF  # the largest length a uint16 prefix can state
# 2**63 has 19 decimal digits: at most 7 three-digit elements.
_MAX_INDEX_ELEMENTS = 7
_DIGITS = frozenset("0123456789")
ENTRIES = "entries"


class TilePathError(ValueError):
    """A path that is not the canonical path of any tile (the message says what is wrong)."""


class EntryTooLarge(ValueError):
    """An entry an entry bundle cannot hold: its length does not fit the uint16 prefix."""


@dataclass(frozen=True)
class Tile:
    """Level-``level`` hash tile number ``index`` of ``width`` hashes, or, with ``entries``,
    the entry bundle of that index and width (``level`` is then 0: bundles sit at level 0)."""

    level: int
    index: int
    width: int = TILE_WIDTH
    entries: bool = False

    def __post_init__(self) -> None:
        for name in ("level", "index", "width"):
            if type(getattr(self, name)) is not int:
                raise TypeError(f"a tile's {name} is an int")
        if not 0 <= self.level <= MAX_LEVEL:
            raise ValueError(f"a tile's level is 0 to {MAX_LEVEL}, not {self.level}")
        if self.entries and self.level != 0:
            raise ValueError("entry bundles are at level 0")
        if not 1 <= self.width <= TILE_WIDTH:
            raise ValueError(f"a tile's width is 1 to {TILE_WIDTH}, not {self.width}")
        if self.index < 0:
            raise ValueError(f"a tile's index is not negative, not {self.index}")
        if self.start_index > MAX_START_INDEX:
            raise ValueError(f"tile {self.index} at level {self.level} starts at 2**63 or later")

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def leaves_per_hash(self) -> int:
        """Leaves under each hash of the tile: ``256**level``."""
        return 1 << (TILE_HEIGHT * self.level)

    @property
    def start_index(self) -> int:
        """The spec's start index: the first leaf the tile spans, ``index * 256**(level+1)``."""
        return self.index * TILE_WIDTH * self.leaves_per_hash

    @property
    def end_index(self) -> int:
        """One past the last leaf this tile spans at its width: ``start + width * 256**level``.

        For a full tile it is the spec's end index; for a partial tile it is the smallest tree
        size that has the tile at this width.
        """
        return self.start_index + self.width * self.leaves_per_hash

    @property
    def node_level(self) -> int:
        """The merkle level of the tile's hashes: ``8 * level``."""
        return TILE_HEIGHT * self.level

    @property
    def node_range(self) -> tuple[int, int]:
        """The node indices ``[first, end)`` at :attr:`node_level` (entry indices for a bundle)."""
        first = self.index * TILE_WIDTH
        return first, first + self.width

    def path(self) -> str:
        """The tile's path below the log's prefix, e.g. ``tile/0/x001/x234/067.p/8``."""
        level = ENTRIES if self.entries else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{format_index(self.index)}{suffix}"


def format_index(index: int) -> str:
    """``index`` as zero-padded 3-digit elements, all but the last prefixed ``x``."""
    if type(index) is not int or index < 0:
        raise ValueError("a tile index is a non-negative int")
    elements = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        elements.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(elements))


def _digits(text: str, what: str) -> int:
    if not text or not set(text) <= _DIGITS:
        raise TilePathError(f"{what} is not a decimal number: {text!r}")
    if len(text) > 1 and text[0] == "0":
        raise TilePathError(f"{what} has a leading zero: {text!r}")
    return int(text)


def parse_index(elements: list[str]) -> int:
    """The index spelled by ``elements`` (``["x001", "x234", "067"]`` -> 1234067), strictly."""
    if not elements:
        raise TilePathError("the tile index is missing")
    if len(elements) > _MAX_INDEX_ELEMENTS:
        raise TilePathError("the tile index is too large")
    index = 0
    for position, element in enumerate(elements):
        last = position == len(elements) - 1
        digits = element if last else element.removeprefix("x")
        if not last and digits == element:
            raise TilePathError(f"index element {element!r} must begin with 'x'")
        if len(digits) != 3 or not set(digits) <= _DIGITS:
            expected = "three digits" if last else "'x' and three digits"
            raise TilePathError(f"index element {element!r} is not {expected}")
        index = index * 1000 + int(digits)
    if len(elements) > 1 and elements[0] == "x000":
        raise TilePathError("the tile index has a leading 'x000' element")
    return index


def parse_tile_path(path: str) -> Tile:
    """The tile of ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``; TilePathError for
    anything else, including non-canonical spellings of a tile's path."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError("a tile path is tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]")
    entries = parts[1] == ENTRIES
    level = 0 if entries else _digits(parts[1], "the level")
    if level > MAX_LEVEL:
        raise TilePathError(f"the level is 0 to {MAX_LEVEL}, not {level}")
    elements = parts[2:]
    width = TILE_WIDTH
    if len(elements) >= 2 and elements[-2].endswith(".p"):
        width = _digits(elements[-1], "the width")
        if not 1 <= width < TILE_WIDTH:
            raise TilePathError(f"a partial tile's width is 1 to {TILE_WIDTH - 1}, not {width}")
        elements = [*elements[:-2], elements[-2].removesuffix(".p")]
    index = parse_index(elements)
    try:
        return Tile(level, index, width, entries)
    except ValueError as refused:
        raise TilePathError(str(refused)) from None


def partial_tiles(size: int) -> list[Tile]:
    """The partial tiles (levels 0 and up, then the entry bundle) of a tree of ``size`` leaves.

    The level-``l`` one has ``floor(size / 256**l) mod 256`` hashes; empty ones are left out.
    """
    if type(size) is not int or size < 0:
        raise ValueError("a tree size is a non-negative int")
    found = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        if hashes % TILE_WIDTH:
            found.append(Tile(level, hashes // TILE_WIDTH, hashes % TILE_WIDTH))
        level += 1
    if size % TILE_WIDTH:
        found.append(Tile(0, size // TILE_WIDTH, size % TILE_WIDTH, entries=True))
    return found


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Each entry behind its length as a big-endian uint16; EntryTooLarge for one of 65,536
    bytes or more (the prefix could not state its length)."""
    out = bytearray()
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise EntryTooLarge(
                f"entry {position} of the bundle is {len(entry):,} bytes: an entry bundle holds "
                f"entries of at most {MAX_ENTRY_SIZE:,} bytes (a 2-byte length)"
            )
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)
