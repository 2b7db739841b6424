"""`subsidy registry import animals`: streamed into one transaction (a bad line late in the file
leaves nothing written), and the identified heads of an evaluation counted from the animals."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from subsidy.registry import services
from subsidy.registry.models import AnimalRecord, RegistrySnapshot
from subsidy.registry.queries import animal_counts, animals_of, latest_snapshots
from tests.factories import make_applicant, make_program, registry, submit

HEADER = "iin_bin,animal_id,species,sex,birth_date,registered_on\n"
FARM = "061211600012"
COMPANY = "940140000385"


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _imports() -> list[dict]:
    rows = db.session.execute(
        sa.select(AuditEntry.canonical).where(AuditEntry.action == "registry_imported")
    ).scalars()
    return [json.loads(canonical)["data"] for canonical in rows]


def _animal(owner: str, number: int, species: str = "cattle") -> str:
    born = date(2020, 1, 1) + timedelta(days=number % 1000)
    registered = born + timedelta(days=number % 90)
    return f"{owner},KZ{number:012d},{species},{'FM'[number % 2]},{born},{registered}\n"


def _write(tmp_path, lines: list[str], name: str = "animals.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def test_an_animals_extract_is_imported_whole_with_its_digest_and_one_entry(runner, tmp_path):
    path = _write(
        tmp_path,
        [_animal(FARM, 1), _animal(FARM, 2, "sheep"), _animal(COMPANY, 3), _animal(FARM, 4)],
    )
    result = runner.invoke(
        args=["registry", "import", "animals", str(path), "--as-of", "2026-05-01"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 4 animals rows" in result.output
    snapshot = db.session.execute(sa.select(RegistrySnapshot)).scalar_one()
    assert (snapshot.kind, snapshot.row_count, snapshot.as_of) == ("animals", 4, date(2026, 5, 1))
    assert snapshot.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert _imports() == [
        {"kind": "animals", "rows": 4, "sha256": snapshot.source_sha256, "as_of": "2026-05-01"}
    ]
    assert latest_snapshots()["animals"].id == snapshot.id
    listed = animals_of(snapshot, [FARM])
    assert [(a.animal_id, a.species) for a in listed] == [
        ("KZ000000000001", "cattle"),
        ("KZ000000000002", "sheep"),
        ("KZ000000000004", "cattle"),
    ]
    assert listed[0].birth_date == date(2020, 1, 2) and listed[0].sex == "M"
    assert animal_counts(snapshot, [FARM, COMPANY, "850101300015"]) == {
        (FARM, "cattle"): 2,
        (FARM, "sheep"): 1,
        (COMPANY, "cattle"): 1,
    }


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (f"{FARM},KZ999999999999,cattle,X,2021-01-01,2021-01-02\n", "line 2902, column sex"),
        (
            f"{FARM},KZ999999999999,cattle,F,2021-01-01,2020-01-02\n",
            "line 2902, column registered_on",
        ),
        (_animal(COMPANY, 5), "line 2902, column animal_id: repeats line 7"),
        (f"{FARM},KZ999999999999,cattle,F,2021-02-29,2021-03-01\n", "line 2902, column birth_date"),
    ],
)
def test_a_bad_line_late_in_the_file_leaves_nothing_written(
    runner, tmp_path, monkeypatch, bad, expected
):
    """Batches of 100: 29 of them are stored before line 2,902 is read, and all are undone."""
    monkeypatch.setattr(services, "BATCH", 100)
    stored = []
    writer = services._writer

    def counting(kind, snapshot_id):
        store = writer(kind, snapshot_id)
        return lambda batch: (stored.append(len(batch)), store(batch))

    monkeypatch.setattr(services, "_writer", counting)
    lines = [_animal(FARM if n % 3 else COMPANY, n) for n in range(3000)]
    lines.insert(2900, bad)
    result = runner.invoke(args=["registry", "import", "animals", str(_write(tmp_path, lines))])
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sum(stored) == 2900  # stored, then rolled back
    assert _count(AnimalRecord) == 0
    assert _count(RegistrySnapshot) == 0
    assert _imports() == []


def test_a_file_not_utf8_late_on_is_refused_and_nothing_is_written(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 100)
    path = tmp_path / "animals.csv"
    body = "".join(_animal(FARM, n) for n in range(5000))
    path.write_bytes(
        (HEADER + body).encode() + b"061211600012,KZ\xff1,cattle,F,2021-01-01,2021-01-02\n"
    )
    result = runner.invoke(args=["registry", "import", "animals", str(path)])
    assert result.exit_code == 2, result.output
    assert "not UTF-8 text" in result.output
    assert _count(AnimalRecord) == 0 and _count(RegistrySnapshot) == 0


def test_a_suddenly_smaller_animals_extract_needs_allow_shrink(runner, tmp_path):
    full = _write(tmp_path, [_animal(FARM, n) for n in range(10)])
    assert runner.invoke(args=["registry", "import", "animals", str(full)]).exit_code == 0
    shrunk = _write(tmp_path, [_animal(FARM, n) for n in range(4)], "shrunk.csv")
    refused = runner.invoke(args=["registry", "import", "animals", str(shrunk)])
    assert refused.exit_code == 2 and "--allow-shrink" in refused.output, refused.output
    assert _count(AnimalRecord) == 10 and _count(RegistrySnapshot) == 1
    forced = runner.invoke(args=["registry", "import", "animals", str(shrunk), "--allow-shrink"])
    assert forced.exit_code == 0, forced.output
    assert _count(AnimalRecord) == 14 and len(_imports()) == 2
    assert latest_snapshots()["animals"].row_count == 4


def _checks(application) -> dict:
    return {c["rule"]: c for c in json.loads(application.evaluation)["checks"]}


def test_identified_heads_come_from_the_animals_extract_where_it_exists(runner, tmp_path):
    """Liter program (claims no animals by id): the herd rules see the animals' counts."""
    make_program(
        "TEST-MILK-2026",
        unit="liter",
        rate="10.00",
        criteria=[
            {"rule": "min_livestock_heads", "params": {"species": "cattle", "min": 5}},
            {
                "rule": "identified_livestock_share",
                "params": {"species": "cattle", "min_share": "1.00"},
            },
        ],
    )
    partly, unlisted, more = (make_applicant() for _ in range(3))
    registry(
        livestock=[
            (partly.iin_bin, "cattle", 40, 40),  # 30 animals identified: 30 of 40
            (more.iin_bin, "cattle", 5, 5),  # 8 animals: heads raised to 8
            (more.iin_bin, "sheep", 20, 20),  # no sheep listed: none identified
        ]
    )
    before = submit(partly, "TEST-MILK-2026", quantity="100")
    assert _checks(before)["identified_livestock_share"]["facts_used"]["identified_heads"] == 40

    lines = [_animal(partly.iin_bin, n) for n in range(30)]
    lines += [_animal(unlisted.iin_bin, n) for n in range(100, 106)]  # no livestock row
    lines += [_animal(more.iin_bin, n) for n in range(200, 208)]
    lines += [_animal(partly.iin_bin, n, "goats") for n in range(300, 303)]
    path = _write(tmp_path, lines)
    assert runner.invoke(args=["registry", "import", "animals", str(path)]).exit_code == 0
    animals = latest_snapshots()["animals"]

    after = {
        name: _checks(submit(applicant, "TEST-MILK-2026", quantity="100"))
        for name, applicant in (("partly", partly), ("unlisted", unlisted), ("more", more))
    }
    share = after["partly"]["identified_livestock_share"]
    assert share["passed"] is False
    assert (share["facts_used"]["heads"], share["facts_used"]["identified_heads"]) == (40, 30)
    assert after["unlisted"]["min_livestock_heads"]["facts_used"]["heads"] == 6
    share = after["unlisted"]["identified_livestock_share"]
    assert (share["passed"], share["facts_used"]["identified_heads"]) == (True, 6)
    share = after["more"]["identified_livestock_share"]
    assert share["facts_used"]["heads"] == 8 and share["facts_used"]["identified_heads"] == 8

    from subsidy.applicants.models import Applicant
    from subsidy.applications.facts import registry_facts

    facts = registry_facts(db.session.get(Applicant, partly.id))
    assert facts.snapshots["animals"] == animals.id
    assert [(h.species, h.heads, h.identified_heads) for h in facts.herds] == [
        ("cattle", 40, 30),
        ("goats", 3, 3),
    ]
    facts = registry_facts(db.session.get(Applicant, more.id))
    assert [(h.species, h.heads, h.identified_heads) for h in facts.herds] == [
        ("cattle", 8, 8),
        ("sheep", 20, 0),
    ]
    stored = json.loads(submit(make_applicant(), "TEST-MILK-2026", quantity="1").evaluation)
    assert stored["snapshots"]["animals"] == animals.id
