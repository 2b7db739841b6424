"""Server-side sessions for the web pages and the revocation of API tokens.

The signed session cookie carries a random session id (``session["sid"]``); the database keeps
its SHA-256 in ``user_sessions``. A request is signed in only while that row is neither revoked
nor past its absolute expiry (``PERMANENT_SESSION_LIFETIME``) or idle limit
(``SESSION_IDLE_TIMEOUT``), and only from the User-Agent that signed in: a cookie copied into
another browser is not signed in there (the owner's browser stays signed in).

These functions flush and never commit; the audit entries of the changes that matter (logout,
revocations) are written by :mod:`subsidy.accounts.services`."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from subsidy.accounts.models import ApiToken, User, UserSession
from subsidy.db import utcnow
from subsidy.extensions import db

# last_seen_at and last_used_at are written at most this often: a page view is not a write.
TOUCH_EVERY = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _by_secret(model, column, secret: str):
    """The row whose stored hash is this secret's (only hashes are stored)."""
    return db.session.execute(sa.select(model).where(column == digest(secret))).scalar_one_or_none()


def open_session(*, user: User, user_agent: str) -> tuple[str, UserSession]:
    """A new session for ``user``: the secret for the cookie, and its row."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        secret_hash=digest(secret),
        user_agent_hash=digest(user_agent),
        created_at=now,
        last_seen_at=now,
        expires_at=now + current_app.config["PERMANENT_SESSION_LIFETIME"],
    )
    db.session.add(row)
    db.session.flush()
    return secret, row


def live_session(secret: str | None, *, user_agent: str) -> UserSession | None:
    """The session this cookie's secret opened, if it still signs its user in from this
    User-Agent; refreshes its last_seen_at (at most once a minute)."""
    if not secret or not isinstance(secret, str) or len(secret) > 100:
        return None
    row = _by_secret(UserSession, UserSession.secret_hash, secret)
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at >= current_app.config["SESSION_IDLE_TIMEOUT"]:
        return None
    if row.user_agent_hash != digest(user_agent) or not row.user.is_active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY and _locked_now(UserSession, row.id):
        row.last_seen_at = now
        db.session.flush()
    return row


def _locked_now(model, row_id: int) -> bool:
    """Lock this row for a bookkeeping write unless another request holds it (then skip the
    write: it is touching the row itself). Never waiting here matters: a request that loads its
    user late, under the log lock, would otherwise wait for a row whose holder waits for the log
    lock. (SQLite has no row locks; its one write lock is taken in order.)"""
    locked = db.session.execute(
        sa.select(model.id).where(model.id == row_id).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    return locked is not None


def end_session(row: UserSession, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        db.session.flush()


def revoke_everything(user: User, now: datetime) -> tuple[int, int]:
    """End every session and API token of ``user``: (sessions, tokens) ended."""
    sessions = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    tokens = revoke_tokens(user, now)
    return sessions or 0, tokens


def revoke_tokens(user: User, now: datetime) -> int:
    count = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    return count or 0


def token_row(token: str) -> ApiToken | None:
    """The live token row of a bearer token (not revoked, not expired, its user active)."""
    row = _by_secret(ApiToken, ApiToken.token_hash, token)
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.is_active:
        return None
    stale = row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY
    if stale and _locked_now(ApiToken, row.id):
        row.last_used_at = now
        db.session.flush()
    return row


def live_tokens(user: User) -> list[ApiToken]:
    now = utcnow()
    return list(
        db.session.execute(
            sa.select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ).scalars()
    )
