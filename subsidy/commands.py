"""What every ``subsidy`` command shares: the command is the commit point of its transaction, and
a refusal is one line naming the field with exit status 2.

Feature packages import these helpers for their own ``cli.py``; :mod:`subsidy.cli` only gathers
the commands into the group, so nothing here imports a feature (no cycle through the CLI)."""

from __future__ import annotations

import functools
import sys

import click
from flask.cli import with_appcontext

from subsidy.errors import DomainError
from subsidy.extensions import db

CLI_ACTOR = "cli"


class Refused(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def service_command(func):
    """Run a command in one transaction: commit on success, roll back and exit 2 on refusal."""

    @functools.wraps(func)
    @with_appcontext
    def wrapper(*args, **kwargs):
        try:
            result = func(*args, **kwargs)
            db.session.commit()
            return result
        except DomainError as error:
            db.session.rollback()
            raise Refused(error.one_line()) from None
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


class _Silent:
    """Stands in for a progress bar when standard error is not a terminal."""

    def __init__(self, iterable=None):
        self.iterable = iterable

    def __enter__(self):
        return self.iterable if self.iterable is not None else self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, steps: int) -> None:
        pass


def progress(iterable=None, *, length: int | None = None, label: str):
    """A progress bar on standard error for people at a terminal; silent in scripts and logs."""
    if not sys.stderr.isatty():
        return _Silent(iterable)
    return click.progressbar(iterable, length=length, label=label, file=sys.stderr, show_pos=True)


def read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")
