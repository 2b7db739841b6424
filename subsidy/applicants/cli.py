import click

from subsidy.applicants import services
from subsidy.applicants.queries import applicant_by_iin_bin
from subsidy.commands import CLI_ACTOR, service_command

HEAD_HELP = "IIN of the head of a legal entity, peasant farm or cooperative"


@click.group("applicants", help="The applicant registry.")
def applicants() -> None:
    pass


@applicants.command("create")
@click.option("--kind", required=True, help="individual, peasant_farm, legal_entity, cooperative")
@click.option("--id", "iin_bin", required=True, help="IIN or BIN")
@click.option("--name", required=True)
@click.option("--district", required=True, help="district code (see `subsidy districts list`)")
@click.option("--member", "members", multiple=True, help="IIN/BIN of a cooperative member")
@click.option("--head", "head_iin", help=HEAD_HELP)
@click.option("--iban", help="Kazakh IBAN of the account subsidies are paid to (with --bic)")
@click.option("--bic", help="BIC of the account's bank, 8 or 11 characters (with --iban)")
@service_command
def create_applicant(kind, iin_bin, name, district, members, head_iin, iban, bic) -> None:
    """Register an applicant."""
    applicant = services.create_applicant(
        kind=kind,
        iin_bin=iin_bin,
        name=name,
        district=district,
        members=list(members),
        head_iin=head_iin,
        iban=iban,
        bic=bic,
        actor=CLI_ACTOR,
    )
    click.echo(f"registered applicant {applicant.id} ({applicant.kind.value})")


@applicants.command("set-bank-account")
@click.argument("iin_bin")
@click.option("--iban", required=True, help="Kazakh IBAN (KZ, 20 characters)")
@click.option("--bic", required=True, help="BIC of the bank, 8 or 11 characters")
@service_command
def set_bank_account(iin_bin, iban, bic) -> None:
    """Set or change the account an applicant's subsidies are paid to (logged as its SHA-256)."""
    applicant = applicant_by_iin_bin(iin_bin, field="iin_bin")
    changed = services.set_bank_account(applicant=applicant, iban=iban, bic=bic, actor=CLI_ACTOR)
    state = "changed" if changed else "unchanged"
    click.echo(f"bank account of applicant {applicant.id} {state}")


@applicants.command("set-head")
@click.argument("iin_bin")
@click.option("--head", "head_iin", help=HEAD_HELP)
@click.option("--clear", is_flag=True, help="remove the head's IIN")
@service_command
def set_head(iin_bin, head_iin, clear) -> None:
    """Set, change or remove the IIN of an applicant's head (the log says only that it changed)."""
    if clear == (head_iin is not None):
        raise click.UsageError("give either --head IIN or --clear")
    applicant = applicant_by_iin_bin(iin_bin, field="iin_bin")
    changed = services.set_head(applicant=applicant, head_iin=head_iin, actor=CLI_ACTOR)
    state = "changed" if changed else "unchanged"
    click.echo(f"head of applicant {applicant.id} {state}")
