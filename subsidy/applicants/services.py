"""Applicant registry use cases."""

from __future__ import annotations

from subsidy.applicants.ids import InvalidId, id_kind
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
    actor: str,
) -> Applicant:
    parsed_kind = parse_kind(kind)
    check_iin_bin(iin_bin, parsed_kind)
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
    )
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
        },
    )
    return applicant


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
