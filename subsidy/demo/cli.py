import click

from subsidy.commands import service_command


@click.command("seed-demo")
@service_command
def seed_demo() -> None:
    """Load the demo data (idempotent)."""
    from subsidy.demo.seed import seed

    report = seed()
    click.echo(report)
