"""Files the commands read, as an attacker or a careless export would write them (issue 19):
registry extracts with numbers in spellings the API refuses, program files nested thousands
deep or hiding format characters. Each is one line naming the line and column (or field),
exit status 2, nothing written; before, the numbers were stored and the YAML ended in a
traceback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from subsidy.extensions import db
from subsidy.programs.models import Program
from subsidy.registry.models import RegistrySnapshot
from tests.factories import new_iin

SPELLINGS = {
    "exponent": "1E+3",
    "fullwidth": "１２",
    "underscore": "1_000.5",
    "arabic-indic": "١٢",
    "superscript": "²",
    "plus": "+12",
    "spaced": "1 000",
    "hex": "0x10",
    "nan": "NaN",
    "infinity": "Infinity",
    "5000-digits": "9" * 5000,
}


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _refused_one_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


HERDS = "iin_bin,species,heads,identified_heads"


@pytest.mark.parametrize(
    ("kind", "header", "row", "column"),
    [
        ("livestock", HERDS, "{id},cattle,{n},0", "heads"),
        ("livestock", HERDS, "{id},cattle,99999,{n}", "identified_heads"),
        ("land", "iin_bin,cadastral_number,hectares", "{id},05-068-012-345,{n}", "hectares"),
        ("tax", "iin_bin,arrears", "{id},{n}", "arrears"),
    ],
    ids=["heads", "identified_heads", "hectares", "arrears"],
)
@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_registry_numbers_are_ascii_digits_as_in_the_api(
    runner, app, tmp_path, kind, header, row, column, spelling
):
    path = tmp_path / f"{kind}.csv"
    good = row.format(id=new_iin(), n="7")
    bad = row.format(id=new_iin(), n=spelling)
    path.write_text(f"{header}\n{good}\n{bad}\n", encoding="utf-8")
    result = runner.invoke(args=["registry", "import", kind, str(path)])
    line = _refused_one_line(result)
    assert f"line 3, column {column}: " in line, line
    assert _count(RegistrySnapshot) == 0


@pytest.mark.parametrize("spelling", ["٠٥-٠٦٨-٠١٢-٣٤٥", "０5-068-012-345", "05-068-012-3456789"])
def test_a_cadastral_number_is_ascii_digits_too(runner, app, tmp_path, spelling):
    path = tmp_path / "land.csv"
    path.write_text(
        f'iin_bin,cadastral_number,hectares\n{new_iin()},"{spelling}",1\n', encoding="utf-8"
    )
    line = _refused_one_line(runner.invoke(args=["registry", "import", "land", str(path)]))
    assert "line 2, column cadastral_number: " in line


def test_plain_numbers_are_still_read(runner, app, tmp_path):
    path = tmp_path / "land.csv"
    path.write_text(
        f"iin_bin,cadastral_number,hectares\n{new_iin()},05-068-012-345,0012.5000\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["registry", "import", "land", str(path)])
    assert result.exit_code == 0, result.output


# --- program files ----------------------------------------------------------------------------

PROGRAM = """\
code: HOSTILE-2026
name: {ru: "Тест", kk: "Сынақ", en: "Test"}
window: {opens: 2026-01-15, closes: 2026-12-15}
applicant_kinds: [peasant_farm]
unit: head
rate: "100.00"
max_amount_per_applicant: "5000.00"
budget: "100000.00"
second_approval_above: "2000.00"
criteria:
  - {rule: no_tax_arrears}
"""


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 5000 + "]" * 5000,
        "{a: " * 5000 + "1" + "}" * 5000,
        "[" * 5000,
        "\n" + "".join("  " * depth + "-\n" for depth in range(1, 200)) + "  " * 200 + "x",
        "[" * 40 + "]" * 40,
    ],
    ids=["flow-lists", "flow-mappings", "unclosed", "block-lists", "forty"],
)
def test_a_program_file_nested_thousands_deep_is_one_line_and_exit_2(runner, app, tmp_path, nested):
    path = tmp_path / "deep.yaml"
    path.write_text(PROGRAM + "reference: " + nested + "\n", encoding="utf-8")
    for command in ("load", "test"):
        line = _refused_one_line(runner.invoke(args=["programs", command, str(path)]))
        assert "nested more than 32 levels deep" in line, line
    assert _count(Program) == 0


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2066"])
def test_a_program_file_hiding_a_format_character_names_its_line(runner, app, tmp_path, char):
    path = tmp_path / "hidden.yaml"
    path.write_text(PROGRAM.replace('en: "Test"', f'en: "Te{char}st"'), encoding="utf-8")
    line = _refused_one_line(runner.invoke(args=["programs", "load", str(path)]))
    assert f"line 2, column 40: an invisible formatting character (U+{ord(char):04X})" in line
    assert _count(Program) == 0


def test_a_program_file_may_open_with_a_byte_order_mark(runner, app, tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_text("\ufeff" + PROGRAM, encoding="utf-8")
    result = runner.invoke(args=["programs", "load", str(path)])
    assert result.exit_code == 0, result.output
