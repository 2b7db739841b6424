"""Refuse, once for every route, text that no database stores: NUL characters (PostgreSQL
refuses them) and lone UTF-16 surrogates (not encodable as UTF-8)."""

from __future__ import annotations

from flask import Flask, request

from subsidy.errors import ValidationFailed

MESSAGE = "contains a character that is not allowed (NUL or a lone surrogate)"


def _bad(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _walk(value, path: str):
    if isinstance(value, str):
        if _bad(value):
            yield path or "_body"
    elif isinstance(value, dict):
        for key, inner in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _bad(key):
                yield key_path
            yield from _walk(inner, key_path)
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            yield from _walk(inner, f"{path}[{position}]")


def check_request_text() -> None:
    sources = [
        request.view_args or {},
        request.args.to_dict(flat=False),
        request.headers.get("Idempotency-Key", "")
        and {"Idempotency-Key": request.headers["Idempotency-Key"]},
    ]
    if (
        request.mimetype == "application/x-www-form-urlencoded"
        or request.mimetype == "multipart/form-data"
    ):
        sources.append(request.form.to_dict(flat=False))
    if request.is_json:
        body = request.get_json(silent=True)
        if body is not None:
            sources.append({"": body} if not isinstance(body, dict) else body)
    for source in sources:
        for field in _walk(source or {}, ""):
            raise ValidationFailed.field(field, MESSAGE)


def register_input_guard(app: Flask) -> None:
    app.before_request(check_request_text)
