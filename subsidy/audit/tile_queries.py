"""Reads of the log as C2SP tlog-tiles (:mod:`subsidy.audit.tiles`): one primary-key range query
per tile, whatever the log's size.

A tile is there when every hash (or entry) it holds is: ``audit_nodes`` has a node at level
``8*L`` only once its whole subtree of ``256**L`` leaves is in the log, and appends commit the
entries and their nodes together. So the width-``W`` tile is served exactly when the committed
log has at least its :attr:`~subsidy.audit.tiles.Tile.end_index` entries, and a prefix of the
log never changes: a full tile, and a partial tile of any width the log covers, always reads the
same. Partial tiles for the sizes of signed checkpoints (which the spec requires) are among them.
"""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.audit.models import AuditEntry, AuditNode
from subsidy.audit.tiles import TILE_WIDTH, Tile, encode_entry_bundle
from subsidy.extensions import db

# Built once: both bounds inclusive, so that the last node of the last possible tile (2**63 - 1)
# is a bound a BIGINT holds.
_HASHES = (
    sa.select(AuditNode.hash)
    .where(
        AuditNode.level == sa.bindparam("level"),
        AuditNode.node_index.between(sa.bindparam("first"), sa.bindparam("last")),
    )
    .order_by(AuditNode.node_index)
)
_ENTRIES = (
    sa.select(AuditEntry.canonical)
    .where(AuditEntry.entry_index.between(sa.bindparam("first"), sa.bindparam("last")))
    .order_by(AuditEntry.entry_index)
)


def tile_bytes(level: int, index: int, width: int = TILE_WIDTH) -> bytes | None:
    """The ``width`` hashes of hash tile ``index`` at ``level``, end to end (32 bytes each);
    None while the log does not have them all."""
    tile = Tile(level, index, width)
    first, end = tile.node_range
    params = {"level": tile.node_level, "first": first, "last": end - 1}
    hashes = db.session.execute(_HASHES, params).scalars().all()
    if len(hashes) != width:
        return None
    return b"".join(bytes(value) for value in hashes)


def entry_bundle(index: int, width: int = TILE_WIDTH) -> bytes | None:
    """Entry bundle ``index`` of ``width`` entries: each entry's canonical bytes behind their
    length (a big-endian uint16); None while the log does not have them all.

    :class:`~subsidy.audit.tiles.EntryTooLarge` if an entry is 65,536 bytes or more.
    """
    tile = Tile(0, index, width, entries=True)
    first, end = tile.node_range
    entries = db.session.execute(_ENTRIES, {"first": first, "last": end - 1}).scalars().all()
    if len(entries) != width:
        return None
    return encode_entry_bundle(bytes(entry) for entry in entries)
