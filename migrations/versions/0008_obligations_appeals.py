"""After the money: recovery cases on breached obligations, their repayments, appeals; decision
documents of three kinds (decisions, appeal decisions, recovery notices).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)
OUTCOME = (
    "(kind = 'decision' AND outcome IN ('approved', 'rejected'))"
    " OR (kind = 'appeal' AND outcome IN ('granted', 'dismissed'))"
    " OR (kind = 'recovery' AND outcome = 'recovery')"
)
OPEN = sa.text("status = 'open'")


def _sqlite_immutable_triggers() -> None:
    """SQLite rebuilds a table to change its constraints, and its triggers go with the old one."""
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS decision_documents_no_{operation.lower()}")
        op.execute(
            f"CREATE TRIGGER decision_documents_no_{operation.lower()} BEFORE {operation} "
            "ON decision_documents BEGIN SELECT RAISE(ABORT, "
            f"'decision documents are immutable: {operation} refused'); END"
        )


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="RESTRICT"
    )


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("decision_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="decision")
        )
        batch_op.drop_constraint(batch_op.f("ck_decision_documents_outcome"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_decision_documents_outcome"), OUTCOME)
        batch_op.create_index(
            "ix_decision_documents_application_kind", ["application_id", "kind"], unique=False
        )
    if sqlite:
        _sqlite_immutable_triggers()

    op.create_table(
        "recovery_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("obligation", sa.String(length=32), nullable=False),
        sa.Column("animals", sa.Text(), nullable=False),
        sa.Column("claimed_count", sa.Integer(), nullable=False),
        sa.Column("paid_amount", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("repaid_amount", MONEY, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "repaid", "cancelled",
                name="status", native_enum=False, create_constraint=True, length=16,
            ),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "amount > 0 AND amount <= paid_amount",
            name=op.f("ck_recovery_cases_amount_within_paid"),
        ),
        sa.CheckConstraint(
            "repaid_amount >= 0", name=op.f("ck_recovery_cases_repaid_not_negative")
        ),
        sa.CheckConstraint(
            "status <> 'repaid' OR repaid_amount >= amount",
            name=op.f("ck_recovery_cases_repaid_in_full"),
        ),
        sa.CheckConstraint(
            "(status = 'open') = (closed_at IS NULL)", name=op.f("ck_recovery_cases_closed_at")
        ),
        _fk("recovery_cases", "application_id", "applications"),
        _fk("recovery_cases", "snapshot_id", "registry_snapshots"),
        _fk("recovery_cases", "notice_document_id", "decision_documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_cases")),
    )
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recovery_cases_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index("ix_recovery_cases_status_due", ["status", "due_on"], unique=False)

    op.create_table(
        "recovery_repayments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_recovery_repayments_amount_positive")),
        _fk("recovery_repayments", "case_id", "recovery_cases"),
        _fk("recovery_repayments", "recorded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_repayments")),
    )
    with op.batch_alter_table("recovery_repayments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recovery_repayments_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("recovery_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=48), nullable=False),
        sa.Column("appealed_document_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "granted", "dismissed",
                name="status", native_enum=False, create_constraint=True, length=16,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'open') = (decided_at IS NULL)", name=op.f("ck_appeals_decided_at")
        ),
        _fk("appeals", "application_id", "applications"),
        _fk("appeals", "recovery_id", "recovery_cases"),
        _fk("appeals", "appealed_document_id", "decision_documents"),
        _fk("appeals", "document_id", "decision_documents"),
        _fk("appeals", "filed_by_id", "users"),
        _fk("appeals", "decided_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appeals_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            "ix_appeals_open_subject",
            ["subject"],
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )
        batch_op.create_index("ix_appeals_status_due", ["status", "due_on"], unique=False)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_table("appeals")
    op.drop_table("recovery_repayments")
    op.drop_table("recovery_cases")
    with op.batch_alter_table("decision_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_documents_application_kind")
        batch_op.drop_constraint(batch_op.f("ck_decision_documents_outcome"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_decision_documents_outcome"), "outcome IN ('approved', 'rejected')"
        )
        batch_op.drop_column("kind")
    if sqlite:
        _sqlite_immutable_triggers()
