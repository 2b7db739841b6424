"""Decision documents: the issued PDF bytes and their hashes, immutable once issued.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "decision_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("decision_log_index", sa.BigInteger(), nullable=False),
        sa.Column("issued_log_index", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('approved', 'rejected')", name=op.f("ck_decision_documents_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_decision_documents_application_id_applications"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_documents")),
        sa.UniqueConstraint("content_sha256", name=op.f("uq_decision_documents_content_sha256")),
        sa.UniqueConstraint("number", name=op.f("uq_decision_documents_number")),
        sa.UniqueConstraint("pdf_sha256", name=op.f("uq_decision_documents_pdf_sha256")),
    )
    with op.batch_alter_table("decision_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_documents_application_id"), ["application_id"], unique=False
        )

    # An issued document is evidence: it is never edited or removed.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER decision_documents_immutable BEFORE UPDATE OR DELETE "
            "ON decision_documents FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        op.execute(
            "ALTER TABLE decision_documents ENABLE ALWAYS TRIGGER decision_documents_immutable"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER decision_documents_no_{operation.lower()} BEFORE {operation} "
                "ON decision_documents BEGIN SELECT RAISE(ABORT, "
                f"'decision documents are immutable: {operation} refused'); END"
            )


def downgrade():
    with op.batch_alter_table("decision_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_documents_application_id"))

    op.drop_table("decision_documents")
