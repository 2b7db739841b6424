"""What every ``subsidy`` command shares: the command is the commit point of its transaction, and
a refusal is one line naming the field with exit status 2.

Feature packages import these helpers for their own ``cli.py``; :mod:`subsidy.cli` only gathers
the commands into the group, so nothing here imports a feature (no cycle through the CLI)."""

from __future__ import annotations

import functools
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from subsidy import text_guard
from subsidy.errors import DomainError
from subsidy.extensions import db

CLI_ACTOR = "cli"


class Refused(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _refuse_hidden_characters(values: dict) -> None:
    """Every text a command is given passes :mod:`subsidy.text_guard`, as every HTTP field does
    (:mod:`subsidy.input_guard`); the refusal names the option or argument."""
    context = click.get_current_context(silent=True)
    params = {param.name: param for param in context.command.params} if context else {}
    for name, value in values.items():
        param = params.get(name)
        if param is not None and param.type is not click.STRING:
            continue  # a file's path, a choice, a number, a date: their types check them
        for text in value if isinstance(value, tuple | list) else (value,):
            message = text_guard.problem(text) if isinstance(text, str) else None
            if message is not None:
                if isinstance(param, click.Option):
                    shown = max(param.opts, key=len)
                else:
                    shown = param.human_readable_name if param else name
                raise Refused(f"{shown}: {message}")


# current_app.extensions key: what runs after a request's or a command's transaction ended (the
# log's sequencer, connected by the app factory; nothing here imports a feature).
AFTER_TRANSACTION = "subsidy.after_transaction"


def after_transaction() -> None:
    for hook in current_app.extensions.get(AFTER_TRANSACTION, ()):
        hook(db.session)


def service_command(func):
    """Run a command in one transaction: commit on success, roll back and exit 2 on refusal."""

    @functools.wraps(func)
    @with_appcontext
    def wrapper(*args, **kwargs):
        _refuse_hidden_characters(kwargs)
        try:
            result = func(*args, **kwargs)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise Refused(error.one_line()) from None
        except BaseException:
            db.session.rollback()
            raise
        finally:
            after_transaction()
        return result

    wrapper.refuses_hidden_characters = True  # type: ignore[attr-defined]  (a test lists them)
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
