"""Account use cases. Each writes its change and its audit entry; none commits."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from subsidy.access import Role
from subsidy.accounts import login_guard, sessions
from subsidy.accounts.models import ApiToken, User
from subsidy.accounts.passwords import (
    check_password,
    hash_password,
    needs_rehash,
    password_problem,
)
from subsidy.applicants.ids import InvalidId, validate_iin
from subsidy.applicants.queries import applicant_by_iin_bin
from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry, lock_log
from subsidy.db import utcnow
from subsidy.errors import Conflict, Unauthorized, ValidationFailed, parse_enum
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
    _check_new_password(password, username)
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
    # What the old role could do ends with it: every session and token signs in again.
    sessions.revoke_everything(user, utcnow())
    db.session.flush()
    append_entry(
        actor=actor,
        action=Action.ROLE_CHANGED,
        subject=f"user:{user.id}",
        data={"from": previous.value, "to": parsed_role.value, "applicant_id": user.applicant_id},
    )
    return user


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: the user, or None; ``retry_after`` (seconds) when it was
    refused unchecked because the account, device or address must wait."""

    user: User | None
    retry_after: int | None = None


def authenticate(
    *, username: str, password: str, channel: str, client: login_guard.Client
) -> SignIn:
    """The user whose credentials these are, or None. Both outcomes are logged; the log names
    the account only by id, and says nothing about which usernames exist to the caller. An
    attempt the throttle refuses is neither checked nor logged (it changes nothing)."""
    wait = login_guard.begin(username, client)
    if wait is not None:
        return SignIn(user=None, retry_after=wait)
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    ok = check_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_active:
        login_guard.succeeded(username, client)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        append_entry(
            actor=user.actor,
            action=Action.LOGIN_SUCCEEDED,
            subject=user.actor,
            data={"via": channel},
        )
        return SignIn(user=user)
    login_guard.failed(username, client)
    append_entry(
        actor="anonymous",
        action=Action.LOGIN_FAILED,
        subject=user.actor if user else "user:unknown",
        data={"via": channel},
    )
    return SignIn(user=None)


def issue_token(*, user: User) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.config["TOKEN_TTL"]
    row = ApiToken(
        user_id=user.id,
        token_hash=sessions.digest(token),
        created_at=utcnow(),
        expires_at=expires_at,
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
    row = sessions.token_row(token)
    return row.user if row is not None else None


def revoke_token(*, token: str, actor: str) -> None:
    """End the bearer token presented (DELETE /api/v1/auth/token)."""
    row = sessions.token_row(token)
    if row is None:
        raise Unauthorized("a valid bearer token is required")
    row.revoked_at = utcnow()
    db.session.flush()
    append_entry(
        actor=actor, action=Action.TOKEN_REVOKED, subject=row.user.actor, data={"token_id": row.id}
    )


def sign_in_web(*, user: User, user_agent: str) -> str:
    """A session for the pages after a successful :func:`authenticate`: the cookie's secret.
    (The login_succeeded entry stands for it; the session's id is not public.)"""
    secret, _ = sessions.open_session(user=user, user_agent=user_agent)
    return secret


def sign_out_web(*, secret: str | None, user_agent: str) -> None:
    """Logout: the session of this cookie ends now, wherever the cookie is replayed from."""
    row = sessions.live_session(secret, user_agent=user_agent)
    if row is None:
        return
    sessions.end_session(row, utcnow())
    append_entry(
        actor=row.user.actor,
        action=Action.LOGGED_OUT,
        subject=row.user.actor,
        data={"via": "web"},
    )


@dataclass(frozen=True)
class Ended:
    """What a revocation ended: how many web sessions and API tokens."""

    sessions: int
    tokens: int

    def __str__(self) -> str:
        return f"{self.sessions} sessions and {self.tokens} tokens ended"

    def logged(self) -> dict:
        """What the log says of it: numbers only."""
        return {"sessions": self.sessions, "tokens": self.tokens}


def _end_access(user: User) -> Ended:
    """Revoke every session and token of ``user``; the caller logs what it did with the numbers
    (``Ended.logged``)."""
    ended = Ended(*sessions.revoke_everything(user, utcnow()))
    db.session.flush()
    return ended


def revoke_access(*, user: User, actor: str) -> Ended:
    """End every web session and API token of ``user`` (`subsidy users revoke-tokens`); the
    password still works."""
    ended = _end_access(user)
    append_entry(actor=actor, action=Action.ACCESS_REVOKED, subject=user.actor, data=ended.logged())
    return ended


def set_password(*, user: User, password: str, actor: str) -> Ended:
    """A new password for ``user``; every session and token signed in with the old one ends."""
    _check_new_password(password, user.username)
    user.password_hash = hash_password(password)
    ended = _end_access(user)
    append_entry(
        actor=actor, action=Action.PASSWORD_CHANGED, subject=user.actor, data=ended.logged()
    )
    return ended


def deactivate(*, user: User, actor: str) -> Ended:
    """The account can no longer sign in; its sessions and tokens end at once."""
    if not user.is_active_account:
        raise Conflict("user: already deactivated", {"username": ["already deactivated"]})
    user.is_active_account = False
    ended = _end_access(user)
    append_entry(
        actor=actor, action=Action.USER_DEACTIVATED, subject=user.actor, data=ended.logged()
    )
    return ended


def activate(*, user: User, actor: str) -> None:
    """A deactivated account may sign in again (with its password; nothing old comes back)."""
    if user.is_active_account:
        raise Conflict("user: already active", {"username": ["already active"]})
    user.is_active_account = True
    db.session.flush()
    append_entry(actor=actor, action=Action.USER_ACTIVATED, subject=user.actor, data={})


def _check_new_password(password: str, username: str) -> None:
    problem = password_problem(password or "", username=username)
    if problem:
        raise ValidationFailed.field("password", problem)


def user_by_username(username: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise ValidationFailed.field("username", "no such user")
    return user
