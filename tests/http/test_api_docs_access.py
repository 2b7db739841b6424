"""docs/api.md says who may call each route, and the routes declare it (``subsidy.access``): the
two must agree, and every route of the API must have its row, so that the documentation cannot
drift from the code again (it listed admins as readers of applications, who got 403). What each
role really gets from each route is tests/http/test_access_matrix.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.routing import Map, Rule

from subsidy.access import ACCESS_ATTR, Role

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)[^`]*`")
WORDS = {
    "anyone": "public",
    "applicant": Role.APPLICANT.value,
    "applicants": Role.APPLICANT.value,
    "official": Role.OFFICIAL.value,
    "officials": Role.OFFICIAL.value,
    "treasurer": Role.TREASURER.value,
    "treasurers": Role.TREASURER.value,
    "auditor": Role.AUDITOR.value,
    "auditors": Role.AUDITOR.value,
    "admin": Role.ADMIN.value,
    "admins": Role.ADMIN.value,
}
EVERY_ROLE = "any role"


def who_of(text: str, previous: frozenset[str] | None) -> frozenset[str]:
    """The roles a "who" cell names: role words (an applicant however it is put: "its
    applicant", "applicants see their own"), "anyone", "any role", or "the same" as the row
    above."""
    text = text.strip().lower()
    if text == "the same":
        assert previous is not None, "'the same' on the first row"
        return previous
    if EVERY_ROLE in text:
        return frozenset(role.value for role in Role)
    return frozenset(WORDS[word] for word in re.findall(r"[a-z]+", text) if word in WORDS)


def documented() -> dict[tuple[str, str], frozenset[str]]:
    """(method, path with ``{name}`` placeholders) -> the roles docs/api.md's endpoint table
    gives it."""
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("## Endpoints") :]
    table = table[: table.index("\n\n", table.index("| method and path |"))]
    rows: dict[tuple[str, str], frozenset[str]] = {}
    previous = None
    for line in table.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) < 3 or not ROUTE.search(cells[0]):
            continue
        previous = who_of(cells[1], previous)
        for method, path in ROUTE.findall(cells[0]):
            assert (method, path) not in rows, f"{method} {path} has two rows"
            rows[(method, path)] = previous
    return rows


def _placeholders(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def declared(app) -> dict[tuple[str, str], frozenset[str]]:
    """(method, rule) -> the roles its access declaration names, for every route of the API and
    /healthz."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule == "/healthz"):
            continue
        access = getattr(app.view_functions[rule.endpoint], ACCESS_ATTR, None)
        if rule.endpoint == "api-docs.openapi_json":
            access = "public"  # flask-smorest's own view: its description is public
        roles = frozenset({"public"}) if access == "public" else frozenset(access or ())
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes[(method, rule.rule)] = roles
    return routes


def _matcher(app) -> dict[tuple[str, str], str]:
    """Each documented (method, path) -> the rule that serves it (``{id}`` in the docs stands
    for whatever the rule names it)."""
    rules = Map([Rule(rule.rule, endpoint=rule.rule) for rule in app.url_map.iter_rules()])
    adapter = rules.bind("subsidy.test")
    found = {}
    for method, path in documented():
        sample = re.sub(r"\{[^}]+\}", "1", path)
        try:
            rule, _ = adapter.match(sample, method=method)
        except Exception as error:  # named in the failure
            pytest.fail(f"docs/api.md lists {method} {path}, which no route serves ({error!r})")
        found[(method, path)] = rule
    return found


def test_who_reads_a_cell_as_people_write_it():
    assert who_of("officials, auditors; applicants see their own", None) == {
        "official",
        "auditor",
        "applicant",
    }
    assert who_of("a treasurer other than the one who prepared it (403)", None) == {"treasurer"}
    assert who_of("the same", frozenset({"auditor"})) == {"auditor"}
    assert who_of("anyone", None) == {"public"}
    assert len(who_of("any signed-in user (any role)", None)) == len(Role)


def test_every_documented_route_grants_the_roles_the_docs_name(app):
    routes = declared(app)
    wrong = []
    for (method, path), rule in _matcher(app).items():
        said, real = documented()[(method, path)], routes.get((method, rule))
        if real is None:
            wrong.append(f"{method} {path}: not an API route")
        elif said != real:
            wrong.append(f"{method} {path}: docs say {sorted(said)}, the route {sorted(real)}")
    assert not wrong, "\n".join(wrong)


def test_every_api_route_has_a_row_in_the_docs(app):
    served = set(_matcher(app).items())
    missing = [
        f"{method} {_placeholders(rule)}"
        for method, rule in sorted(declared(app))
        if not any(m == method and r == rule for (m, _), r in served)
    ]
    assert not missing, "docs/api.md has no row for:\n" + "\n".join(missing)


def test_admins_are_not_documented_as_readers_of_applications():
    rows = documented()
    for path in (
        "/api/v1/applications",
        "/api/v1/applications/{id}",
        "/api/v1/applications/{id}/decision.pdf",
    ):
        assert "admin" not in rows[("GET", path)], path
