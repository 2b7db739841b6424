"""Insert guards on the transparency log: a row the app role (or anyone whose triggers are on)
inserts must agree with the log it joins.

PostgreSQL (BEFORE INSERT, ENABLE ALWAYS like 0001's, so they fire under
session_replication_role = replica too):

* audit_entries: leaf_hash is SHA-256(0x00 || canonical); the canonical bytes are a UTF-8 JSON
  object whose index, actor, action and subject are the row's columns (as JSON values, so a
  number is not a string) and whose timestamp, with its UTC offset, is the row's created_at.
* audit_nodes: a leaf (level 0) is the leaf_hash of the stored entry at its index; a node above
  is SHA-256(0x01 || left || right) of its two children, which must be stored. Appends write the
  leaf before the nodes it completes, and the children before their parent (one statement sees
  the rows it inserted before), so only a node of the log's own tree can be inserted.
* audit_checkpoints: tree_size is at most the log's size and root_hash is the root of the log's
  first tree_size entries, folded right to left from the perfect subtrees in audit_nodes
  (the signature cannot be checked in SQL: `subsidy audit verify` checks it).

SQLite has no SHA-256, so it checks what it can: the entry's JSON fields against the columns
(json_extract; created_at against the timestamp in the form the service writes,
``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``), a leaf against its entry's leaf_hash, that a node's two
children are stored, and that a checkpoint is not larger than the log. It does not check a leaf
hash, a node's hash above level 0 or a checkpoint's root: `subsidy audit verify` reports those.

jsonb and json_extract disagree on an object with a repeated key (the last one counts in jsonb,
the first in SQLite); RFC 8785 bytes never repeat a key, and verify reads entries as Python's
json does (the last one counts). A string holding U+0000 cannot be stored by PostgreSQL at all.

An owner can still disable or drop these triggers; the tamper drills show verify catching what
they let through.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, trigger, function) on PostgreSQL.
POSTGRES_GUARDS = (
    ("audit_entries", "audit_entries_agree", "audit_entry_agrees"),
    ("audit_nodes", "audit_nodes_agree", "audit_node_agrees"),
    ("audit_checkpoints", "audit_checkpoints_agree", "audit_checkpoint_agrees"),
)

_ENTRY = r"""
CREATE FUNCTION audit_entry_agrees() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry jsonb;
BEGIN
    IF NEW.leaf_hash IS DISTINCT FROM sha256('\x00'::bytea || NEW.canonical) THEN
        RAISE EXCEPTION 'audit_entries: the leaf hash of index % is not the hash of its entry',
            NEW.entry_index USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    entry := convert_from(NEW.canonical, 'UTF8')::jsonb;
    IF jsonb_typeof(entry) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'audit_entries: the entry at index % is not a JSON object',
            NEW.entry_index USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF entry->'index' IS DISTINCT FROM to_jsonb(NEW.entry_index) THEN
        RAISE EXCEPTION 'audit_entries: the entry at index % states index %',
            NEW.entry_index, entry->'index' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF entry->'action' IS DISTINCT FROM to_jsonb(NEW.action)
        OR entry->'actor' IS DISTINCT FROM to_jsonb(NEW.actor)
        OR entry->'subject' IS DISTINCT FROM to_jsonb(NEW.subject) THEN
        RAISE EXCEPTION 'audit_entries: index % states another action, actor or subject',
            NEW.entry_index USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF jsonb_typeof(entry->'timestamp') IS DISTINCT FROM 'string'
        OR entry->>'timestamp' !~ '([+-]\d\d:\d\d|Z)$'
        OR (entry->>'timestamp')::timestamptz IS DISTINCT FROM NEW.created_at THEN
        RAISE EXCEPTION 'audit_entries: the created_at of index % is not the hashed timestamp',
            NEW.entry_index USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""

_NODE = r"""
CREATE FUNCTION audit_node_agrees() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expected bytea;
    left_hash bytea;
    right_hash bytea;
BEGIN
    IF NEW.level < 0 OR NEW.level > 62 OR NEW.node_index < 0 THEN
        RAISE EXCEPTION 'audit_nodes: there is no node at level %, index %',
            NEW.level, NEW.node_index USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.level = 0 THEN
        SELECT leaf_hash INTO expected FROM audit_entries WHERE entry_index = NEW.node_index;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit_nodes: leaf % is not in the log', NEW.node_index
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSE
        SELECT hash INTO left_hash FROM audit_nodes
            WHERE level = NEW.level - 1 AND node_index = 2 * NEW.node_index;
        SELECT hash INTO right_hash FROM audit_nodes
            WHERE level = NEW.level - 1 AND node_index = 2 * NEW.node_index + 1;
        IF left_hash IS NULL OR right_hash IS NULL THEN
            RAISE EXCEPTION 'audit_nodes: the children of level %, node % are not stored',
                NEW.level, NEW.node_index USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        expected := sha256('\x01'::bytea || left_hash || right_hash);
    END IF;
    IF NEW.hash IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'audit_nodes: the hash at level %, node % is not the one the log gives',
            NEW.level, NEW.node_index USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""

_CHECKPOINT = r"""
CREATE FUNCTION audit_checkpoint_agrees() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entries bigint := COALESCE((SELECT max(entry_index) FROM audit_entries), -1) + 1;
    first_leaf bigint := 0;
    parts bytea[] := '{}';
    part bytea;
    root bytea;
