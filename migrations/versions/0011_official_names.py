"""Officials' names and positions: a decision letter names the officials who decided it, with
their position, instead of ``#<id>``. Both nullable: a user without them is named by username.
Neither is ever written to the log (which is public); only the signed letters print them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("position", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("position")
        batch_op.drop_column("full_name")
