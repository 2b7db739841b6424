"""`subsidy programs load|test` and `subsidy registry import`: all or nothing, exit 2 on refusal."""

import sqlalchemy as sa

from subsidy.extensions import db
from subsidy.programs.models import Program, ProgramVersion
from subsidy.registry.models import LivestockRecord, RegistrySnapshot

PROGRAM = """\
code: CLI-TEST-2026
name: {ru: "Тест", kk: "Сынақ", en: "Test"}
window: {opens: 2026-01-15, closes: 2026-12-15}
applicant_kinds: [peasant_farm]
unit: head
rate: {2026-01-01: "100.00", 2026-07-01: "120.00"}
max_amount_per_applicant: "5000.00"
budget: "100000.00"
second_approval_above: "2000.00"
criteria:
  - {rule: min_livestock_heads, params: {species: cattle, min: 5}}
  - {rule: no_tax_arrears}
"""


def _count(model):
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_loading_a_program_twice_makes_versions_only_when_it_changes(runner, tmp_path):
    path = tmp_path / "program.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    first = runner.invoke(args=["programs", "load", str(path)])
    assert first.exit_code == 0, first.output
    assert "version 1" in first.output
    assert runner.invoke(args=["programs", "load", str(path)]).exit_code == 0
    assert _count(ProgramVersion) == 1
    path.write_text(PROGRAM.replace('"100000.00"', '"150000.00"'), encoding="utf-8")
    third = runner.invoke(args=["programs", "load", str(path)])
    assert third.exit_code == 0 and "version 2" in third.output
    program = db.session.execute(sa.select(Program)).scalar_one()
    assert str(program.budget_amount) == "150000.00"


def test_a_bad_program_is_refused_with_the_path_and_nothing_is_written(runner, tmp_path):
    cases = {
        "criteria[0].rule": PROGRAM.replace(
            "min_livestock_heads, params: {species: cattle, min: 5}", "min_cows, params: {}"
        ),
        "criteria[0].params.min": PROGRAM.replace("min: 5", "min: -3"),
        "criteria[0].params.species": PROGRAM.replace("species: cattle, ", ""),
        "budget": PROGRAM.replace('budget: "100000.00"', "budget: 100000.5"),
    }
    for field, text in cases.items():
        path = tmp_path / "bad.yaml"
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["programs", "load", str(path)])
        assert result.exit_code == 2, (field, result.output)
        assert field in result.output, (field, result.output)
        assert len(result.output.strip().splitlines()) == 1
    assert _count(Program) == 0


def test_programs_test_runs_the_files_own_cases(runner, tmp_path):
    path = tmp_path / "program.yaml"
    path.write_text(
        PROGRAM
        + """tests:
  - name: on the day before the change
    date: 2026-06-30
    applicant: {kind: peasant_farm}
    quantity: "10"
    facts: {livestock: [{species: cattle, heads: 10, identified_heads: 10}]}
    expect: {eligible: true, amount: "1000.00"}
  - name: wrong on purpose
    date: 2026-07-01
    applicant: {kind: peasant_farm}
    quantity: "10"
    facts: {livestock: [{species: cattle, heads: 10, identified_heads: 10}]}
    expect: {eligible: true, amount: "1000.00"}
""",
        encoding="utf-8",
    )
    result = runner.invoke(args=["programs", "test", str(path)])
    assert result.exit_code == 1
    assert "1 passed, 1 failed" in result.output
    load = runner.invoke(args=["programs", "load", str(path)])
    assert load.exit_code == 2 and "tests[1]" in load.output
    assert _count(Program) == 0


def test_a_registry_extract_is_imported_whole(runner, tmp_path):
    path = tmp_path / "livestock.csv"
    path.write_text(
        "iin_bin,species,heads,identified_heads\n061211600012,cattle,40,38\n"
        "940140000385,sheep,300,300\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["registry", "import", "livestock", str(path)])
    assert result.exit_code == 0, result.output
    assert _count(LivestockRecord) == 2
    snapshot = db.session.execute(sa.select(RegistrySnapshot)).scalar_one()
    assert snapshot.row_count == 2 and len(snapshot.source_sha256) == 64


def test_a_bad_line_refuses_the_whole_extract_naming_line_and_column(runner, tmp_path):
    cases = [
        ("061211600012,cattle,40,38\n061211600013,cattle,4,4\n", "line 3, column iin_bin"),
        ("061211600012,cattle,40,41\n", "line 2, column identified_heads"),
        ("061211600012,cows,40,38\n", "line 2, column species"),
        ("061211600012,cattle,forty,38\n", "line 2, column heads"),
        ("061211600012,cattle,40\n", "line 2, column row"),
    ]
    for body, expected in cases:
        path = tmp_path / "livestock.csv"
        path.write_text("iin_bin,species,heads,identified_heads\n" + body, encoding="utf-8")
        result = runner.invoke(args=["registry", "import", "livestock", str(path)])
        assert result.exit_code == 2, result.output
        assert expected in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    header = tmp_path / "land.csv"
    header.write_text("iin,cadastral,ha\n", encoding="utf-8")
    result = runner.invoke(args=["registry", "import", "land", str(header)])
    assert result.exit_code == 2 and "header" in result.output
    assert _count(RegistrySnapshot) == 0


def test_an_empty_or_suddenly_smaller_extract_is_refused(runner, tmp_path):
    path = tmp_path / "tax.csv"
    path.write_text("iin_bin,arrears\n", encoding="utf-8")
    empty = runner.invoke(args=["registry", "import", "tax", str(path)])
    assert empty.exit_code == 2 and "no rows" in empty.output
    rows = "".join(f"{iin},0.00\n" for iin in ("061211600012", "940140000385", "850101300015"))
    path.write_text("iin_bin,arrears\n" + rows, encoding="utf-8")
    assert runner.invoke(args=["registry", "import", "tax", str(path)]).exit_code == 0
    path.write_text("iin_bin,arrears\n061211600012,5.00\n", encoding="utf-8")
    shrunk = runner.invoke(args=["registry", "import", "tax", str(path)])
    assert shrunk.exit_code == 2 and "--allow-shrink" in shrunk.output
    forced = runner.invoke(args=["registry", "import", "tax", str(path), "--allow-shrink"])
    assert forced.exit_code == 0, forced.output
    assert _count(RegistrySnapshot) == 2


def test_impossible_dates_and_huge_numbers_in_a_program_exit_2(runner, tmp_path):
    for text in (
        PROGRAM.replace("opens: 2026-01-15", "opens: 2026-02-30"),
        PROGRAM.replace("min: 5", "min: 99999999999999999999999"),
    ):
        path = tmp_path / "bad.yaml"
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["programs", "load", str(path)])
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1


def test_export_to_a_missing_folder_exits_2(runner, tmp_path):
    result = runner.invoke(args=["audit", "export", str(tmp_path / "missing" / "log.jsonl")])
    assert result.exit_code == 2
    assert "cannot write" in result.output
