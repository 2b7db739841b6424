import click

from subsidy.applicants import services
from subsidy.commands import CLI_ACTOR, service_command


@click.group("applicants", help="The applicant registry.")
def applicants() -> None:
    pass


@applicants.command("create")
@click.option("--kind", required=True, help="individual, peasant_farm, legal_entity, cooperative")
@click.option("--id", "iin_bin", required=True, help="IIN or BIN")
@click.option("--name", required=True)
@click.option("--district", required=True, help="district code (see `subsidy districts list`)")
@click.option("--member", "members", multiple=True, help="IIN/BIN of a cooperative member")
@service_command
def create_applicant(kind, iin_bin, name, district, members) -> None:
    """Register an applicant."""
    applicant = services.create_applicant(
        kind=kind,
        iin_bin=iin_bin,
        name=name,
        district=district,
        members=list(members),
        actor=CLI_ACTOR,
    )
    click.echo(f"registered applicant {applicant.id} ({applicant.kind.value})")
