"""/log/tile: the log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles), read through HTTP like any
tlog-tiles client would, and checked with an implementation of the spec written here, apart from
the service's: RFC 6962 hashing over the entry bundles' bytes, each tile hash the Merkle Tree
Hash of the tile below, and tree roots computed from tiles alone against the signed checkpoints
and the service's tree head."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from subsidy.audit import queries
from subsidy.audit.actions import Action
from subsidy.audit.services import Entry, append_entries, lock_log, log_size
from subsidy.extensions import db

FULL = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"

# --- the spec, independently: hashing, paths, bundles -------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH over already-hashed leaves: split at the largest power of two < n."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def tile_path(level: int | str, index: int, width: int = 256) -> str:
    """``<L>/<N>[.p/<W>]``: N in zero-padded 3-digit elements, all but the last ``x``-prefixed."""
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    elements = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    name = "/".join([*(f"x{e}" for e in elements[:-1]), elements[-1]])
    return f"/log/tile/{level}/{name}" + ("" if width == 256 else f".p/{width}")


def split_bundle(data: bytes) -> list[bytes]:
    entries, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 2], "big")
        entry = data[offset + 2 : offset + 2 + length]
        assert len(entry) == length, "a bundle ends inside an entry"
        entries.append(entry)
        offset += 2 + length
    return entries


class TileReader:
    """Fetches tiles once each, as a client would, and checks what every answer must be."""

    def __init__(self, client):
        self.client, self.fetched = client, {}

    def get(self, path: str) -> bytes:
        if path not in self.fetched:
            response = self.client.get(path, headers={"Accept-Encoding": "gzip, identity"})
            assert response.status_code == 200, (path, response.data)
            assert response.mimetype == "application/octet-stream"
            body = response.data
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            self.fetched[path] = body
        return self.fetched[path]

    def hashes(self, level: int, index: int, width: int = 256) -> list[bytes]:
        data = self.get(tile_path(level, index, width))
        assert len(data) == 32 * width
        return [data[i : i + 32] for i in range(0, len(data), 32)]

    def entries(self, index: int, width: int = 256) -> list[bytes]:
        found = split_bundle(self.get(tile_path("entries", index, width)))
        assert len(found) == width
        return found

    def subtree(self, level: int, number: int, size: int) -> bytes:
        """Hash ``number`` of level ``level`` (a subtree of 256**level leaves) as seen by a
        client holding a checkpoint of ``size``: from the full tile, or from the partial tile
        that this size requires (floor(size / 256**level) mod 256 hashes)."""
        index, position = divmod(number, 256)
        have = size // 256**level
        width = 256 if have >= (index + 1) * 256 else have - index * 256
        assert position < width
        return self.hashes(level, index, width)[position]

    def root(self, size: int) -> bytes:
        """MTH(D[0:size]) from tiles alone, reading a tile hash wherever a tile holds one."""

        def subtree_hash(lo: int, hi: int) -> bytes:
            n, level = hi - lo, 0
            while 256 ** (level + 1) <= n:
                level += 1
            if n == 256**level and lo % n == 0:
                return self.subtree(level, lo // n, size)
            k = 1
            while k * 2 < n:
                k *= 2
            return node_hash(subtree_hash(lo, lo + k), subtree_hash(lo + k, hi))

        return subtree_hash(0, size)


# --- the log under test --------------------------------------------------------------------------


def grow_log(size: int, batch: int = 5000) -> int:
    """Append test entries (of varied lengths) until the log has ``size``; the log's size."""
    while (have := log_size(db.session)) < size:
        count = min(batch, size - have)
        lock_log(db.session)  # appended at once, not queued for the sequencer
        append_entries(
            [
                Entry("test", Action.LOGIN_SUCCEEDED, f"user:{n}", {"pad": "x" * (n % 300)})
                for n in range(have, have + count)
            ]
        )
    db.session.commit()
    return log_size(db.session)


