"""Applicant registry use cases."""

from __future__ import annotations

from subsidy.applicants.bank import BankAccount, InvalidBankAccount, iban_sha256
from subsidy.applicants.bank import bank_account as parse_bank_account
from subsidy.applicants.ids import InvalidId, id_kind, validate_iin
from subsidy.applicants.models import Applicant, ApplicantKind
from subsidy.applicants.queries import applicant_by_iin_bin, find_applicant
from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry, lock_log
from subsidy.db import utcnow
from subsidy.districts.queries import district_by_code
from subsidy.errors import Conflict, ValidationFailed, parse_enum
from subsidy.extensions import db

# Which kind of identifier each kind of applicant is registered under.
ID_KINDS = {
    ApplicantKind.INDIVIDUAL: {"iin"},
    ApplicantKind.PEASANT_FARM: {"iin", "bin"},
    ApplicantKind.LEGAL_ENTITY: {"bin"},
    ApplicantKind.COOPERATIVE: {"bin"},
}
NAME_MAX = 300
MAX_MEMBERS = 500
# Who has a head (related parties): an individual is its own.
HEADED_KINDS = (ApplicantKind.PEASANT_FARM, ApplicantKind.LEGAL_ENTITY, ApplicantKind.COOPERATIVE)


def parse_kind(value: str) -> ApplicantKind:
    return parse_enum(ApplicantKind, value, "kind")


def check_iin_bin(value: str, kind: ApplicantKind, *, field: str = "iin_bin") -> str:
    try:
        found = id_kind(value)
    except InvalidId as error:
        raise ValidationFailed.field(field, str(error)) from None
    if found not in ID_KINDS[kind]:
        wanted = " or ".join(sorted(ID_KINDS[kind])).upper()
        raise ValidationFailed.field(field, f"a {kind.value} is registered under an {wanted}")
    return value


def create_applicant(
    *,
    kind: str,
    iin_bin: str,
    name: str,
    district: str,
    members: list[str] | None = None,
    head_iin: str | None = None,
    iban: str | None = None,
    bic: str | None = None,
    actor: str,
) -> Applicant:
    parsed_kind = parse_kind(kind)
    check_iin_bin(iin_bin, parsed_kind)
    head = check_head(head_iin, parsed_kind)
    account = None if iban is None and bic is None else check_bank_account(iban, bic)
    lock_log(db.session)  # writers first take the log lock: the duplicate check below holds
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed.field("name", "must not be empty")
    if len(name) > NAME_MAX:
        raise ValidationFailed.field("name", f"must be at most {NAME_MAX} characters")
    district_row = district_by_code(district)
    member_rows = _members(parsed_kind, members or [], iin_bin)
    if find_applicant(iin_bin) is not None:
        raise Conflict("iin_bin: already registered", {"iin_bin": ["already registered"]})
    applicant = Applicant(
        iin_bin=iin_bin,
        kind=parsed_kind,
        name=name,
        district_code=district_row.code,
        created_at=utcnow(),
        head_iin=head,
    )
    if account is not None:
        _put_account(applicant, account, changed=False)
    applicant.members = member_rows
    db.session.add(applicant)
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.APPLICANT_CREATED,
        subject=f"applicant:{applicant.id}",
        data={
            "kind": parsed_kind.value,
            "district": district_row.code,
            "member_ids": [member.id for member in member_rows],
            # Never the IBAN or the head's IIN themselves (see set_bank_account, set_head).
            **_account_data(account),
            "head_iin_set": head is not None,
        },
    )
    return applicant


def check_bank_account(iban: str | None, bic: str | None) -> BankAccount:
    """The normalised account, or a 422 naming ``iban`` or ``bic``: both are needed."""
    for field, value in (("iban", iban), ("bic", bic)):
        if value is None:
            raise ValidationFailed.field(field, "an account needs both an IBAN and a BIC")
    try:
        return parse_bank_account(iban, bic)
    except InvalidBankAccount as error:
        raise ValidationFailed.field(error.field, error.message) from None


def check_head(head_iin: str | None, kind: ApplicantKind) -> str | None:
    """The head's IIN, or None; only a peasant farm, legal entity or cooperative has one."""
    if head_iin is None:
        return None
    if kind not in HEADED_KINDS:
        raise ValidationFailed.field(
            "head_iin", "only a peasant farm, legal entity or cooperative has a head"
        )
    try:
        return validate_iin(head_iin)
    except InvalidId as error:
        raise ValidationFailed.field("head_iin", str(error)) from None


def set_bank_account(*, applicant: Applicant, iban: str, bic: str, actor: str) -> bool:
    """Set or change the account subsidies are paid to; False (nothing written) if unchanged.

    The log records that it changed, the IBAN's SHA-256 and the BIC, never the IBAN."""
    account = check_bank_account(iban, bic)
    lock_log(db.session)  # then re-read: the account compared below is the one stored now
    db.session.refresh(applicant)
    if (applicant.iban, applicant.bic) == (account.iban, account.bic):
        return False
    _put_account(applicant, account)
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.BANK_ACCOUNT_CHANGED,
        subject=f"applicant:{applicant.id}",
        data=_account_data(account),
    )
    return True


def set_head(*, applicant: Applicant, head_iin: str | None, actor: str) -> bool:
    """Set, change or (with None) remove the head's IIN; False (nothing written) if unchanged.

    The log records only whether there is a head, not a hash of the IIN: there are a few billion
    IINs in all (a birth date, a century digit, a serial), so a SHA-256 of one is reversed by
    trying them all."""
    head = check_head(head_iin, applicant.kind)
    lock_log(db.session)
    db.session.refresh(applicant)
    if applicant.head_iin == head:
        return False
    applicant.head_iin = head
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.APPLICANT_HEAD_CHANGED,
        subject=f"applicant:{applicant.id}",
        data={"head_iin_set": head is not None},
    )
    return True


def _put_account(applicant: Applicant, account: BankAccount, *, changed: bool = True) -> None:
    """The account; ``changed`` when it replaces or follows the registration (the risk flag
    ``bank_account_changed`` looks at that time: an account given at registration is no swap)."""
    applicant.iban = account.iban
    applicant.bic = account.bic
    if changed:
        applicant.bank_account_changed_at = utcnow()


def _account_data(account: BankAccount | None) -> dict:
    if account is None:
        return {"iban_sha256": None, "bic": None}
    return {"iban_sha256": iban_sha256(account.iban), "bic": account.bic}


def _members(kind: ApplicantKind, members: list[str], own_id: str) -> list[Applicant]:
    if kind is not ApplicantKind.COOPERATIVE:
        if members:
            raise ValidationFailed.field("members", "only a cooperative has members")
        return []
    if len(members) > MAX_MEMBERS:
        raise ValidationFailed.field("members", f"at most {MAX_MEMBERS} members")
    if len(set(members)) != len(members):
        raise ValidationFailed.field("members", "a member is listed twice")
    rows = []
    for position, member_id in enumerate(members):
        field = f"members[{position}]"
        if member_id == own_id:
            raise ValidationFailed.field(field, "a cooperative cannot be its own member")
        member = applicant_by_iin_bin(member_id, field=field)
        if member.kind is ApplicantKind.COOPERATIVE:
            raise ValidationFailed.field(field, "a cooperative cannot be a member")
        rows.append(member)
    return rows
