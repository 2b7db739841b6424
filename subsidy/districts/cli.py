import click
from flask.cli import with_appcontext

from subsidy.districts.queries import all_districts


@click.group("districts", help="Districts of East Kazakhstan region.")
def districts() -> None:
    pass


@districts.command("list")
@click.option("--lang", type=click.Choice(["ru", "kk", "en"]), default="ru", show_default=True)
@with_appcontext
def list_districts(lang: str) -> None:
    """One district a line: code, a tab, its name."""
    for district in all_districts():
        click.echo(f"{district.code}\t{district.name(lang)}")
