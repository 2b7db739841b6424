"""The demo programs loaded by ``subsidy seed-demo``: realistic 2026 programs of the region."""

from __future__ import annotations

from importlib.resources import files

from subsidy.programs.testcases import ProgramFile, load_program_file


def demo_program_texts() -> dict[str, str]:
    """File name -> YAML text of each demo program, in name order."""
    folder = files(__name__)
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith(".yaml")
    }


def demo_programs() -> list[ProgramFile]:
    return [load_program_file(text) for text in demo_program_texts().values()]
