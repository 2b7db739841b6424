"""Helpers for the one commit point of a request."""

from flask import g


def keep_changes() -> None:
    """Commit this request's changes even though it answers with an error status."""
    g.keep_changes = True
