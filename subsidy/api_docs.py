"""The blueprint every API feature uses: it documents, for each operation, the refusals the
service can answer, derived from what the view declares, so the OpenAPI description names every
error status (with the common error body) instead of a catch-all ``default``."""

from __future__ import annotations

import http
from collections.abc import Callable, Iterable

from flask_smorest import Blueprint as _SmorestBlueprint

from subsidy.access import ACCESS_ATTR

BODY_LOCATIONS = {"json", "files", "form"}


def refusals(rule: str, view: Callable, methods: Iterable[str]) -> list[int]:
    access = getattr(view, ACCESS_ATTR, None)
    arguments = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    reads_body = any(argument.get("in") in BODY_LOCATIONS for argument in arguments)
    writes = any(method.upper() != "GET" for method in methods)
    statuses = [422]  # subsidy.input_guard checks the path, query and headers of every request
    if reads_body:
        statuses += [400, 413]  # a body that is not JSON; a body over MAX_CONTENT_LENGTH
    if access and access != "public":
        statuses += [401, 403]  # subsidy.access.roles
        if writes:
            statuses.append(409)  # a transition the state forbids, or a race on stored data
    if "<" in rule:
        statuses.append(404)  # no such thing, or not yours
    return sorted(statuses)


class Blueprint(_SmorestBlueprint):
    def add_url_rule(self, rule, endpoint=None, view_func=None, *args, **options):
        if view_func is not None:
            methods = options.get("methods", ("GET",))
            for status in refusals(rule, view_func, methods):
                name = http.HTTPStatus(status).name
                view_func = self.alt_response(status, response=name)(view_func)
        return super().add_url_rule(rule, endpoint, view_func, *args, **options)

    def _prepare_arguments_doc(self, doc, doc_info, **kwargs):
        """flask-smorest makes only the first body argument the ``requestBody`` and leaves the
        others as (invalid) ``in: json`` parameters; a view that takes one body or another (an
        upload or JSON) documents them as alternative content types of one body."""
        doc = super()._prepare_arguments_doc(doc, doc_info, **kwargs)
        parameters = doc.get("parameters", [])
        for parameter in [p for p in parameters if p.get("in") in BODY_LOCATIONS]:
            parameters.remove(parameter)
            content_type = (
                parameter.get("content_type")
                or self.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING[parameter["in"]]
            )
            body = doc.setdefault("requestBody", {"content": {}})
            body["content"][content_type] = {"schema": parameter["schema"]}
        if not parameters:
            doc.pop("parameters", None)
        return doc
