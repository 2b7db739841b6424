"""`subsidy audit verify`'s check that every application and its submission's log entry exist
together: the entry in the log or still in its queue, the application in the database. The
log's verifier knows nothing of applications (it sits below them): this module registers the
check with it (subsidy.audit.verification.register_change_check)."""

from __future__ import annotations

import sqlalchemy as sa

from subsidy.applications.models import Application
from subsidy.audit.actions import Action
from subsidy.audit.models import AuditEntry, AuditQueued
from subsidy.audit.verification import register_change_check
from subsidy.extensions import db

LOGGED = (Action.APPLICATION_SUBMITTED.value, Action.APPLICATION_EVALUATED.value)


def _subject() -> sa.ColumnElement[str]:
    return sa.literal("application:") + sa.cast(Application.id, sa.String)


def first_change_without_its_entry() -> str | None:
    """The first queued submission entry whose application is not stored, else the first
    application whose submission is neither in the log nor queued; None when they agree."""
    orphan = db.session.execute(
        sa.select(AuditQueued.id, AuditQueued.action, AuditQueued.subject)
        .where(
            AuditQueued.action.in_(LOGGED),
            ~sa.select(Application.id).where(_subject() == AuditQueued.subject).exists(),
        )
        .order_by(AuditQueued.id)
        .limit(1)
    ).first()
    if orphan is not None:
        return (
            f"FAIL queued entry {orphan.id}: {orphan.action} {orphan.subject} logs a change "
            "that is not in the database"
        )
    submitted = Action.APPLICATION_SUBMITTED.value
    logged = sa.select(AuditEntry.entry_index).where(
        AuditEntry.subject == _subject(), AuditEntry.action == submitted
    )
    queued = sa.select(AuditQueued.id).where(
        AuditQueued.subject == _subject(), AuditQueued.action == submitted
    )
    missing = db.session.execute(
        sa.select(Application.id, Application.number)
        .where(~logged.exists(), ~queued.exists())
        .order_by(Application.id)
        .limit(1)
    ).first()
    if missing is not None:
        return (
            f"FAIL application {missing.id} ({missing.number}): its submission is neither in "
            "the log nor in its queue"
        )
    return None


register_change_check(first_change_without_its_entry)