@pytest.fixture
def log(app):
    """A log of 600 entries: level-0 tiles 0 and 1 full, tile 2 of 88; level 1 of width 2."""
    size = grow_log(600)
    assert size == 600, "the test database's log did not start empty"
    return size


def signed_sizes() -> dict[int, bytes]:
    return {
        cp["tree_size"]: bytes.fromhex(cp["root_hash"])
        for cp in queries.checkpoints_page(limit=100_000)
    }


# --- verification against the spec ---------------------------------------------------------------


def test_tiles_hash_to_the_signed_roots(client, log):
    reader = TileReader(client)
    entries = [*reader.entries(0), *reader.entries(1), *reader.entries(2, 88)]
    level0 = [*reader.hashes(0, 0), *reader.hashes(0, 1), *reader.hashes(0, 2, 88)]
    # Each entry hashes to the corresponding level-0 hash; the bytes are the stored canonical ones.
    assert [leaf_hash(e) for e in entries] == level0
    assert entries[599].startswith(b'{"action":"login_succeeded","actor":"test","data":{"pad"')
    # A level-1 hash is the MTH of the full level-0 tile below it; partial tiles are not hashed up.
    assert reader.hashes(1, 0, 2) == [mth(level0[:256]), mth(level0[256:512])]
    # The root from tiles alone, and from the entries alone, is the service's and the signed one.
    head = queries.tree_head()
    assert head["tree_size"] == 600
    assert reader.root(600) == mth([leaf_hash(e) for e in entries])
    assert reader.root(600).hex() == head["root_hash"]
    signed = signed_sizes()
    assert sorted(signed) == [100, 200, 300, 400, 500, 600]
    for size, root in signed.items():
        assert reader.root(size) == root, size


def test_the_spec_example_of_a_tree_of_70000(client, app):
    """The spec's "273 full level 0 tiles, one partial level 0 tile of width 112, one full level
    1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1"; and
    the roots of signed checkpoints from the tiles their sizes require."""
    assert grow_log(70_000) == 70_000
    reader = TileReader(client)
    level1 = reader.hashes(1, 0) + reader.hashes(1, 1, 17)
    assert reader.hashes(2, 0, 1) == [mth(reader.hashes(1, 0))]
    for index in (0, 1, 137, 255, 256, 272):  # level-1 hash i is the MTH of level-0 tile i
        assert level1[index] == mth(reader.hashes(0, index)), index
    last = reader.hashes(0, 273, 112)
    assert [leaf_hash(e) for e in reader.entries(273, 112)] == last
    assert [leaf_hash(e) for e in reader.entries(200)] == reader.hashes(0, 200)
    assert reader.root(70_000).hex() == queries.tree_head()["root_hash"]
    for tile in ("0/273", "0/274.p/1", "1/001", "1/001.p/18", "2/000", "3/000.p/1", "entries/273"):
        assert client.get(f"/log/tile/{tile}").status_code == 404, tile
    signed = signed_sizes()
    assert len(signed) == 700
    for size in [*sorted(signed)[::37], 65_500, 65_600, 69_900, 70_000]:
        assert reader.root(size) == signed[size], size


# --- HTTP: headers, widths, refusals -----------------------------------------------------------


