"""Evidence down to the animal: the identified-animals extract, claims by funding group and
period, applicants' bank accounts and heads, risk flags and the approval's justification.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registry_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_registry_snapshots_kind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_registry_snapshots_kind"),
            "kind IN ('livestock', 'animals', 'land', 'tax')",
        )

    op.create_table(
        "registry_animals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("iin_bin", sa.String(length=12), nullable=False),
        sa.Column("animal_id", sa.String(length=32), nullable=False),
        sa.Column("species", sa.String(length=32), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.CheckConstraint("sex IN ('F', 'M')", name=op.f("ck_registry_animals_sex")),
        sa.CheckConstraint(
            "registered_on >= birth_date",
            name=op.f("ck_registry_animals_registered_after_birth"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["registry_snapshots.id"],
            name=op.f("fk_registry_animals_snapshot_id_registry_snapshots"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_animals")),
        sa.UniqueConstraint(
            "snapshot_id", "animal_id", name="uq_registry_animals_snapshot_id_animal_id"
        ),
    )
    with op.batch_alter_table("registry_animals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_animals_snapshot_iin_bin",
            ["snapshot_id", "iin_bin", "species"],
            unique=False,
        )

    with op.batch_alter_table("applicants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column("bic", sa.String(length=11), nullable=True))
        batch_op.add_column(
            sa.Column("bank_account_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("head_iin", sa.String(length=12), nullable=True))
        batch_op.create_index(batch_op.f("ix_applicants_iban"), ["iban"], unique=False)
        batch_op.create_index(batch_op.f("ix_applicants_head_iin"), ["head_iin"], unique=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("justification", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("flags_computed_at", sa.DateTime(timezone=True), nullable=True)
        )

    # Claims so far were per program and year: each program its own group, the default period.
    with op.batch_alter_table("application_claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funding_group", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("period", sa.String(length=16), nullable=True))
    year = (
        "to_char(a.submitted_on, 'YYYY')"
        if op.get_bind().dialect.name == "postgresql"
        else "strftime('%Y', a.submitted_on)"
    )
    op.execute(
        "UPDATE application_claims SET "
        "funding_group = (SELECT p.code FROM programs p WHERE p.id = application_claims.program_id), "
        f"period = (SELECT {year} FROM applications a "
        "WHERE a.id = application_claims.application_id)"
    )
    with op.batch_alter_table("application_claims", schema=None) as batch_op:
        batch_op.alter_column("funding_group", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("period", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_index(
            "ix_application_claims_group_key",
            ["funding_group", "period", "claim_key"],
            unique=False,
        )

    op.create_table(
        "application_flags",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "severity IN ('high', 'medium', 'low')", name=op.f("ck_application_flags_severity")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_flags_application_id_applications"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("application_id", "code", name=op.f("pk_application_flags")),
    )
    with op.batch_alter_table("application_flags", schema=None) as batch_op:
        batch_op.create_index("ix_application_flags_code", ["code"], unique=False)


def downgrade():
    with op.batch_alter_table("application_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_application_flags_code")
    op.drop_table("application_flags")
    with op.batch_alter_table("application_claims", schema=None) as batch_op:
        batch_op.drop_index("ix_application_claims_group_key")
        batch_op.drop_column("period")
        batch_op.drop_column("funding_group")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("flags_computed_at")
        batch_op.drop_column("justification")
    with op.batch_alter_table("applicants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applicants_head_iin"))
        batch_op.drop_index(batch_op.f("ix_applicants_iban"))
        batch_op.drop_column("head_iin")
        batch_op.drop_column("bank_account_changed_at")
        batch_op.drop_column("bic")
        batch_op.drop_column("iban")
    with op.batch_alter_table("registry_animals", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_animals_snapshot_iin_bin")
    op.drop_table("registry_animals")
    with op.batch_alter_table("registry_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_registry_snapshots_kind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_registry_snapshots_kind"), "kind IN ('livestock', 'land', 'tax')"
        )
