"""Entity tags and If-Match (subsidy.preconditions), without Flask or a database: a read model's
tag depends on its content only (not on key order or how an amount is spelled), any change in
the content changes it, and a tag sent back as the ETag was given always matches itself and
nothing else."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidy.errors import Malformed
from subsidy.preconditions import IfMatch, PreconditionFailed, _plain, entity_tag, etag_header

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.text(max_size=20),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**12),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)
views = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    ),
    max_size=6,
)


@given(views)
def test_the_tag_does_not_depend_on_key_order(view):
    assert entity_tag(dict(reversed(list(view.items())))) == entity_tag(view)


@given(views, st.text(min_size=1, max_size=8), scalars)
def test_a_changed_value_changes_the_tag(view, key, value):
    changed = {**view, key: value}
    assert (entity_tag(changed) == entity_tag(view)) == (_content(changed) == _content(view))


def _content(view) -> str:
    """What the tag stands for: the JSON the view is (4500000 and 4500000.00 are one amount)."""
    return json.dumps(view, sort_keys=True, default=_plain, ensure_ascii=False)


def test_an_amount_is_one_content_however_many_places_it_carries():
    assert entity_tag({"amount": Decimal("4500000")}) == entity_tag({"amount": Decimal("4.5E+6")})
    assert entity_tag({"amount": Decimal("4500000.00")}) == entity_tag(
        {"amount": Decimal("4500000")}
    )
    assert entity_tag({"on": date(2026, 6, 15)}) != entity_tag({"on": "2026-06-15 "})
    assert entity_tag({"at": datetime(2026, 6, 15, tzinfo=UTC)}) != entity_tag(
        {"at": datetime(2026, 6, 15, 0, 0, 1, tzinfo=UTC)}
    )


@given(views, views)
def test_a_tag_sent_back_matches_its_own_version_only(one, other):
    tag, other_tag = entity_tag(one), entity_tag(other)
    asked = IfMatch.header(etag_header(tag))
    assert asked is not None and asked.matches(tag)
    assert asked.matches(other_tag) == (other_tag == tag)
    assert not IfMatch.header(f"W/{etag_header(tag)}").matches(tag)  # strong comparison
    assert IfMatch.header("*").matches(other_tag)
    assert IfMatch.header(f'"x", {etag_header(tag)}').matches(tag)


def test_no_header_asks_nothing_and_an_empty_one_is_malformed():
    assert IfMatch.header(None) is None
    for value in ("", " ", ",", '"unclosed'):
        with pytest.raises(Malformed) as refused:
            IfMatch.header(value)
        assert "If-Match" in refused.value.errors


def test_a_stale_version_is_refused_naming_the_header_and_what_the_record_is_now():
    with pytest.raises(PreconditionFailed) as refused:
        IfMatch.version("a" * 32).require("b" * 32, "the application", "is approved")
    assert refused.value.status == 412 and refused.value.code == "precondition_failed"
    assert refused.value.errors == {
        "If-Match": ["the application changed since that version: it is approved; read it again"]
    }
