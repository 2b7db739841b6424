"""Build test data through the real services, so every row comes with its audit entry."""

from __future__ import annotations

import itertools
from datetime import date

from subsidy.accounts import services as accounts
from subsidy.applicants import services as applicants
from subsidy.applicants.ids import make_bin, make_iin

_serial = itertools.count(1)
PASSWORD = "correct horse battery"
DEFAULT_DISTRICT = None  # resolved lazily to the first district


def new_iin() -> str:
    while True:
        found = make_iin(date(1980, 5, 17), female=False, serial=next(_serial) % 10000)
        if found:
            return found


def new_bin() -> str:
    while True:
        found = make_bin(2015, 3, 4, 0, next(_serial) % 100000)
        if found:
            return found


def first_district() -> str:
    from subsidy.districts.queries import all_districts

    return all_districts()[0].code


def make_applicant(
    kind: str = "peasant_farm",
    *,
    name: str | None = None,
    district=None,
    members=(),
    iin_bin: str | None = None,
):
    if iin_bin is None:
        iin_bin = new_iin() if kind in ("individual", "peasant_farm") else new_bin()
    return applicants.create_applicant(
        kind=kind,
        iin_bin=iin_bin,
        name=name or f"КХ «Тест {iin_bin[-4:]}»",
        district=district or first_district(),
        members=list(members),
        actor="test",
    )


def make_user(role: str = "official", *, applicant=None, username: str | None = None):
    if role == "applicant" and applicant is None:
        applicant = make_applicant()
    return accounts.create_user(
        username=username or f"{role}{next(_serial)}",
        password=PASSWORD,
        role=role,
        applicant=applicant.iin_bin if applicant is not None else None,
        actor="test",
    )


def bearer(user) -> dict[str, str]:
    token, _ = accounts.issue_token(user=user)
    return {"Authorization": f"Bearer {token}"}
