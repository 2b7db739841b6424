"""Optimistic concurrency: an official decides on the version of a record they saw.

A read model (what the API serves and the page shows of an application, an appeal, a payment
run) has an entity tag derived from its content, so it changes whenever anything in it changes
(status, approvals, amounts, flags, the evaluation, the payment...) with no version column for
every writer to keep. ``GET`` sends it as ``ETag``; a decision sent with ``If-Match`` (the API)
or the page's hidden ``version`` field is refused with 412 when the record is no longer that
version. The deciding service makes the comparison itself, after it has locked the record's row
(``SELECT ... FOR UPDATE``), so no other writer can change the record between the check and the
decision's commit. Without ``If-Match`` the API decides as it always did (integrators written
before it keep working); the pages always send the version.

Infrastructure beside ``access.py``: it knows no feature.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from werkzeug.http import parse_etags, quote_etag

from subsidy.errors import DomainError, Malformed

HEADER = "If-Match"
TAG_LENGTH = 32  # hex digits of SHA-256 kept: 128 bits


class PreconditionFailed(DomainError):
    """The record changed since the version the caller names (HTTP 412)."""

    status = 412
    code = "precondition_failed"


def _plain(value):
    # 4500000 and 4500000.00 are one amount (set in Python, read back from the database).
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a read model")


def entity_tag(view: Mapping) -> str:
    """The tag of a read model (unquoted): SHA-256 of its JSON with sorted keys, so the same
    content gives the same tag in every process, and any change in it another."""
    encoded = json.dumps(view, sort_keys=True, default=_plain, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:TAG_LENGTH]


def etag_header(tag: str) -> str:
    """The ``ETag`` header's value: the tag, quoted (a strong validator)."""
    return quote_etag(tag)


@dataclass(frozen=True)
class IfMatch:
    """The versions a decision may act on: any of ``tags`` (unquoted), or any at all (``*``)."""

    tags: frozenset[str]
    anything: bool = False

    @classmethod
    def header(cls, value: str | None) -> IfMatch | None:
        """``If-Match`` as sent (None without it). A weak tag (``W/"..."``) never matches: the
        comparison is strong (RFC 9110, 13.1.1). A header with no tag in it is a 400."""
        if value is None:
            return None
        parsed = parse_etags(value)
        strong = frozenset(parsed.as_set(include_weak=False))
        if not (parsed.star_tag or parsed.as_set(include_weak=True)):
            raise Malformed(
                f"{HEADER}: send the ETag as it was given (in double quotes), or *",
                {HEADER: ["send the ETag as it was given (in double quotes), or *"]},
            )
        return cls(strong, parsed.star_tag)

    @classmethod
    def version(cls, tag: str) -> IfMatch:
        """The version a page carried in its form."""
        return cls(frozenset({tag.strip()}))

    def matches(self, current: str) -> bool:
        return self.anything or current in self.tags

    def require(self, current: str, what: str, now: str) -> None:
        """Refuse (412) unless ``current`` is a version asked for. ``what`` names the record,
        ``now`` says what it is now ("is approved")."""
        if not self.matches(current):
            message = f"{what} changed since that version: it {now}; read it again"
            raise PreconditionFailed(f"{HEADER}: {message}", {HEADER: [message]})


def require_version(if_match: IfMatch | None, current, *, what: str, now: str) -> None:
    """``if_match.require(current(), ...)``, computing the current tag only when asked."""
    if if_match is not None:
        if_match.require(current(), what, now)


def if_match_header() -> IfMatch | None:
    """This request's ``If-Match``, parsed (None without one)."""
    from flask import request

    return IfMatch.header(request.headers.get(HEADER))


def with_etag(view: dict, tag: str) -> tuple[dict, dict[str, str]]:
    """A view's answer with its ``ETag`` (flask-smorest takes ``(data, headers)``)."""
    return view, {"ETag": etag_header(tag)}


ETAG_HEADER_DOC = {
    "ETag": {
        "description": "the version of what was read: send it back as `If-Match` with a "
        "decision to refuse it (412) if anything changed since",
        "schema": {"type": "string"},
    }
}


def honours_if_match(blp) -> Callable[[Callable], Callable]:
    """Documents an operation's optional ``If-Match`` header, its 412 and its 400 (a header
    with no entity tag in it)."""

    def decorate(view: Callable) -> Callable:
        view = blp.alt_response(400, response="BAD_REQUEST")(view)
        view = blp.alt_response(412, response="PRECONDITION_FAILED")(view)
        return blp.doc(
            parameters=[
                {
                    "in": "header",
                    "name": HEADER,
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "the ETag read with GET: the decision is refused with 412 "
                    "`precondition_failed` if the record changed since (optional: without it "
                    "the decision acts on the record as it is)",
                }
            ]
        )(view)

    return decorate
