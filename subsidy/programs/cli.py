from pathlib import Path

import click

from subsidy.commands import CLI_ACTOR, Refused, service_command


def _load_file(path: Path):
    from subsidy.eligibility.params import DefinitionError
    from subsidy.programs.testcases import load_program_file

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Refused(f"{path.name}: not UTF-8 text") from None
    try:
        return load_program_file(text)
    except DefinitionError as error:
        raise Refused(str(error)) from None


@click.group("programs", help="Subsidy programs.")
def programs() -> None:
    pass


@programs.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@service_command
def load(path: Path) -> None:
    """Create a program, or a new version of it, from a YAML file (its tests must pass)."""
    from subsidy.programs.services import load_program

    loaded = _load_file(path)
    version, created = load_program(
        definition=loaded.definition, tests=loaded.tests, actor=CLI_ACTOR
    )
    state = "loaded as" if created else "unchanged, still"
    click.echo(
        f"{version.program.code}: {state} version {version.version} (rules {version.rules_version})"
    )


@programs.command("test")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def test(path: Path) -> None:
    """Run the program file's own test cases; exit 1 if any fails."""
    from subsidy.programs.testcases import run_program_tests

    loaded = _load_file(path)
    outcomes = run_program_tests(loaded.definition, loaded.tests)
    failed = 0
    for outcome in outcomes:
        mark = "ok  " if outcome.passed else "FAIL"
        click.echo(f"{mark} {outcome.name}")
        for problem in outcome.problems:
            click.echo(f"     {problem}")
        failed += not outcome.passed
    click.echo(f"{len(outcomes) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)
