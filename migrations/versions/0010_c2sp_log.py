"""The log in C2SP formats: checkpoints signed as signed notes (tlog-checkpoint) under the log's
origin, and the witnesses' cosignatures of those notes (tlog-cosignature), append-only like the
log. A note signature is a row of its own, not a column of the checkpoint: a checkpoint signed
before this revision (or before the origin changed) can be signed as a note later, and the
checkpoint rows stay as they were signed. No foreign keys: like the log's own tables they are
only ever appended to, and `subsidy audit verify` checks that every note and cosignature has its
checkpoint (a checkpoint deleted by its owner leaves them behind, and shows).

Also the append-only guards the money's evidence tables lacked: payment tranches, the banks'
status reports and recovery repayments are never changed (subsidy.db_roles gives the app role
SELECT and INSERT only on them), and now their triggers refuse UPDATE and DELETE too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


TABLES = {
    "audit_checkpoint_notes": ("tree_size", "origin"),
    "audit_cosignatures": ("tree_size", "origin", "witness", "key_id"),
}

MONEY_EVIDENCE = ("payment_tranches", "payment_status_reports", "recovery_repayments")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "audit_checkpoint_notes",
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        # The Ed25519 signature over ``origin\nsize\nbase64(root)\n`` (its key id follows from
        # the origin and the key, see subsidy.audit.note).
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", "origin", name=op.f("pk_audit_checkpoint_notes")),
    )
    op.create_table(
        "audit_cosignatures",
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        # The witness's key name and 4-byte key id: together they name its key (signed-note).
        sa.Column("witness", sa.String(length=255), nullable=False),
        sa.Column("key_id", sa.LargeBinary(length=4), nullable=False),
        # The cosignature/v1 timestamp (POSIX seconds) and the Ed25519 signature, as sent.
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tree_size", "origin", "witness", "key_id", name=op.f("pk_audit_cosignatures")
        ),
    )
    op.create_index(
        "ix_audit_cosignatures_witness",
        "audit_cosignatures",
        ["origin", "witness", "key_id", "tree_size"],
    )
    for table, key in TABLES.items():
        if sqlite:
            _sqlite_append_only(table, key)
        else:
            _postgres_append_only(table)
    for table in MONEY_EVIDENCE:
        if sqlite:
            _sqlite_append_only(table, ("id",))
        else:
            _postgres_append_only(table)


def _sqlite_append_only(table: str, key: tuple[str, ...]) -> None:
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only: {operation} on "
            f"{table} refused'); END"
        )
    # INSERT OR REPLACE deletes the old row without firing delete triggers (as in 0001).
    same = " AND ".join(f"{column} = NEW.{column}" for column in key)
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same}) "
        f"BEGIN SELECT RAISE(ABORT, '{table}: the row exists already'); END"
    )


def _postgres_append_only(table: str) -> None:
    for name, body in {
        f"{table}_no_change": f"BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
        f"{table}_no_truncate": f"BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    }.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
        # ALWAYS: also fires under session_replication_role = replica.
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in MONEY_EVIDENCE:
        if sqlite:
            for suffix in ("no_update", "no_delete", "no_replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        else:
            for suffix in ("no_change", "no_truncate"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}")
    op.drop_index("ix_audit_cosignatures_witness", table_name="audit_cosignatures")
    op.drop_table("audit_cosignatures")  # their triggers go with them
    op.drop_table("audit_checkpoint_notes")
