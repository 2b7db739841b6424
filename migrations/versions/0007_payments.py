"""Payments: the treasurer role, tranches of released money, payment runs in queue order, their
payments and the bank's status reports; the application's status ``paid`` and its payment.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)
STATUSES = (
    "'ineligible', 'submitted', 'awaiting_second_approval', 'approved', 'rejected', "
    "'waitlisted', 'withdrawn'"
)
FUNDED = sa.text("status IN ('approved', 'paid')")
APPROVED = sa.text("status = 'approved'")
LIVE_PAYMENT = sa.text("status IN ('scheduled', 'paid')")


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="RESTRICT"
    )


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_users_role"),
            "role IN ('applicant', 'official', 'treasurer', 'auditor', 'admin')",
        )

    with op.batch_alter_table("programs", schema=None) as batch_op:
        for column in ("released_amount", "scheduled_amount", "paid_amount"):
            batch_op.add_column(sa.Column(column, MONEY, nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            batch_op.f("ck_programs_released_within_budget"), "released_amount <= budget_amount"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_programs_payments_not_negative"),
            "scheduled_amount >= 0 AND paid_amount >= 0",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_programs_paid_within_released"),
            "scheduled_amount + paid_amount <= released_amount",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_programs_paid_within_committed"), "paid_amount <= committed_amount"
        )

    op.create_table(
        "payment_tranches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_tranches_amount_positive")),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_payment_tranches_program_id_programs"),
            ondelete="RESTRICT",
        ),
        _user_fk("payment_tranches", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_tranches")),
    )
    with op.batch_alter_table("payment_tranches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_tranches_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "payment_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "prepared", "released", "cancelled",
                name="status", native_enum=False, create_constraint=True, length=16,
            ),
            nullable=False,
        ),
        sa.Column("total_amount", MONEY, nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("execution_date", sa.Date(), nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint("total_amount >= 0", name=op.f("ck_payment_runs_total_not_negative")),
        sa.CheckConstraint(
            "(status = 'prepared') = (released_at IS NULL AND cancelled_at IS NULL)",
            name=op.f("ck_payment_runs_status_times"),
        ),
        sa.CheckConstraint(
            "released_by_id IS NULL OR released_by_id <> prepared_by_id",
            name=op.f("ck_payment_runs_four_eyes"),
        ),
        sa.CheckConstraint(
            "(status = 'released') = (document_sha256 IS NOT NULL)",
            name=op.f("ck_payment_runs_released_document"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_payment_runs_program_id_programs"),
            ondelete="RESTRICT",
        ),
        _user_fk("payment_runs", "prepared_by_id"),
        _user_fk("payment_runs", "released_by_id"),
        _user_fk("payment_runs", "cancelled_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_runs")),
    )
    with op.batch_alter_table("payment_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_runs_program_id"), ["program_id"], unique=False)

    op.create_table(
        "payment_status_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=120), nullable=False),
        sa.Column("paid_count", sa.Integer(), nullable=False),
        sa.Column("returned_count", sa.Integer(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payment_runs.id"],
            name=op.f("fk_payment_status_reports_run_id_payment_runs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_status_reports")),
        sa.UniqueConstraint("run_id", "sha256", name="uq_payment_status_reports_run_id_sha256"),
    )
    with op.batch_alter_table("payment_status_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_status_reports_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("creditor_name", sa.String(length=300), nullable=False),
        sa.Column("creditor_iban", sa.String(length=34), nullable=False),
        sa.Column("creditor_bic", sa.String(length=11), nullable=False),
        sa.Column("iban_sha256", sa.String(length=64), nullable=False),
        sa.Column("remittance", sa.String(length=140), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled", "paid", "returned", "cancelled",
                name="status", native_enum=False, create_constraint=True, length=16,
            ),
            nullable=False,
        ),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("return_reason", sa.String(length=35), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name=op.f("ck_payments_paid_on")),
        sa.CheckConstraint(
            "(status = 'returned') = (return_reason IS NOT NULL)",
            name=op.f("ck_payments_return_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_payments_application_id_applications"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["payment_status_reports.id"],
            name=op.f("fk_payments_report_id_payment_status_reports"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payment_runs.id"],
            name=op.f("fk_payments_run_id_payment_runs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("run_id", "end_to_end_id", name="uq_payments_run_id_end_to_end_id"),
        sa.UniqueConstraint("run_id", "position", name="uq_payments_run_id_position"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            "ix_payments_live_application",
            ["application_id"],
            unique=True,
            postgresql_where=LIVE_PAYMENT,
            sqlite_where=LIVE_PAYMENT,
        )

    op.create_table(
        "payment_skips",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_payment_skips_application_id_applications"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payment_runs.id"],
            name=op.f("fk_payment_skips_run_id_payment_runs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("run_id", "application_id", name=op.f("pk_payment_skips")),
    )

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_applications_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_applications_status"), f"status IN ({STATUSES}, 'paid')"
        )
        batch_op.add_column(sa.Column("payment_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("payment_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("payment_amount", MONEY, nullable=True))
        batch_op.add_column(sa.Column("paid_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("payment_reason", sa.String(length=35), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_applications_payment_run_id_payment_runs"),
            "payment_runs",
            ["payment_run_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_applications_payment_status"),
            "payment_status IS NULL OR payment_status IN ('scheduled', 'paid', 'returned')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_applications_paid_on"), "(status = 'paid') = (paid_on IS NOT NULL)"
        )
        # Approved money counts paid applications too.
        batch_op.drop_index("ix_applications_approved_program")
        batch_op.drop_index("ix_applications_approved_applicant")
        batch_op.create_index(
            "ix_applications_approved_program",
            ["program_id", "applicant_id"],
            unique=False,
            postgresql_include=["approved_amount", "id"],
            postgresql_where=FUNDED,
            sqlite_where=FUNDED,
        )
        batch_op.create_index(
            "ix_applications_approved_applicant",
            ["applicant_id"],
            unique=False,
            postgresql_include=["approved_amount", "id"],
            postgresql_where=FUNDED,
            sqlite_where=FUNDED,
        )


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_approved_applicant")
        batch_op.drop_index("ix_applications_approved_program")
        batch_op.create_index(
            "ix_applications_approved_program",
            ["program_id", "applicant_id"],
            unique=False,
            postgresql_include=["approved_amount", "id"],
            postgresql_where=APPROVED,
            sqlite_where=APPROVED,
        )
        batch_op.create_index(
            "ix_applications_approved_applicant",
            ["applicant_id"],
            unique=False,
            postgresql_include=["approved_amount", "id"],
            postgresql_where=APPROVED,
            sqlite_where=APPROVED,
        )
        batch_op.drop_constraint(batch_op.f("ck_applications_paid_on"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_applications_payment_status"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_applications_payment_run_id_payment_runs"), type_="foreignkey"
        )
        for column in ("payment_reason", "paid_on", "payment_amount", "payment_run_id"):
            batch_op.drop_column(column)
        batch_op.drop_column("payment_status")
        batch_op.drop_constraint(batch_op.f("ck_applications_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_applications_status"), f"status IN ({STATUSES})")
    op.drop_table("payment_skips")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_live_application")
        batch_op.drop_index(batch_op.f("ix_payments_application_id"))
    op.drop_table("payments")
    with op.batch_alter_table("payment_status_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_status_reports_run_id"))
    op.drop_table("payment_status_reports")
    with op.batch_alter_table("payment_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_runs_program_id"))
    op.drop_table("payment_runs")
    with op.batch_alter_table("payment_tranches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_tranches_program_id"))
    op.drop_table("payment_tranches")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        for name in (
            "paid_within_committed",
            "paid_within_released",
            "payments_not_negative",
            "released_within_budget",
        ):
            batch_op.drop_constraint(batch_op.f(f"ck_programs_{name}"), type_="check")
        for column in ("paid_amount", "scheduled_amount", "released_amount"):
            batch_op.drop_column(column)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_users_role"), "role IN ('applicant', 'official', 'auditor', 'admin')"
        )
