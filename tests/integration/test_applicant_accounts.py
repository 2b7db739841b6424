"""Applicants' bank accounts and heads through the services and the CLI: validated, stored
normalised, logged by the IBAN's SHA-256 (never the IBAN, never the head's IIN), and a repeat of
the same value writes nothing."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from subsidy.applicants import services
from subsidy.applicants.models import Applicant
from subsidy.audit.models import AuditEntry
from subsidy.errors import ValidationFailed
from subsidy.extensions import db
from tests.factories import first_district, make_applicant, new_bin, new_iin

IBAN = "KZ86125KZT5004100100"
OTHER_IBAN = "KZ686010000000123456"  # Halyk's bank code 601, made-up account
BIC = "KCJBKZKX"


def _entries() -> list[AuditEntry]:
    return list(
        db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.entry_index)).scalars()
    )


def _data(entry: AuditEntry) -> dict:
    return json.loads(bytes(entry.canonical))["data"]


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Applicant)).scalar_one()


def test_other_iban_is_valid():
    from subsidy.applicants.bank import make_iban

    assert make_iban("601", "0000000123456") == OTHER_IBAN


def test_create_with_an_account_and_a_head_logs_neither_in_clear(app):
    head = new_iin()
    company = services.create_applicant(
        kind="legal_entity",
        iin_bin=new_bin(),
        name="ТОО «Тест»",
        district=first_district(),
        head_iin=head,
        iban="kz86 125k zt50 0410 0100",
        bic="kcjbkzkx",
        actor="test",
    )
    assert (company.iban, company.bic, company.head_iin) == (IBAN, BIC, head)
    # An account given at registration is no change (the bank_account_changed flag looks at it).
    assert company.bank_account_changed_at is None
    entry = _entries()[-1]
    assert entry.action == "applicant_created"
    assert _data(entry)["iban_sha256"] == _sha(IBAN) and _data(entry)["bic"] == BIC
    assert _data(entry)["head_iin_set"] is True
    canonical = bytes(entry.canonical)
    assert IBAN.encode() not in canonical and head.encode() not in canonical
    assert _sha(head).encode() not in canonical


def test_create_without_an_account_records_none(app):
    farm = make_applicant("peasant_farm")
    assert farm.iban is None and farm.bank_account_changed_at is None
    data = _data(_entries()[-1])
    assert (data["iban_sha256"], data["bic"], data["head_iin_set"]) == (None, None, False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"iban": IBAN}, "bic"),
        ({"bic": BIC}, "iban"),
        ({"iban": "KZ87125KZT5004100100", "bic": BIC}, "iban"),
        ({"iban": "DE89370400440532013000", "bic": BIC}, "iban"),
        ({"iban": IBAN, "bic": "DEUTDEFF"}, "bic"),
        ({"iban": IBAN, "bic": "KCJBKZ"}, "bic"),
        ({"head_iin": "061211600013"}, "head_iin"),
        ({"head_iin": new_bin()}, "head_iin"),
    ],
)
def test_create_refuses_a_wrong_account_or_head_and_writes_nothing(app, change, field):
    before, entries = _count(), len(_entries())
    with pytest.raises(ValidationFailed) as refused:
        services.create_applicant(
            kind="peasant_farm",
            iin_bin=new_iin(),
            name="КХ «Тест»",
            district=first_district(),
            actor="test",
            **change,
        )
    assert field in refused.value.errors
    assert (_count(), len(_entries())) == (before, entries)


def test_an_individual_has_no_head(app):
    with pytest.raises(ValidationFailed) as refused:
        make_applicant_with_head("individual")
    assert "head_iin" in refused.value.errors


def make_applicant_with_head(kind: str):
    return services.create_applicant(
        kind=kind,
        iin_bin=new_iin(),
        name="Тест Тест Тестович",
        district=first_district(),
        head_iin=new_iin(),
        actor="test",
    )


def test_set_bank_account_changes_logs_and_repeats_nothing(app):
    farm = make_applicant("peasant_farm")
    size = len(_entries())
    assert services.set_bank_account(applicant=farm, iban=IBAN, bic=BIC, actor="user:1")
    first_change = farm.bank_account_changed_at
    assert (farm.iban, farm.bic) == (IBAN, BIC) and first_change is not None
    entry = _entries()[-1]
    assert (entry.action, entry.subject, entry.actor) == (
        "bank_account_changed",
        f"applicant:{farm.id}",
        "user:1",
    )
    assert _data(entry) == {"iban_sha256": _sha(IBAN), "bic": BIC}
    assert IBAN.encode() not in bytes(entry.canonical)
    # The same account, typed differently: nothing changes, nothing is logged.
    assert not services.set_bank_account(
        applicant=farm, iban="KZ86 125K ZT50 0410 0100", bic=" kcjbkzkx", actor="user:1"
    )
    assert len(_entries()) == size + 1 and farm.bank_account_changed_at == first_change
    # Another bank's BIC for the same IBAN is a change.
    assert services.set_bank_account(applicant=farm, iban=IBAN, bic="HSBKKZKX", actor="user:1")
    assert services.set_bank_account(applicant=farm, iban=OTHER_IBAN, bic="HSBKKZKX", actor="t")
    assert [e.action for e in _entries()[size:]] == ["bank_account_changed"] * 3
    assert _data(_entries()[-1])["iban_sha256"] == _sha(OTHER_IBAN)


def test_a_refused_account_changes_nothing(app):
    farm = make_applicant("peasant_farm")
    services.set_bank_account(applicant=farm, iban=IBAN, bic=BIC, actor="test")
    size = len(_entries())
    with pytest.raises(ValidationFailed) as refused:
        services.set_bank_account(applicant=farm, iban=IBAN[:-1], bic=BIC, actor="test")
    assert refused.value.errors == {"iban": ["must be 20 characters, got 19 (without spaces)"]}
    assert (farm.iban, len(_entries())) == (IBAN, size)


def test_set_head_sets_changes_clears_and_logs_only_that(app):
    coop = services.create_applicant(
        kind="cooperative",
        iin_bin=new_bin(),
        name="СПК «Тест»",
        district=first_district(),
        actor="test",
    )
    size = len(_entries())
    first, second = new_iin(), new_iin()
    assert services.set_head(applicant=coop, head_iin=first, actor="cli")
    assert not services.set_head(applicant=coop, head_iin=first, actor="cli")
    assert services.set_head(applicant=coop, head_iin=second, actor="cli")
    assert services.set_head(applicant=coop, head_iin=None, actor="cli")
    assert coop.head_iin is None
    entries = _entries()[size:]
    assert [e.action for e in entries] == ["applicant_head_changed"] * 3
    assert [_data(e) for e in entries] == [
        {"head_iin_set": True},
        {"head_iin_set": True},
        {"head_iin_set": False},
    ]
    for entry in entries:
        assert first.encode() not in bytes(entry.canonical)
        assert second.encode() not in bytes(entry.canonical)


def test_set_head_refuses_an_individual_and_a_bad_iin(app):
    person = make_applicant("individual")
    farm = make_applicant("peasant_farm")
    for applicant, head in ((person, new_iin()), (farm, "12345"), (farm, new_bin())):
        with pytest.raises(ValidationFailed) as refused:
            services.set_head(applicant=applicant, head_iin=head, actor="test")
        assert list(refused.value.errors) == ["head_iin"]


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_create_with_head_and_account(runner):
    bin_ = new_bin()
    head = new_iin()
    result = runner.invoke(
        args=[
            "applicants",
            "create",
            "--kind",
            "legal_entity",
            "--id",
            bin_,
            "--name",
            "ТОО «Береке»",
            "--district",
            first_district(),
            "--head",
            head,
            "--iban",
            IBAN,
            "--bic",
            BIC,
        ]
    )
    assert result.exit_code == 0, result.output
    row = db.session.execute(sa.select(Applicant).where(Applicant.iin_bin == bin_)).scalar_one()
    assert (row.head_iin, row.iban, row.bic) == (head, IBAN, BIC)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--iban", IBAN], "bic"),
        (["--iban", "KZ00125KZT5004100100", "--bic", BIC], "iban"),
        (["--iban", IBAN, "--bic", "KCJB1ZKX"], "bic"),
        (["--head", "061211600013"], "head_iin"),
    ],
)
def test_cli_create_refuses_with_one_line_naming_the_field(runner, extra, field):
    before = _count()
    result = runner.invoke(
        args=[
            "applicants",
            "create",
            "--kind",
            "peasant_farm",
            "--id",
            new_iin(),
            "--name",
            "КХ «Тест»",
            "--district",
            first_district(),
            *extra,
        ]
    )
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"error: {field}:")
    assert _count() == before


def test_cli_set_bank_account(runner):
    farm = make_applicant("peasant_farm")
    db.session.commit()
    args = ["applicants", "set-bank-account", farm.iin_bin, "--iban", IBAN, "--bic", BIC]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "changed" in result.output and "unchanged" not in result.output
    db.session.expire_all()
    assert (farm.iban, farm.bic) == (IBAN, BIC)
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "unchanged" in again.output
    assert _entries()[-1].action == "bank_account_changed"
    assert IBAN not in again.output + result.output


@pytest.mark.parametrize(
    ("target", "iban", "field"),
    [
        (None, "KZ87125KZT5004100100", "iban"),
        (None, "KZ86125KZT50041001", "iban"),
        ("061211600012", IBAN, "iin_bin"),  # no such applicant
    ],
)
def test_cli_set_bank_account_refuses_and_writes_nothing(runner, target, iban, field):
    farm = make_applicant("peasant_farm")
    db.session.commit()
    size = len(_entries())
    args = ["applicants", "set-bank-account", target or farm.iin_bin, "--iban", iban]
    result = runner.invoke(args=[*args, "--bic", BIC])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"error: {field}:")
    db.session.expire_all()
    assert farm.iban is None and len(_entries()) == size


def test_cli_set_head(runner):
    coop = make_applicant("cooperative")
    db.session.commit()
    head = new_iin()
    result = runner.invoke(args=["applicants", "set-head", coop.iin_bin, "--head", head])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert coop.head_iin == head
    cleared = runner.invoke(args=["applicants", "set-head", coop.iin_bin, "--clear"])
    assert cleared.exit_code == 0, cleared.output
    db.session.expire_all()
    assert coop.head_iin is None
    neither = runner.invoke(args=["applicants", "set-head", coop.iin_bin])
    assert neither.exit_code == 2
    person = make_applicant("individual")
    db.session.commit()
    refused = runner.invoke(args=["applicants", "set-head", person.iin_bin, "--head", head])
    assert refused.exit_code == 2 and refused.output.startswith("error: head_iin:")
