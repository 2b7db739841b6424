"""The pure modules, the source modules of the import-linter contract "pure" in pyproject.toml,
import neither Flask nor SQLAlchemy when imported alone; and mypy checks exactly those modules.

lint-imports reads the import statements; this imports each module in a fresh interpreter and
looks at ``sys.modules``, so it also sees what a dependency or ``subsidy/__init__.py`` pulls in.
The interpreters run side by side, started once for the whole module.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CONTRACT = next(c for c in PYPROJECT["tool"]["importlinter"]["contracts"] if c["id"] == "pure")
FORBIDDEN = frozenset(CONTRACT["forbidden_modules"])


def _with_submodules(name: str) -> list[str]:
    spec = importlib.util.find_spec(name)
    assert spec is not None, f"{name} is listed in the contract but does not exist"
    if spec.submodule_search_locations is None:
        return [name]
    found = pkgutil.walk_packages(spec.submodule_search_locations, prefix=f"{name}.")
    return [name, *sorted(module.name for module in found)]


PURE = [module for name in CONTRACT["source_modules"] for module in _with_submodules(name)]
# Imports Flask for certain: shows that the probe sees an import it should refuse.
CONTROL = "subsidy.app"
PROBE = (
    "import importlib, sys\n"
    "importlib.import_module(sys.argv[1])\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in set(sys.argv[2:])))\n"
)


@pytest.fixture(scope="module")
def imported() -> dict[str, list[str]]:
    """Module name -> the forbidden modules in ``sys.modules`` after importing it alone."""
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-c", PROBE, name, *sorted(FORBIDDEN)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in [*PURE, CONTROL]
    }
    results = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"importing {name} failed:\n{err}"
        results[name] = ast.literal_eval(out)  # a printed list of module names
    return results


def test_the_contract_lists_modules_and_forbids_flask_and_sqlalchemy() -> None:
    assert "subsidy.eligibility.rules" in PURE and "subsidy.audit.verify" in PURE
    assert {"flask", "sqlalchemy"} <= FORBIDDEN


@pytest.mark.parametrize("name", PURE)
def test_a_pure_module_imports_neither_flask_nor_sqlalchemy(
    imported: dict[str, list[str]], name: str
) -> None:
    assert imported[name] == [], f"importing {name} alone imports {imported[name]}"


def test_the_probe_sees_flask_when_it_is_imported(imported: dict[str, list[str]]) -> None:
    assert "flask" in imported[CONTROL]


def test_mypy_checks_exactly_the_pure_modules() -> None:
    def path(name: str) -> str:
        relative = name.replace(".", "/")
        return relative if (REPO / relative).is_dir() else f"{relative}.py"

    files = PYPROJECT["tool"]["mypy"]["files"]
    assert sorted(files) == sorted(path(name) for name in CONTRACT["source_modules"])
    assert PYPROJECT["tool"]["mypy"]["strict"] is True
