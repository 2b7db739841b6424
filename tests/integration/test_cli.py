import sqlalchemy as sa

from subsidy.accounts.models import User
from subsidy.applicants.models import Applicant
from subsidy.audit.models import AuditEntry
from subsidy.decisions.models import DecisionDocument
from subsidy.extensions import db
from tests.factories import first_district, make_applicant


def _count(model):
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_districts_list_prints_code_tab_name(runner):
    result = runner.invoke(args=["districts", "list"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) >= 9
    code, name = lines[0].split("\t")
    assert code.isdigit() and name


def test_applicants_create_registers_and_logs(runner):
    result = runner.invoke(
        args=[
            "applicants",
            "create",
            "--kind",
            "individual",
            "--id",
            "061211600012",
            "--name",
            "Серікбаева Айгүл",
            "--district",
            first_district(),
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.execute(
        sa.select(Applicant).where(Applicant.iin_bin == "061211600012")
    ).scalar_one()


def test_bad_input_exits_2_with_one_line_naming_the_field_and_writes_nothing(runner):
    before = _count(Applicant)
    cases = [
        (["--id", "061211600013"], "iin_bin"),
        (["--district", "nowhere"], "district"),
        (["--kind", "kolkhoz"], "kind"),
    ]
    for change, field in cases:
        args = {
            "--kind": "individual",
            "--id": "061211600012",
            "--name": "Иван",
            "--district": first_district(),
        }
        args.update(dict([change]))
        flat = [item for pair in args.items() for item in pair]
        result = runner.invoke(args=["applicants", "create", *flat])
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1
        assert field in result.output
    assert _count(Applicant) == before


def test_missing_option_exits_2(runner):
    result = runner.invoke(args=["applicants", "create", "--kind", "individual"])
    assert result.exit_code == 2
    assert "--id" in result.output


def test_users_create_reads_the_password_from_stdin(runner):
    applicant = make_applicant("peasant_farm")
    result = runner.invoke(
        args=["users", "create", "aigul", "--role", "applicant", "--applicant", applicant.iin_bin],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User).where(User.username == "aigul")).scalar_one()
    assert user.applicant_id == applicant.id
    assert "a-long-enough-password" not in user.password_hash


def test_users_create_names_an_official_as_the_letters_will(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "aigerim",
            "--role",
            "official",
            "--full-name",
            "  Серикова   Айгерим Болатовна ",
            "--position",
            "Бас маман / Главный специалист",
        ],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User).where(User.username == "aigerim")).scalar_one()
    assert user.full_name == "Серикова Айгерим Болатовна"  # one line, as printed
    assert user.position == "Бас маман / Главный специалист"
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.subject == user.actor)
    ).scalar_one()
    assert "Серикова" not in bytes(entry.canonical).decode()  # the public log keeps no names
    too_long = runner.invoke(
        args=["users", "create", "x-long", "--role", "official", "--position", "п" * 201],
        input="a-long-enough-password\n",
    )
    assert too_long.exit_code == 2 and "position" in too_long.output


def test_users_create_refuses_a_short_password_and_an_unknown_role(runner):
    before = _count(User)
    short = runner.invoke(args=["users", "create", "bob", "--role", "official"], input="short\n")
    assert short.exit_code == 2 and "password" in short.output
    strong = "a-long-enough-password\n"
    role = runner.invoke(args=["users", "create", "bob", "--role", "boss"], input=strong)
    assert role.exit_code == 2 and "role" in role.output
    farmer = runner.invoke(args=["users", "create", "bob", "--role", "applicant"], input=strong)
    assert farmer.exit_code == 2 and "applicant" in farmer.output
    assert _count(User) == before


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "farmer" in first.output and "official" in first.output
    applicants, users = _count(Applicant), _count(User)
    assert applicants >= 231
    coops = db.session.execute(
        sa.select(sa.func.count()).select_from(Applicant).where(Applicant.kind == "cooperative")
    ).scalar_one()
    assert coops == 31
    # The demo's officials have names and positions, and its letters print them.
    official = db.session.execute(sa.select(User).where(User.username == "official")).scalar_one()
    assert official.full_name == "Серикова Айгерим Болатовна"
    assert "Главный специалист" in official.position
    letters = db.session.execute(sa.select(DecisionDocument.content)).scalars().all()
    assert any("Серикова Айгерим Болатовна" in letter for letter in letters)
    assert not any('"name":"official"' in letter for letter in letters)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (_count(Applicant), _count(User)) == (applicants, users)


def test_role_change_is_logged_by_id(runner):
    from subsidy.audit.models import AuditEntry
    from tests.factories import make_user

    user = make_user("official", username="zhanna")
    db.session.commit()
    result = runner.invoke(args=["users", "set-role", "zhanna", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    entry = db.session.execute(
        sa.select(AuditEntry).order_by(AuditEntry.entry_index.desc()).limit(1)
    ).scalar_one()
    assert (entry.action, entry.subject) == ("role_changed", f"user:{user.id}")
    assert b"zhanna" not in bytes(entry.canonical)
