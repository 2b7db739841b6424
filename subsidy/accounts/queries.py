"""Reads of user accounts."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from subsidy.accounts.models import ACTOR_PREFIX, User
from subsidy.extensions import db


def usernames(ids: Iterable[int | None]) -> dict[int, str]:
    """Username by user id, for the ids given (None and unknown ids left out)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.username).where(User.id.in_(wanted)))
    return dict(rows.all())


def user_id_of(actor: str) -> int | None:
    """The user id of a log actor written by :attr:`User.actor` (``user:<id>``), else None."""
    prefix, _, rest = actor.partition(":")
    if f"{prefix}:" != ACTOR_PREFIX or not (rest.isascii() and rest.isdecimal()):
        return None
    return int(rest)


def actor_names(actors: Iterable[str]) -> dict[str, str]:
    """The username of each actor that is a user (``user:<id>``); other actors are left out."""
    ids = {actor: user_id_of(actor) for actor in set(actors)}
    names = usernames(ids.values())
    return {actor: names[i] for actor, i in ids.items() if i in names}


def officials(ids: Iterable[int | None]) -> dict[int, dict[str, str]]:
    """How letters name each of these users: ``{"name": full name (else the username),
    "position": position (else "")}``, by user id."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.username, User.full_name, User.position).where(User.id.in_(wanted))
    )
    return {
        row.id: {"name": row.full_name or row.username, "position": row.position or ""}
        for row in rows
    }


def user_by_username(username: str) -> User | None:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
