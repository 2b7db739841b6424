"""C2SP tlog-tiles paths, ranges and entry bundles (subsidy.audit.tiles), against the spec's text
and examples (https://c2sp.org/tlog-tiles)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidy.audit.tiles import (
    MAX_ENTRY_SIZE,
    MAX_START_INDEX,
    EntryTooLarge,
    Tile,
    TilePathError,
    encode_entry_bundle,
    format_index,
    parse_tile_path,
    partial_tiles,
)


def _max_index(level: int) -> int:
    return MAX_START_INDEX // 256 ** (level + 1)


@st.composite
def tiles(draw) -> Tile:
    entries = draw(st.booleans())
    level = 0 if entries else draw(st.integers(0, 63))
    largest = _max_index(level)
    index = draw(
        st.one_of(st.integers(0, min(2000, largest)), st.integers(0, largest), st.just(largest))
    )
    width = draw(st.one_of(st.just(256), st.integers(1, 255)))
    return Tile(level, index, width, entries)


# --- formatting: the spec's examples -----------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "text"),
    [
        (0, "000"),
        (7, "007"),
        (67, "067"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),
        (1_000_000, "x001/x000/000"),
        (MAX_START_INDEX // 256, "x036/x028/x797/x018/x963/967"),
    ],
)
def test_index_elements(index, text):
    assert format_index(index) == text
    assert parse_tile_path(f"tile/0/{text}") == Tile(0, index)


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 1234067), "tile/0/x001/x234/067"),
        (Tile(0, 1234067, 8), "tile/0/x001/x234/067.p/8"),
        (Tile(1, 1, 17), "tile/1/001.p/17"),
        (Tile(2, 0, 1), "tile/2/000.p/1"),
        (Tile(63, 0, 255), "tile/63/000.p/255"),
        (Tile(0, 273, entries=True), "tile/entries/273"),
        (Tile(0, 273, 112, entries=True), "tile/entries/273.p/112"),
    ],
)
def test_paths(tile, path):
    assert tile.path() == path
    assert parse_tile_path(path) == tile


@given(tiles())
def test_format_then_parse_is_the_same_tile(tile):
    assert parse_tile_path(tile.path()) == tile


@given(tiles())
def test_one_tile_one_path(tile):
    """Every spelling that differs from the canonical path is refused or names another tile."""
    path = tile.path()
    for variant in _respellings(path):
        try:
            other = parse_tile_path(variant)
        except TilePathError:
            continue
        assert other != tile, (path, variant)


def _respellings(path: str) -> list[str]:
    parts = path.split("/")
    variants = []
    for position, part in enumerate(parts):
        for changed in (
            "0" + part,
            "x" + part,
            part.removeprefix("x"),
            part + "/",
            part.upper(),
            "+" + part,
            part + " ",
        ):
            if changed != part:
                variants.append("/".join([*parts[:position], changed, *parts[position + 1 :]]))
    variants.append("/".join([parts[0], parts[1], "x000", *parts[2:]]))
    variants.append(path + "/")
    return variants


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "",
        "tile",
        "tile/0",
        "tile/0/",
        "tiles/0/000",
        "/tile/0/000",
        "tile/0/000/",
        "tile//000",
        # levels
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/100/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/1.0/000",
        "tile/ 1/000",
        "tile/١/000",  # an Arabic-Indic digit: str.isdigit says yes, the spec says ASCII
        "tile/x/000",
        "tile/data/000",
        "tile/Entries/000",
        "tile/entries",
        "tile/entries/",
        # index elements
        "tile/0/0",
        "tile/0/67",
        "tile/0/0067",
        "tile/0/x067",
        "tile/0/x1/067",
        "tile/0/x0001/067",
        "tile/0/001/067",
        "tile/0/X001/067",
        "tile/0/x001/x067",
        "tile/0/x000/067",
        "tile/0/x000/x001/067",
        "tile/0/x000/000",
        "tile/entries/x000/000",
        "tile/0/-01",
        "tile/0/+01",
        "tile/0/ 01",
        "tile/0/0x1",
        "tile/0/1e2",
        "tile/0/x001//067",
        "tile/0/x001/x002/x003/x004/x005/x006/x007/000",  # far beyond 2**63
        "tile/0/x036/x028/x797/x018/x963/968",  # the first tile starting at 2**63
        "tile/1/x140/x737/x488/x355/328",  # level 1 tile 2**47 starts at 2**63
        "tile/8/001",  # level 8 tile 1 starts at 256**9 = 2**72
        # partial widths
        "tile/0/000.p",
        "tile/0/000.p/",
        "tile/0/000.p/0",
        "tile/0/000.p/00",
        "tile/0/000.p/08",
        "tile/0/000.p/256",
        "tile/0/000.p/1000",
        "tile/0/000.p/-1",
        "tile/0/000.p/+1",
        "tile/0/000.p/x1",
        "tile/0/000.p/1/",
        "tile/0/000.p/1/000",
        "tile/0/000.P/1",
        "tile/0/000.p.p/1",
        "tile/0/.p/1",
        "tile/0/x001.p/1/000",
        "tile/0/000/.p/1",
        "tile/entries/000.p/256",
        "tile/entries/000.p/0",
    ],
)
def test_non_canonical_paths_are_refused(path):
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_the_largest_tiles_parse():
    last = MAX_START_INDEX // 256
    assert parse_tile_path(f"tile/0/{format_index(last)}").start_index == last * 256
    assert parse_tile_path("tile/7/000").end_index == 2**64
    assert parse_tile_path("tile/63/000.p/1").end_index == 256**63


@pytest.mark.parametrize(
    "arguments",
    [(-1, 0), (64, 0), (0, -1), (0, 0, 0), (0, 0, 257), (1, 0, 256, True), (8, 1)],
)
def test_impossible_tiles_are_refused(arguments):
    with pytest.raises(ValueError):
        Tile(*arguments)


@pytest.mark.parametrize("arguments", [(True, 0), (0, 1.0), (0, 0, "256")])
def test_tiles_are_made_of_ints(arguments):
    with pytest.raises(TypeError):
        Tile(*arguments)


# --- ranges -------------------------------------------------------------------------------------


def test_ranges_follow_the_spec_definitions():
    tile = Tile(2, 3)
    assert tile.leaves_per_hash == 256**2
    assert tile.start_index == 3 * 256**3
    assert tile.end_index == 4 * 256**3
    assert tile.node_level == 16
    assert tile.node_range == (768, 1024)
    partial = Tile(1, 1, 17)
    assert partial.partial
    assert partial.start_index == 65536
    assert partial.end_index == 65536 + 17 * 256  # the smallest tree with those 17 hashes
    assert partial.node_range == (256, 273)
    bundle = Tile(0, 273, 112, entries=True)
    assert (bundle.start_index, bundle.end_index, bundle.node_range) == (
        69888,
        70000,
        (69888, 70000),
    )


def test_the_spec_example_of_a_tree_of_70000():
    """The spec's "273 full level 0 tiles, one partial level 0 tile of width 112, one full level
    1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1"."""
    assert partial_tiles(70_000) == [
        Tile(0, 273, 112),
        Tile(1, 1, 17),
        Tile(2, 0, 1),
        Tile(0, 273, 112, entries=True),
    ]


