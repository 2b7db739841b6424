"""Account use cases. Each writes its change and its audit entry; none commits."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from subsidy.access import Role
from subsidy.accounts.models import ApiToken, User
from subsidy.accounts.passwords import check_password, hash_password, password_problem
from subsidy.applicants.ids import InvalidId, validate_iin
from subsidy.applicants.queries import applicant_by_iin_bin
from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry, lock_log
from subsidy.db import utcnow
from subsidy.errors import Conflict, ValidationFailed, parse_enum
from subsidy.extensions import db

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$")
PRINTED_MAX = 200  # users.full_name and users.position


def parse_role(value: str) -> Role:
    return parse_enum(Role, value, "role")


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    applicant: str | None = None,
    iin: str | None = None,
    full_name: str | None = None,
    position: str | None = None,
    actor: str,
) -> User:
    """A new account. ``full_name`` and ``position`` are how the letters an official decides
    name them (the log, which is public, never holds them)."""
    if not USERNAME_RE.match(username or ""):
        raise ValidationFailed.field(
            "username", "3 to 64 letters, digits or . _ @ -, starting with a letter or digit"
        )
    problem = password_problem(password or "")
    if problem:
        raise ValidationFailed.field("password", problem)
    parsed_role = parse_role(role)
    linked = _linked_applicant(parsed_role, applicant)
    if iin is not None:
        try:
            validate_iin(iin)
        except InvalidId as error:
            raise ValidationFailed.field("iin", str(error)) from None
    full_name = _printed_text(full_name, "full_name")
    position = _printed_text(position, "position")
    lock_log(db.session)  # writers first take the log lock: the duplicate check below holds
    if db.session.execute(sa.select(User.id).where(User.username == username)).first():
        raise Conflict("username: already taken", {"username": ["already taken"]})
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=parsed_role,
        applicant_id=linked.id if linked else None,
        iin=iin,
        full_name=full_name,
        position=position,
        is_active_account=True,
        created_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.USER_CREATED,
        subject=f"user:{user.id}",
        data={"role": parsed_role.value, "applicant_id": user.applicant_id},
    )
    return user


def _printed_text(value: str | None, field: str) -> str | None:
    """A name or position as a letter prints it: one line, at most PRINTED_MAX characters."""
    value = " ".join((value or "").split())
    if len(value) > PRINTED_MAX:
        raise ValidationFailed.field(field, f"must be at most {PRINTED_MAX} characters")
    return value or None


def _linked_applicant(role: Role, applicant: str | None):
    if role is Role.APPLICANT:
        if not applicant:
            raise ValidationFailed.field("applicant", "required for the applicant role")
        return applicant_by_iin_bin(applicant, field="applicant")
    if applicant:
        raise ValidationFailed.field("applicant", "only an applicant user is linked to one")
    return None


def change_role(*, user: User, role: str, applicant: str | None = None, actor: str) -> User:
    parsed_role = parse_role(role)
    linked = _linked_applicant(parsed_role, applicant)
    previous = user.role
    user.role = parsed_role
    user.applicant_id = linked.id if linked else None
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.ROLE_CHANGED,
        subject=f"user:{user.id}",
        data={"from": previous.value, "to": parsed_role.value, "applicant_id": user.applicant_id},
    )
    return user


def authenticate(*, username: str, password: str, channel: str) -> User | None:
    """The user whose credentials these are, or None. Both outcomes are logged; the log names
    the account only by id, and says nothing about which usernames exist to the caller."""
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    ok = check_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_active:
        append_entry(
            actor=user.actor,
            action=Action.LOGIN_SUCCEEDED,
            subject=user.actor,
            data={"via": channel},
        )
        return user
    append_entry(
        actor="anonymous",
        action=Action.LOGIN_FAILED,
        subject=user.actor if user else "user:unknown",
        data={"via": channel},
    )
    return None


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(*, user: User) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.config["TOKEN_TTL"]
    row = ApiToken(
        user_id=user.id, token_hash=_token_digest(token), created_at=utcnow(), expires_at=expires_at
    )
    db.session.add(row)
    db.session.flush()
    append_entry(
        actor=user.actor,
        action=Action.TOKEN_ISSUED,
        subject=user.actor,
        data={"token_id": row.id, "expires_at": expires_at.isoformat()},
    )
    return token, expires_at


def user_for_token(token: str) -> User | None:
    row = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == _token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row.user


def user_by_username(username: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise ValidationFailed.field("username", "no such user")
    return user
