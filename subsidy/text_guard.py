"""Which characters no text field of the service takes (pure: no Flask, no database).

Refused everywhere a person or a program sends text (the HTTP request guard, every ``subsidy``
command, program files):

- NUL: PostgreSQL cannot store it;
- a lone UTF-16 surrogate: not encodable as UTF-8, so no database, page or CSV can carry it;
- a Unicode format character (category Cf: U+202E right-to-left override, U+200B zero-width
  space, U+FEFF byte order mark, soft hyphen, the bidirectional isolates, tags, ...): invisible,
  they make a name look like another one in the register, the decision letters and the open
  data, or reverse what follows them on screen.

Tabs, line breaks and every other character (any script, spaces of any width, emoji) are left
to the field's own rules.
"""

from __future__ import annotations

import unicodedata

# Characters str.isprintable() calls unprintable that a text may still hold: tab, line breaks
# and the space separators (category Zs), so that most texts need no character-by-character look.
_HARMLESS = str.maketrans(
    "",
    "",
    "\t\n\r\u0085\u2028\u2029\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u202f\u205f\u3000",
)


def refused_character(text: str, *, secret: bool = False) -> str | None:
    """What makes ``text`` unacceptable (``"an invisible formatting character (U+202E)"``),
    or None when it has none of the characters above. A ``secret`` (a password) is never shown,
    so it may hold format characters; NUL and surrogates still cannot be hashed as UTF-8."""
    if text.isprintable() or text.translate(_HARMLESS).isprintable():
        return None  # C speed: the usual case, and a long reason with line breaks
    for char in text:
        if char == "\x00":
            return "a NUL character"
        category = unicodedata.category(char)
        if category == "Cs":
            return f"a lone surrogate (U+{ord(char):04X})"
        if category == "Cf" and not secret:
            return f"an invisible formatting character (U+{ord(char):04X})"
    return None


def problem(text: str, *, secret: bool = False) -> str | None:
    """The refusal of ``text`` as a field's message, or None."""
    found = refused_character(text, secret=secret)
    return None if found is None else f"contains {found}, which is not allowed"


def _escaped(char: str) -> str:
    if char == "\x00" or unicodedata.category(char) in ("Cs", "Cf"):
        code = ord(char)
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def shown(text: str) -> str:
    """``text`` safe to repeat in a refusal: each refused character as a ``\\uXXXX`` escape."""
    if refused_character(text) is None:
        return text
    return "".join(_escaped(char) for char in text)
