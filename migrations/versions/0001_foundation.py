"""Foundation: districts, applicants, accounts and the append-only transparency log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Reference data: the districts and cities of regional significance of East Kazakhstan region
# with their KATO codes (see subsidy/districts/data.py for the sources). Copied, not imported,
# so that this migration means the same thing forever.
DISTRICTS = [
    ("631000000", "город Усть-Каменогорск", "Өскемен қаласы", "Ust-Kamenogorsk (Oskemen)"),
    ("632400000", "город Риддер", "Риддер қаласы", "Ridder"),
    ("634000000", "Глубоковский район", "Глубокое ауданы", "Glubokoye District"),
    ("634600000", "Зайсанский район", "Зайсан ауданы", "Zaysan District"),
    ("634800000", "район Алтай", "Алтай ауданы", "Altai District"),
    ("635200000", "Курчумский район", "Күршім ауданы", "Kurchum District"),
    ("635400000", "Катон-Карагайский район", "Катонқарағай ауданы", "Katon-Karagay District"),
    ("635500000", "район Марқакөл", "Марқакөл ауданы", "Markakol District"),
    ("635600000", "район Самар", "Самар ауданы", "Samar District"),
    ("635800000", "Тарбагатайский район", "Тарбағатай ауданы", "Tarbagatay District"),
    ("636200000", "Уланский район", "Ұлан ауданы", "Ulan District"),
    ("636300000", "район Үлкен Нарын", "Үлкен Нарын ауданы", "Ulken Naryn District"),
    ("636800000", "Шемонаихинский район", "Шемонаиха ауданы", "Shemonaikha District"),
]

LOG_TABLES = ("audit_entries", "audit_nodes", "audit_checkpoints")


def upgrade():
    districts = op.create_table(
        "districts",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_ru", sa.String(length=120), nullable=False),
        sa.Column("name_kk", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_districts")),
    )
    op.bulk_insert(
        districts,
        [dict(zip(("code", "name_ru", "name_kk", "name_en"), row, strict=True)) for row in DISTRICTS],
    )

    op.create_table(
        "applicants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iin_bin", sa.String(length=12), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "individual", "peasant_farm", "legal_entity", "cooperative",
                name="kind", native_enum=False, create_constraint=True, length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("district_code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"], ["districts.code"],
            name=op.f("fk_applicants_district_code_districts"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicants")),
        sa.UniqueConstraint("iin_bin", name=op.f("uq_applicants_iin_bin")),
    )
    op.create_index(op.f("ix_applicants_district_code"), "applicants", ["district_code"])

    op.create_table(
        "cooperative_members",
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "cooperative_id <> member_id", name=op.f("ck_cooperative_members_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"], ["applicants.id"],
            name=op.f("fk_cooperative_members_cooperative_id_applicants"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["applicants.id"],
            name=op.f("fk_cooperative_members_member_id_applicants"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("cooperative_id", "member_id", name=op.f("pk_cooperative_members")),
    )
    op.create_index(
        op.f("ix_cooperative_members_member_id"), "cooperative_members", ["member_id"]
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "applicant", "official", "auditor", "admin",
                name="role", native_enum=False, create_constraint=True, length=16,
            ),
            nullable=False,
        ),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("is_active_account", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role = 'applicant') = (applicant_id IS NOT NULL)",
            name=op.f("ck_users_applicant_link"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["applicants.id"],
            name=op.f("fk_users_applicant_id_applicants"), ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_applicant_id"), "users", ["applicant_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])

    op.create_table(
        "audit_entries",
        sa.Column("entry_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("entry_index", name=op.f("pk_audit_entries")),
    )
    op.create_index(op.f("ix_audit_entries_action"), "audit_entries", ["action"])
    op.create_index(op.f("ix_audit_entries_subject"), "audit_entries", ["subject"])

    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("node_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name=op.f("pk_audit_nodes")),
    )

    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("timestamp", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_audit_checkpoints")),
    )

    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()
    else:
        _sqlite_guards()


def _postgres_guards():
    op.execute(
        """
        CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the transparency log is append-only: % on % refused',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit_require_next_index() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.entry_index <> COALESCE(
                (SELECT max(entry_index) FROM audit_entries), -1) + 1 THEN
                RAISE EXCEPTION 'audit_entries: index % is not the next one', NEW.entry_index
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit_require_growing_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.tree_size <= COALESCE((SELECT max(tree_size) FROM audit_checkpoints), 0) THEN
                RAISE EXCEPTION 'audit_checkpoints: tree size % does not grow', NEW.tree_size
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    for table in LOG_TABLES:
        triggers = {
            f"{table}_no_change": "BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW "
            "EXECUTE FUNCTION audit_refuse_change()",
            f"{table}_no_truncate": "BEFORE TRUNCATE ON {t} FOR EACH STATEMENT "
            "EXECUTE FUNCTION audit_refuse_change()",
        }
        if table == "audit_entries":
            triggers[f"{table}_next_index"] = (
                "BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION audit_require_next_index()"
            )
        if table == "audit_checkpoints":
            triggers[f"{table}_growing"] = (
                "BEFORE INSERT ON {t} FOR EACH ROW "
                "EXECUTE FUNCTION audit_require_growing_checkpoint()"
            )
        for name, body in triggers.items():
            op.execute(f"CREATE TRIGGER {name} {body.format(t=table)}")
            # ALWAYS: also fires under session_replication_role = replica.
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def _sqlite_guards():
    for table in LOG_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only: "
                f"{operation} on {table} refused'); END"
            )
    # INSERT OR REPLACE deletes the old row without firing delete triggers; these insert
    # guards run before conflict resolution and refuse any row that would replace another.
    op.execute(
        "CREATE TRIGGER audit_entries_next_index BEFORE INSERT ON audit_entries "
        "WHEN NEW.entry_index IS NOT "
        "(SELECT COALESCE(MAX(entry_index), -1) + 1 FROM audit_entries) "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries: index is not the next one'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_nodes_no_replace BEFORE INSERT ON audit_nodes "
        "WHEN EXISTS (SELECT 1 FROM audit_nodes "
        "WHERE level = NEW.level AND node_index = NEW.node_index) "
        "BEGIN SELECT RAISE(ABORT, 'audit_nodes: node exists already'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoints_growing BEFORE INSERT ON audit_checkpoints "
        "WHEN NEW.tree_size <= (SELECT COALESCE(MAX(tree_size), 0) FROM audit_checkpoints) "
        "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints: tree size does not grow'); END"
    )


def downgrade():
    raise RuntimeError("the foundation migration cannot be reverted: the log is append-only")