def test_the_spec_example_of_a_tree_of_256():
    """The spec's "a full level 0 tile and a partial level 1 tile of width 1"."""
    assert partial_tiles(256) == [Tile(1, 0, 1)]
    assert partial_tiles(0) == []
    assert partial_tiles(1) == [Tile(0, 0, 1), Tile(0, 0, 1, entries=True)]


@given(st.integers(0, 2**40))
def test_partial_tiles_have_the_specified_widths(size):
    by_level = {tile.level: tile for tile in partial_tiles(size) if not tile.entries}
    level = 0
    while 256**level <= size:
        width = (size // 256**level) % 256
        if width:
            tile = by_level.pop(level)
            assert tile.width == width
            assert tile.end_index == size - size % 256**level  # every hash a full subtree
        level += 1
    assert by_level == {}


# --- entry bundles ------------------------------------------------------------------------------


def test_entry_bundle_encoding():
    assert encode_entry_bundle([]) == b""
    assert encode_entry_bundle([b"", b"a", b"{}"]) == b"\x00\x00\x00\x01a\x00\x02{}"
    longest = b"x" * MAX_ENTRY_SIZE
    assert encode_entry_bundle([longest]) == b"\xff\xff" + longest
    assert encode_entry_bundle([b"y" * 256]) == b"\x01\x00" + b"y" * 256


def test_an_entry_of_65536_bytes_is_refused():
    with pytest.raises(EntryTooLarge, match="entry 1 of the bundle is 65,536 bytes"):
        encode_entry_bundle([b"ok", b"z" * 65536])


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_entry_bundles_split_back_into_their_entries(entries):
    bundle = encode_entry_bundle(entries)
    found, offset = [], 0
    while offset < len(bundle):
        length = int.from_bytes(bundle[offset : offset + 2], "big")
        found.append(bundle[offset + 2 : offset + 2 + length])
        offset += 2 + length
    assert found == entries
