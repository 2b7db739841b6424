import click

from subsidy.accounts import services
from subsidy.commands import CLI_ACTOR, read_password, service_command


@click.group("users", help="User accounts.")
def users() -> None:
    pass


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, help="applicant, official, auditor or admin")
@click.option("--applicant", "applicant", default=None, help="IIN/BIN of the linked applicant")
@click.option("--iin", default=None, help="an official's own IIN (conflicts of interest)")
@click.option(
    "--full-name", default=None, help='as letters print it, e.g. "Серикова Айгерим Болатовна"'
)
@click.option(
    "--position",
    default=None,
    help='as letters print it, e.g. "Бас маман / Главный специалист"',
)
@service_command
def create_user(
    username: str,
    role: str,
    applicant: str | None,
    iin: str | None,
    full_name: str | None,
    position: str | None,
) -> None:
    """Create a user; the password is read from standard input. An official's decision letters
    name them by --full-name and --position (by the username when unset)."""
    password = read_password()
    user = services.create_user(
        username=username,
        password=password,
        role=role,
        applicant=applicant,
        iin=iin,
        full_name=full_name,
        position=position,
        actor=CLI_ACTOR,
    )
    click.echo(f"created user {user.username} (id {user.id}, role {user.role.value})")


@users.command("set-role")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--applicant", "applicant", default=None)
@service_command
def set_role(username: str, role: str, applicant: str | None) -> None:
    """Change a user's role."""
    user = services.user_by_username(username)
    services.change_role(user=user, role=role, applicant=applicant, actor=CLI_ACTOR)
    click.echo(f"user {user.username} is now {user.role.value}")


@users.command("set-password")
@click.argument("username")
@service_command
def set_password(username: str) -> None:
    """Give a user a new password, read from standard input; every web session and API token
    of the user ends."""
    user = services.user_by_username(username)
    password = read_password()
    ended = services.set_password(user=user, password=password, actor=CLI_ACTOR)
    click.echo(f"password of {user.username} changed; {ended}")


def _account_command(name: str, service, said: str, help_text: str) -> None:
    """A command ``NAME USERNAME`` that calls ``service(user=..., actor=cli)`` and says
    ``said`` (with the username and what the service returned)."""

    @users.command(name, help=help_text)
    @click.argument("username")
    @service_command
    def command(username: str) -> None:
        user = services.user_by_username(username)
        outcome = service(user=user, actor=CLI_ACTOR)
        click.echo(said.format(username=user.username, outcome=outcome))


_account_command(
    "revoke-tokens",
    services.revoke_access,
    "{username}: {outcome}",
    "End every API token and web session of a user (the password still works).",
)
_account_command(
    "deactivate",
    services.deactivate,
    "{username} deactivated; {outcome}",
    "Stop a user from signing in; every web session and API token of the user ends.",
)
_account_command(
    "activate",
    services.activate,
    "{username} may sign in again",
    "Let a deactivated user sign in again with their password.",
)
