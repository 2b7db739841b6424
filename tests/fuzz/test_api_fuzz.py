"""Fuzz the JSON API against its own OpenAPI description: no operation answers 5xx, and every
answer (status code, content type, body) is one the description documents.

Runs in-process on the WSGI app, inside the test's rolled-back transaction, on both databases,
anonymously, as an auditor and as an official. Bounded (a few examples per operation and mode)
and derandomized, so CI stays fast and a failure reproduces."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation import GenerationMode

from tests.factories import bearer, make_applicant, make_program, make_user, registry, submit

# The official last: its calls change state that the others' calls then read.
ROLES = ("anonymous", "auditor", "official")
EXAMPLES = 25
# Not checked: that every schema-valid request is accepted. A schema cannot say "a program that
# exists", "an IIN with a valid control digit" or "a tree size no larger than the log"; those
# refusals are documented 422s, and the remaining checks still validate them.
EXCLUDED_CHECKS = [positive_data_acceptance]

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def isolated(app):
    """Each request in an app context of its own (its own session and ``g``), as in production."""

    def wsgi(environ, start_response):
        with app.app_context():
            return app(environ, start_response)

    return wsgi


def seed() -> dict:
    """A program, a farm with registry facts and a submitted application: values that exist, so
    the operations do real work, not only 404 and 422."""
    from subsidy.audit.queries import tree_head

    program = make_program(threshold="5000.00")
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    official = make_user("official")
    application = submit(farm, user=official)
    size = tree_head()["tree_size"]
    return {
        "headers": {
            "anonymous": {},
            "auditor": bearer(make_user("auditor")),
            "official": bearer(official),
        },
        # Path and query parameters, by name.
        "known": {
            "application_id": application.id,
            "iin_bin": farm.iin_bin,
            "code": program.code,
            "index": 0,
            "tree_size": size,
            "first": 1,
            "second": size,
        },
        # Whole bodies, by operation.
        "bodies": {
            "POST /api/v1/applications": {
                "program": program.code,
                "applicant": farm.iin_bin,
                "quantity": "10",
            },
            "POST /api/v1/applications/preview": {
                "program": program.code,
                "applicant": farm.iin_bin,
                "quantity": 10,
            },
        },
    }


def strategy_for(operation, mode: GenerationMode, data: dict):
    """Generated cases, and (first, so hypothesis tries them early) cases whose path, query and
    body use the seeded values where it has them, fuzzing the rest."""
    generated = operation.as_strategy(generation_mode=mode)
    known = data["known"]
    path = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    query = {p.name: known[p.name] for p in operation.query if p.name in known}
    fixed = {"path_parameters": path or None, "query": query or None}
    if operation.label in data["bodies"]:
        fixed["body"] = data["bodies"][operation.label]
        fixed["media_type"] = "application/json"
    if not (path or query or "body" in fixed):
        return generated
    return st.one_of(operation.as_strategy(generation_mode=mode, **fixed), generated)


def fuzz(operation, data: dict) -> None:
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @FUZZ_SETTINGS
        @given(case=strategy_for(operation, mode, data))
        def each(case):
            for role in ROLES:
                case.call_and_validate(
                    headers=data["headers"][role], excluded_checks=EXCLUDED_CHECKS
                )

        try:
            each()
        except Unsatisfiable:
            # Nothing to make invalid: the operation takes no parameters and no body.
            if mode is GenerationMode.POSITIVE:
                raise


def test_every_operation_answers_as_documented(app):
    data = seed()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated(app))
    failures = []
    # DELETE /api/v1/auth/token revokes the token each role presents: fuzzed last, so that
    # every other operation is called with live tokens.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.label == "DELETE /api/v1/auth/token",
    )
    for operation in operations:
        try:
            fuzz(operation, data)
        except (Exception, BaseExceptionGroup) as error:  # every operation's, not the first
            failures.append(f"{operation.label}:\n{error}")
    assert not failures, "\n\n".join(failures)
