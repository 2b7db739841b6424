"""Programs with immutable versions, and state-registry snapshots.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("budget_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("committed_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "committed_amount <= budget_amount", name=op.f("ck_programs_committed_within_budget")
        ),
        sa.CheckConstraint(
            "committed_amount >= 0", name=op.f("ck_programs_committed_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
        sa.UniqueConstraint("code", name=op.f("uq_programs_code")),
    )
    op.create_table(
        "registry_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('livestock', 'land', 'tax')", name=op.f("ck_registry_snapshots_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_snapshots")),
    )
    with op.batch_alter_table("registry_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_snapshots_kind"), ["kind"], unique=False)

    op.create_table(
        "program_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.String(length=300), nullable=False),
        sa.Column("name_kk", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("budget_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_program_versions_program_id_programs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_versions")),
        sa.UniqueConstraint("program_id", "version", name="uq_program_versions_program_version"),
    )
    op.create_table(
        "registry_land",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("iin_bin", sa.String(length=12), nullable=False),
        sa.Column("cadastral_number", sa.String(length=32), nullable=False),
        sa.Column("hectares", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.CheckConstraint("hectares > 0", name=op.f("ck_registry_land_hectares_positive")),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["registry_snapshots.id"],
            name=op.f("fk_registry_land_snapshot_id_registry_snapshots"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_land")),
    )
    with op.batch_alter_table("registry_land", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_land_snapshot_iin_bin", ["snapshot_id", "iin_bin"], unique=False
        )

    op.create_table(
        "registry_livestock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("iin_bin", sa.String(length=12), nullable=False),
        sa.Column("species", sa.String(length=32), nullable=False),
        sa.Column("heads", sa.Integer(), nullable=False),
        sa.Column("identified_heads", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "identified_heads >= 0 AND identified_heads <= heads",
            name=op.f("ck_registry_livestock_heads"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["registry_snapshots.id"],
            name=op.f("fk_registry_livestock_snapshot_id_registry_snapshots"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_livestock")),
    )
    with op.batch_alter_table("registry_livestock", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_livestock_snapshot_iin_bin", ["snapshot_id", "iin_bin"], unique=False
        )

    op.create_table(
        "registry_tax",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("iin_bin", sa.String(length=12), nullable=False),
        sa.Column("arrears_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.CheckConstraint(
            "arrears_amount >= 0", name=op.f("ck_registry_tax_arrears_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["registry_snapshots.id"],
            name=op.f("fk_registry_tax_snapshot_id_registry_snapshots"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_tax")),
    )
    with op.batch_alter_table("registry_tax", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_tax_snapshot_iin_bin", ["snapshot_id", "iin_bin"], unique=False
        )

    # A program version is what past decisions were made under: it is never edited.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER program_versions_immutable BEFORE UPDATE OR DELETE ON program_versions "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        op.execute("ALTER TABLE program_versions ENABLE ALWAYS TRIGGER program_versions_immutable")
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER program_versions_no_{operation.lower()} BEFORE {operation} "
                "ON program_versions BEGIN SELECT RAISE(ABORT, "
                f"'program versions are immutable: {operation} refused'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER program_versions_immutable ON program_versions")
    with op.batch_alter_table("registry_tax", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_tax_snapshot_iin_bin")

    op.drop_table("registry_tax")
    with op.batch_alter_table("registry_livestock", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_livestock_snapshot_iin_bin")

    op.drop_table("registry_livestock")
    with op.batch_alter_table("registry_land", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_land_snapshot_iin_bin")

    op.drop_table("registry_land")
    op.drop_table("program_versions")
    with op.batch_alter_table("registry_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_snapshots_kind"))

    op.drop_table("registry_snapshots")
    op.drop_table("programs")
