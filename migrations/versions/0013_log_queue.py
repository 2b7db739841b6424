"""The log's queue and the programs' queue counters (issue 20).

* audit_queue: an entry written by its change's own transaction, before the sequencer gives it
  an index (subsidy.audit.sequencer). Triggers refuse UPDATE (a queued entry never changes),
  TRUNCATE, and a DELETE of a row whose entry is not in the log under its id: the sequencer
  inserts the entry, then deletes the queued row, in one transaction, so nothing queued is lost.
* audit_entries.entry_id: the queue id an entry had (unique; none for entries appended under the
  log lock). Added without rebuilding the table, so the append-only triggers stay as they are:
  an entry is written once, with its index, and never changes.
* applications.queue_number: the application's place in its program's queue (unique per
  program), numbered for the existing applications in id order, which was the queue order.
* program_queues: each program's last queue number; a submission takes the next with one upsert.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

QUEUE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "audit_queue",
        sa.Column("id", QUEUE_ID, autoincrement=True, nullable=False),
        sa.Column("timestamp", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_queue")),
        sqlite_autoincrement=True,  # an id is never used twice, even once the queue is empty
    )
    op.create_index(op.f("ix_audit_queue_subject"), "audit_queue", ["subject"])
    # Plain ADD COLUMN (no batch rebuild): the table keeps its triggers.
    op.add_column("audit_entries", sa.Column("entry_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_audit_entries_entry_id", "audit_entries", ["entry_id"], unique=True)
    if sqlite:
        _sqlite_queue_guards()
    else:
        _postgres_queue_guards()

    op.add_column("applications", sa.Column("queue_number", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE applications SET queue_number = (SELECT numbered.n FROM (SELECT id, "
        "ROW_NUMBER() OVER (PARTITION BY program_id ORDER BY id) AS n FROM applications) "
        "AS numbered WHERE numbered.id = applications.id)"
    )
    op.create_index(
        "ix_applications_program_queue",
        "applications",
        ["program_id", "queue_number"],
        unique=True,
    )
    op.create_table(
        "program_queues",
        sa.Column("program_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_program_queues_program_id_programs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_program_queues")),
    )
    op.execute(
        "INSERT INTO program_queues (program_id, last_number) SELECT programs.id, "
        "COALESCE((SELECT MAX(queue_number) FROM applications "
        "WHERE applications.program_id = programs.id), 0) FROM programs"
    )


def _sqlite_queue_guards() -> None:
    op.execute(
        "CREATE TRIGGER audit_queue_no_update BEFORE UPDATE ON audit_queue "
        "BEGIN SELECT RAISE(ABORT, 'audit_queue: a queued entry never changes'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_queue_no_loss BEFORE DELETE ON audit_queue "
        "WHEN NOT EXISTS (SELECT 1 FROM audit_entries WHERE entry_id = OLD.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_queue: a queued entry leaves only into the log'); END"
    )


def _postgres_queue_guards() -> None:
    op.execute(
        """
CREATE FUNCTION audit_queue_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'audit_queue: a queued entry leaves only into the log (TRUNCATE)';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit_queue: a queued entry never changes (id %)', OLD.id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_entries WHERE entry_id = OLD.id) THEN
        RAISE EXCEPTION 'audit_queue: a queued entry leaves only into the log (id %)', OLD.id;
    END IF;
    RETURN OLD;
END $$
"""
    )
    for name, body in {
        "audit_queue_guard": "BEFORE UPDATE OR DELETE ON audit_queue "
        "FOR EACH ROW EXECUTE FUNCTION audit_queue_guard()",
        "audit_queue_no_truncate": "BEFORE TRUNCATE ON audit_queue "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_queue_guard()",
    }.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute(f"ALTER TABLE audit_queue ENABLE ALWAYS TRIGGER {name}")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_table("program_queues")
    op.drop_index("ix_applications_program_queue", table_name="applications")
    with op.batch_alter_table("applications") as batch_op:
        batch_op.drop_column("queue_number")
    op.drop_index("ix_audit_entries_entry_id", table_name="audit_entries")
    if sqlite:
        # A rebuild of audit_entries would drop its triggers; the column stays, unused.
        pass
    else:
        op.drop_column("audit_entries", "entry_id")
    op.drop_table("audit_queue")
    if not sqlite:
        op.execute("DROP FUNCTION audit_queue_guard()")
