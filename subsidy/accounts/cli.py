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