def test_full_tiles_are_immutable_and_partial_ones_short_lived(client, log):
    for path, cache, length in [
        ("/log/tile/0/000", FULL, 8192),
        ("/log/tile/0/001", FULL, 8192),
        ("/log/tile/0/002.p/88", PARTIAL, 88 * 32),
        ("/log/tile/1/000.p/2", PARTIAL, 64),
        ("/log/tile/entries/001", FULL, None),
        ("/log/tile/entries/002.p/88", PARTIAL, None),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Cache-Control"] == cache, path
        assert "Set-Cookie" not in response.headers  # shared caches may keep it
        if length is not None:
            assert len(response.data) == length
            assert response.headers["Content-Length"] == str(length)


def test_every_width_the_log_covers_is_served(client, log):
    reader = TileReader(client)
    full = reader.hashes(0, 0)
    entries = reader.entries(0)
    for width in range(1, 256):
        assert reader.hashes(0, 0, width) == full[:width]
        assert reader.entries(0, width) == entries[:width]
    partial = reader.hashes(0, 2, 88)
    for width in range(1, 88):
        assert reader.hashes(0, 2, width) == partial[:width]
    assert reader.hashes(1, 0, 1) == reader.hashes(1, 0, 2)[:1]
    for path in ("0/002.p/89", "0/002.p/255", "0/002", "entries/002.p/89", "entries/002"):
        assert client.get(f"/log/tile/{path}").status_code == 404, path


def test_entry_bundles_are_gzipped_when_the_client_allows(client, log):
    plain = client.get("/log/tile/entries/000")
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.vary  # and Cookie: flask-login reads every session
    for accept in ("gzip", "gzip, deflate, br", "identity;q=0.5, gzip", "*", "x-gzip"):
        response = client.get("/log/tile/entries/000", headers={"Accept-Encoding": accept})
        assert response.headers["Content-Encoding"] == "gzip", accept
        assert "Accept-Encoding" in response.vary
        assert gzip.decompress(response.data) == plain.data
        assert len(response.data) < len(plain.data) / 2
        assert response.headers["Cache-Control"] == FULL
    for accept in ("identity", "gzip;q=0", "gzip;q=0, *", "br", ""):
        response = client.get("/log/tile/entries/000", headers={"Accept-Encoding": accept})
        assert "Content-Encoding" not in response.headers, accept
        assert response.data == plain.data
    partial = client.get("/log/tile/entries/002.p/88", headers={"Accept-Encoding": "gzip"})
    assert partial.headers["Content-Encoding"] == "gzip"
    assert split_bundle(gzip.decompress(partial.data))[87].startswith(b'{"action"')
    # Hash tiles are random bytes: never compressed.
    hashes = client.get("/log/tile/0/000", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in hashes.headers
    assert len(hashes.data) == 8192


@pytest.mark.parametrize(
    "path",
    [
        "0/0067",
        "0/67",
        "0/x1/067",
        "0/x000/002",
        "0/001/002",
        "00/000",
        "01/000",
        "64/000",
        "-1/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/08",
        "0/000.p",
        "0/000/",
        "0//000",
        "0/000.p//8",
        "entries/x000/000",
        "entries/000.p/256",
        "entries",
        "entries/",
        "data/000",
        "x/000",
        "0/x036/x028/x797/x018/x963/968",  # starts at 2**63
        "0/x999/x999/x999/x999/x999/x999/x999/x999/999",
        "0/%C2%B9%C2%B2%C2%B3",  # superscript digits
        "0/000%2F",
    ],
)
def test_malformed_paths_are_404_with_a_reason(client, log, path):
    response = client.get(f"/log/tile/{path}")
    assert response.status_code == 404, path
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True).strip(), "a reason"


@pytest.mark.parametrize(
    "path",
    [
        "0/003",
        "0/x001/000",
        "0/x036/x028/x797/x018/x963/967",  # the last tile a 64-bit log can have
        "0/003.p/1",
        "1/000",
        "1/000.p/3",
        "1/001.p/1",
        "2/000.p/1",
        "63/000.p/1",
        "entries/003",
        "entries/x036/x028/x797/x018/x963/967.p/255",
    ],
)
def test_tiles_the_log_does_not_have_are_404(client, log, path):
    response = client.get(f"/log/tile/{path}")
    assert response.status_code == 404, path
    assert response.mimetype == "text/plain"
    assert "does not have" in response.get_data(as_text=True)


def test_an_empty_log_serves_no_tile(client, app):
    if log_size(db.session):
        pytest.skip("the test database's log is not empty")
    for path in ("0/000.p/1", "entries/000.p/1", "0/000", "1/000.p/1"):
        assert client.get(f"/log/tile/{path}").status_code == 404


def test_head_and_other_methods(client, log):
    head = client.head("/log/tile/0/000")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "8192"
    assert head.data == b""
    assert client.post("/log/tile/0/000").status_code == 405
