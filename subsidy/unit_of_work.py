"""Helpers for the one commit point of a request (``app._register_unit_of_work``).

Only the HTTP layer (``web/``, ``api.py`` and the feature pages) calls these: a service never
decides what its caller commits; it returns what happened and the view chooses."""

from flask import g

from subsidy.extensions import db


def keep_changes() -> None:
    """Commit this request's changes even though it answers with an error status."""
    g.keep_changes = True


def discard_changes() -> None:
    """Undo what this request flushed so far (a page showing a refusal renders the stored state)."""
    db.session.rollback()
