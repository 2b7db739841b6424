"""Invisible format characters (Unicode category Cf) are refused in every text field the service
takes, naming the field: every string of every JSON body, query and path of the API (read from
its OpenAPI description, so a new field is tried without a line here), every text field of the
pages' forms, and every text option and argument of the `subsidy` commands.

Before issue 19 a name with U+202E (right-to-left override), a zero-width space or a byte order
mark was stored, and shown as-is in the register, the decision letters and the open data."""

from __future__ import annotations

import re
from urllib.parse import quote

import click
import pytest
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.fields.core import UnboundField

from subsidy.text_guard import problem, shown

HIDDEN = {"rlo": "\u202e", "zwsp": "\u200b", "bom": "\ufeff"}


def _text(char: str) -> str:
    return f"Ферма{char}Жер"


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("Жеңіс ауылы", False),
        ("two\nlines\tand a\u00a0no-break space", False),
        ("emoji 🐄 and 中文", False),
        ("\u202eevil", True),
        ("a\u200bb", True),
        ("\ufeffname", True),
        ("soft\u00adhyphen", True),
        ("isolate\u2066x\u2069", True),
        ("tag\U000e0041", True),
        ("nul\x00", True),
        ("\ud800", True),
    ],
)
def test_the_shared_check_knows_what_is_hidden(text, refused):
    assert (problem(text) is not None) is refused
    assert shown(text).isprintable() or not refused or "\n" in text


# --- the API: every string its description names ----------------------------------------------


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _takes_text(schema: dict) -> bool:
    return schema.get("type") == "string" or any(
        option.get("type") == "string" for option in schema.get("oneOf", [])
    )


def _api_fields(spec: dict):
    """(method, path, where, field, is-a-list) for every text the API takes."""
    for path, operations in spec["paths"].items():
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for parameter in shared + operation.get("parameters", []):
                if _takes_text(parameter.get("schema", {})):
                    yield method.upper(), path, parameter["in"], parameter["name"], False
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _resolve(spec, content["application/json"]["schema"])
                for name, field in body.get("properties", {}).items():
                    if _takes_text(field):
                        yield method.upper(), path, "json", name, False
                    elif field.get("type") == "array" and _takes_text(field.get("items", {})):
                        yield method.upper(), path, "json", name, True


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "061211600012" if "iin" in m.group() else "1", path)


def test_the_api_description_names_the_text_fields_tried_here(client):
    fields = {(path, field) for _, path, _, field, _ in _api_fields(client.get(OPENAPI).json)}
    for expected in [
        ("/api/v1/applicants", "name"),
        ("/api/v1/applications/{application_id}/reject", "reason"),
        ("/api/v1/applications/{application_id}/approve", "justification"),
        ("/api/v1/programs/{code}/tranches", "reference"),
        ("/api/v1/appeals/{appeal_id}/decide", "reason"),
        ("/api/v1/applications", "animals"),
        ("/api/v1/applications", "status"),
        ("/api/v1/programs/{code}", "code"),
    ]:
        assert expected in fields


OPENAPI = "/api/v1/openapi.json"


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_every_text_field_of_the_api_refuses_hidden_characters(client, app, char):
    tried = 0
    for method, path, where, field, is_list in _api_fields(client.get(OPENAPI).json):
        text = _text(char)
        url, body = _filled(path), None
        if where == "path":
            url = _filled(path.replace("{" + field + "}", quote(text)))
        elif where == "query":
            url = f"{url}?{field}={quote(text)}"
        else:
            body = {field: [text] if is_list else text}
        response = client.open(url, method=method, json=body)
        tried += 1
        if field == "password":  # never shown: it may hold one
            assert "password" not in response.json["errors"], response.json
            continue
        assert response.status_code == 422, (method, path, field, response.data[:200])
        named = list(response.json["errors"])
        assert named and named[0].startswith(field), (method, path, field, named)
        assert "invisible formatting character" in response.json["message"]
    assert tried > 40


def test_a_hidden_character_in_a_json_key_is_named_escaped(client, app):
    response = client.post("/api/v1/applicants", json={"na\u202eme": "x"})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["na\\u202eme"]


