from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from subsidy.access import Role
from subsidy.db import Base, UTCDateTime, string_enum, utcnow

__all__ = ["ACTOR_PREFIX", "ApiToken", "LoginThrottle", "Role", "User", "UserSession"]

ACTOR_PREFIX = "user:"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[Role] = mapped_column(
        string_enum(Role, "role"),
        nullable=False,
    )
    applicant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applicants.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # An official's own IIN: a conflict of interest is found through it (never logged).
    iin: Mapped[str | None] = mapped_column(sa.String(12), nullable=True, index=True)
    # How the letters an official decides name them: "Серикова Айгерим Болатовна", and the
    # position as it is to be printed ("Бас маман / Главный специалист"). Unset: the username.
    full_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    position: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    is_active_account: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    applicant = relationship("Applicant", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'applicant') = (applicant_id IS NOT NULL)", name="applicant_link"
        ),
    )

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def actor(self) -> str:
        """How the log names this user (ids only: the log is public)."""
        return f"{ACTOR_PREFIX}{self.id}"


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database dump grants no access."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # Written at most once a minute (subsidy.accounts.sessions.TOUCH_EVERY), not on every call.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user = relationship(User, lazy="joined")


class UserSession(Base):
    """One sign-in on the web pages. The signed session cookie carries a random id; only its
    SHA-256 is stored. A request is signed in only while its row is neither revoked nor
    expired, so logout, a password or role change and a deactivation end it at once."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    # SHA-256 of the User-Agent the session was opened with: a cookie replayed from another
    # browser ends the session (subsidy.accounts.sessions).
    user_agent_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user = relationship(User, lazy="joined")


class LoginThrottle(Base):
    """Failed sign-in attempts under one key (an account, a trusted device or an address, as a
    SHA-256 digest), counted by :mod:`subsidy.accounts.throttle`."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures"),)
