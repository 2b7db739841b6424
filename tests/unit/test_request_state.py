"""Services decide and return; only the HTTP layer chooses what a request commits. Flask's ``g``
(and ``unit_of_work``, which writes to it) are used by pages, API views and the request
machinery, never below them, so a CLI command or a job runs a service exactly as a request does."""

from __future__ import annotations

import ast
from pathlib import Path

import subsidy

PACKAGE = Path(subsidy.__file__).parent
# The HTTP layer: pages, API views and the request machinery (commit point, access, its helpers).
HTTP_LAYER = ("web/", "api.py", "views.py", "access.py", "app.py", "unit_of_work.py")


def _http(path: Path) -> bool:
    relative = path.relative_to(PACKAGE).as_posix()
    return relative.startswith(HTTP_LAYER[0]) or path.name in HTTP_LAYER[1:]


def _touches_request_state(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "flask":
            found += [f"from flask import {a.name}" for a in node.names if a.name == "g"]
        if isinstance(node, ast.ImportFrom) and node.module == "subsidy.unit_of_work":
            found.append("subsidy.unit_of_work")
        is_attribute = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if is_attribute and node.attr == "g" and node.value.id == "flask":
            found.append("flask.g")
    return found


def test_only_the_http_layer_touches_flask_g_or_the_unit_of_work() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _http(path) and (uses := _touches_request_state(ast.parse(path.read_text())))
    }
    assert offenders == {}


def test_the_check_sees_a_service_that_touches_g() -> None:
    assert _touches_request_state(ast.parse("from flask import g\ng.keep_changes = True"))
    assert _touches_request_state(ast.parse("from subsidy.unit_of_work import keep_changes"))
    assert _touches_request_state(ast.parse("import flask\nflask.g.x = 1"))