# --- the pages: every text field of every form --------------------------------------------------


def _form_classes(base=FlaskForm):
    for form in base.__subclasses__():
        if form.__module__.startswith("subsidy."):
            yield form
        yield from _form_classes(form)


def _page_text_fields() -> set[tuple[str, str]]:
    fields = set()
    for form in _form_classes():
        for klass in form.__mro__:
            for name, value in vars(klass).items():
                if (
                    isinstance(value, UnboundField)
                    and issubclass(value.field_class, StringField)
                    and not issubclass(value.field_class, PasswordField)
                ):
                    fields.add((form.__name__, name))
    return fields


def _csrf(client) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def test_the_pages_have_forms_with_text_fields(client, app):
    names = {name for _, name in _page_text_fields()}
    assert {"username", "reason", "reference"} <= names, names


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_every_text_field_of_the_pages_refuses_hidden_characters(client, app, char):
    token = _csrf(client)
    for form, field in sorted(_page_text_fields()):
        response = client.post("/login", data={"csrf_token": token, field: _text(char)})
        assert response.status_code == 422, (form, field, response.status_code)


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_every_page_that_takes_a_form_refuses_hidden_characters(client, app, char):
    token = _csrf(client)
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith(("/api/", "/log/"))
    ]
    assert len(routes) > 10
    for rule in routes:
        url = re.sub(r"<[^>]+>", "1", rule.rule)
        response = client.post(url, data={"csrf_token": token, "reason": _text(char)})
        assert response.status_code == 422, (rule.rule, response.status_code)


def test_a_password_may_hold_a_format_character(client, app):
    response = client.post(
        "/api/v1/auth/token", json={"username": "nobody", "password": "pass\u200dword"}
    )
    assert response.status_code == 401


# --- the command line: every text option and argument -------------------------------------------


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def _text_params(command: click.Command) -> list[click.Parameter]:
    return [param for param in command.params if param.type is click.STRING]


# Commands that take text but are no service command: the role is a PostgreSQL identifier,
# quoted when the grants are written.
NOT_SERVICE_COMMANDS = {("db", "grant-app-role")}


def _ours(app):
    return [
        (path, command)
        for path, command in _commands(app.cli)
        if command.callback.__module__.startswith("subsidy.") and _text_params(command)
    ]


def test_every_command_that_takes_text_checks_it(app):
    unchecked = {
        path
        for path, command in _ours(app)
        if not getattr(command.callback, "refuses_hidden_characters", False)
    }
    assert unchecked == NOT_SERVICE_COMMANDS
    assert len(_ours(app)) >= 8


def _placeholder(param: click.Parameter, tmp_path) -> str:
    if isinstance(param.type, click.Choice):
        return str(param.type.choices[0])
    if isinstance(param.type, click.Path | click.File):
        path = tmp_path / "placeholder.txt"
        path.write_text("x\n", encoding="utf-8")
        return str(path)
    if isinstance(param.type, click.DateTime):
        return "2026-06-15"
    if param.type is click.STRING:
        return "x"
    return "1"


def _arguments(command: click.Command, target: click.Parameter, text: str, tmp_path) -> list:
    args: list[str] = []
    for param in command.params:
        value = text if param is target else _placeholder(param, tmp_path)
        if isinstance(param, click.Argument):
            args.append(value)
        elif param is target or (param.required and not param.is_flag):
            args += [param.opts[0], value]
    return args


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
def test_every_text_option_and_argument_of_the_commands_refuses_hidden_characters(
    runner, app, tmp_path, char
):
    tried = 0
    for path, command in _ours(app):
        if path in NOT_SERVICE_COMMANDS:
            continue
        for param in _text_params(command):
            args = [*path, *_arguments(command, param, _text(char), tmp_path)]
            result = runner.invoke(args=args)
            name = max(param.opts, key=len) if isinstance(param, click.Option) else None
            name = name or param.human_readable_name
            assert result.exit_code == 2, (args, result.output)
            assert len(result.output.strip().splitlines()) == 1, result.output
            assert f"{name}: contains an invisible formatting character" in result.output
            tried += 1
    assert tried >= 20
