"""RFC 8785 (JCS) canonical bytes of a log entry: what the leaf hash covers.

:func:`canonical_bytes` is the reference (the ``rfc8785`` package, pure Python, ~14 µs for a
250-byte entry). :func:`canonical_bytes_fast` returns the same bytes about 3x faster by using the
C JSON encoder whenever that is provably identical to JCS, which :func:`jcs_equals_json_dumps`
decides by a scan of the value. The two encoders agree on everything except:

* floats: JCS prints ECMAScript numbers (``1.0`` -> ``1``, ``1e21`` -> ``1e+21``), Python
  prints ``repr`` (``1.0``);
* integers beyond +-(2**53 - 1): JCS refuses them, ``json.dumps`` prints them;
* key order: JCS sorts keys by UTF-16 code units, ``sort_keys`` by code points; the two orders
  differ only between a key with a character above U+FFFF and one in U+E000..U+FFFF;
* non-string keys and types other than dict/list/tuple/str/int/bool/None.

String escaping is the same in both (``"``, ``\\``, ``\\b \\f \\n \\r \\t``, other controls as
lowercase ``\\u00xx``, everything else raw UTF-8). A lone surrogate makes both fail.

The alternative design, "encode with json.dumps and let the caller compare the leaf hash with
the recorded one, falling back to rfc8785 on mismatch", only works where a recorded hash exists;
the scan costs ~1 µs, so we pay it and keep one function that is always exact.
"""

from __future__ import annotations

import json
from itertools import repeat
from typing import Any

import rfc8785

_INT_LIMIT = 2**53 - 1
_BMP_MAX = "\uffff"

_INDEX_KEY = b',"index":'
_INDEX_KEY_VALUE = b',"index":%d,'

_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_bytes(entry: Any) -> bytes:
    """RFC 8785 bytes of ``entry``; raises ``rfc8785.CanonicalizationError`` (a ValueError)."""
    return rfc8785.dumps(entry)


def canonical_bytes_fast(entry: Any) -> bytes:
    """Exactly :func:`canonical_bytes`, through the C encoder when that gives the same bytes."""
    if jcs_equals_json_dumps(entry):
        try:
            return _encode(entry).encode()
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 raise its own error
    return rfc8785.dumps(entry)


def jcs_equals_json_dumps(value: Any) -> bool:
    """Whether compact, sorted ``json.dumps`` of ``value`` is its RFC 8785 form (see above)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        number: int = value
        return -_INT_LIMIT <= number <= _INT_LIMIT
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and max(key) > _BMP_MAX):
                return False
            if not jcs_equals_json_dumps(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(jcs_equals_json_dumps(item) for item in value)
    return False


def stated_indices_match(entries: list[bytes], first: int) -> bool:
    """Whether canonical entries state the indices ``first``, ``first + 1``, ... (fast, bulk).

    Under JCS the keys after "index" are "subject" and "timestamp", strings that cannot hold
    ``,"index":`` unescaped, so its last occurrence is the top-level one. Only True is final:
    on False, ask :func:`stated_index` (an unusual entry shape can defeat this scan).
    """
    found = map(bytes.rfind, entries, repeat(_INDEX_KEY))
    wanted = map(_INDEX_KEY_VALUE.__mod__, range(first, first + len(entries)))
    return all(map(bytes.startswith, entries, wanted, found))


def stated_index(canonical: bytes) -> int | str:
    """The top-level "index" of stored entry bytes, or a description of why there is none."""
    try:
        entry = json.loads(canonical)
    except ValueError:
        return "unreadable (not valid JSON)"
    if not isinstance(entry, dict) or "index" not in entry:
        return "missing"
    own = entry["index"]
    return own if type(own) is int else repr(own)
