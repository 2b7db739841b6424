"""The ``subsidy`` command group: it gathers each feature's commands (their shared helpers are in
:mod:`subsidy.commands`)."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def register_cli(app) -> None:
    from subsidy.accounts.cli import users
    from subsidy.applicants.cli import applicants
    from subsidy.audit.cli import audit, worker
    from subsidy.demo.cli import seed_demo
    from subsidy.districts.cli import districts
    from subsidy.payments.cli import payments
    from subsidy.programs.cli import programs
    from subsidy.registry.cli import registry

    for command in (
        users,
        applicants,
        audit,
        districts,
        payments,
        programs,
        registry,
        seed_demo,
        worker,
    ):
        app.cli.add_command(command)

    from flask_migrate.cli import db as db_commands

    from subsidy.db_roles import grant_app_role_command

    # Next to `subsidy db upgrade`, in Flask-Migrate's group (adding it again is harmless).
    db_commands.add_command(grant_app_role_command)


def _create_app():
    from subsidy import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """East Kazakhstan agricultural subsidies."""