BEGIN
    IF NEW.tree_size < 0 OR NEW.tree_size > entries THEN
        RAISE EXCEPTION 'audit_checkpoints: tree size % is not within the log (% entries)',
            NEW.tree_size, entries USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- The perfect subtrees of [0, tree_size), largest first: one per set bit.
    FOR lvl IN REVERSE 62..0 LOOP
        IF (NEW.tree_size & (1::bigint << lvl)) <> 0 THEN
            SELECT hash INTO part FROM audit_nodes
                WHERE level = lvl AND node_index = first_leaf >> lvl;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'audit_checkpoints: the subtree at level %, node % is not stored',
                    lvl, first_leaf >> lvl USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            parts := array_append(parts, part);
            first_leaf := first_leaf + (1::bigint << lvl);
        END IF;
    END LOOP;
    IF NEW.tree_size = 0 THEN
        root := sha256(''::bytea);
    ELSE
        root := parts[cardinality(parts)];
        FOR i IN REVERSE cardinality(parts) - 1..1 LOOP
            root := sha256('\x01'::bytea || parts[i] || root);
        END LOOP;
    END IF;
    IF NEW.root_hash IS DISTINCT FROM root THEN
        RAISE EXCEPTION 'audit_checkpoints: the root at tree size % is not the log''s',
            NEW.tree_size USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""

# The canonical bytes as text, for SQLite's JSON functions (they refuse a BLOB).
_C = "CAST(NEW.canonical AS TEXT)"
_TS = f"json_extract({_C}, '$.timestamp')"
_SQLITE = {
    "audit_entries_agree": (
        "audit_entries",
        f"json_type({_C}) IS NOT 'object'"
        f" OR json_type({_C}, '$.index') IS NOT 'integer'"
        f" OR json_extract({_C}, '$.index') IS NOT NEW.entry_index"
        + "".join(
            f" OR json_type({_C}, '$.{name}') IS NOT 'text'"
            f" OR json_extract({_C}, '$.{name}') IS NOT NEW.{name}"
            for name in ("action", "actor", "subject")
        )
        + f" OR json_type({_C}, '$.timestamp') IS NOT 'text'"
        f" OR length({_TS}) IS NOT 32 OR substr({_TS}, 27) IS NOT '+00:00'"
        f" OR NEW.created_at IS NOT replace(substr({_TS}, 1, 26), 'T', ' ')",
        "audit_entries: a stored column disagrees with the hashed entry",
    ),
    "audit_nodes_leaf": (
        "audit_nodes",
        "NEW.level < 0 OR NEW.level > 62 OR NEW.node_index < 0"
        " OR (NEW.level = 0 AND NEW.hash IS NOT"
        " (SELECT leaf_hash FROM audit_entries WHERE entry_index = NEW.node_index))",
        "audit_nodes: the leaf is not the leaf hash of a stored entry",
    ),
    "audit_nodes_children": (
        "audit_nodes",
        "NEW.level > 0 AND (SELECT count(*) FROM audit_nodes WHERE level = NEW.level - 1"
        " AND node_index IN (2 * NEW.node_index, 2 * NEW.node_index + 1)) < 2",
        "audit_nodes: the children of the node are not stored",
    ),
    "audit_checkpoints_within_log": (
        "audit_checkpoints",
        "NEW.tree_size > (SELECT COALESCE(MAX(entry_index), -1) + 1 FROM audit_entries)",
        "audit_checkpoints: the tree size is larger than the log",
    ),
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for function in (_ENTRY, _NODE, _CHECKPOINT):
            op.execute(function)
        for table, trigger, function in POSTGRES_GUARDS:
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION {function}()"
            )
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")
    else:
        for trigger, (table, when, message) in _SQLITE.items():
            op.execute(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} WHEN {when} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, trigger, function in POSTGRES_GUARDS:
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for trigger in _SQLITE:
            op.execute(f"DROP TRIGGER {trigger}")
