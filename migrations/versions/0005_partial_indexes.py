"""Partial indexes: over approved applications, covering, so that the public register's totals by
program and by district read them alone (index-only on PostgreSQL) instead of every approved row;
over waitlisted ones, so that a queue position counts only the entries ahead of it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPROVED = sa.text("status = 'approved'")
WAITLISTED = sa.text("status = 'waitlisted'")


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
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
        batch_op.create_index(
            "ix_applications_waitlist",
            ["program_id", "id"],
            unique=False,
            postgresql_where=WAITLISTED,
            sqlite_where=WAITLISTED,
        )


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_waitlist")
        batch_op.drop_index("ix_applications_approved_applicant")
        batch_op.drop_index("ix_applications_approved_program")
