"""The checker behind tests/http/test_languages.py: the English a Kazakh or Russian page shows.

It reads a page as a person meets it: the text of the document (the title too), without script
and style, and the attributes a browser shows or reads aloud (``title``, ``placeholder``,
``aria-label``, ``alt``, ``data-label`` which the phone layout prints before each cell, a
button's ``value``). In that text it looks for words written in Latin letters and reports them
as runs ("must be greater than zero"), with where they were found.

Not English, by rule rather than by list:
- a word with a digit, an underscore or a dot inside (ids, codes, file names: ``APP-2026-1``,
  ``min_livestock_heads``, ``pain.002``, hashes); ``kind:number`` (a log subject);
- addresses (``/verify``, ``https://...``, ``name@host``), file extensions (``.xlsx``) and XML
  namespaces (``{urn:iso:std:...}``);
- a single letter;
- what a page marks as not to be translated: ``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``,
  ``translate="no"``, and an element in another language (``lang="en"``: the language menu's
  "English").
The allow-list below holds the rest: abbreviations a Kazakh or Russian text writes in Latin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html

# Abbreviations and names written in Latin letters in Kazakh and Russian texts too.
ALLOWED = frozenset(
    {
        "PDF",  # the decision letter's format
        "ISO",  # ISO 20022, ISO 13616
        "IBAN",
        "BIC",
        "KZ",  # the country code an IBAN and a BIC carry
        "KZT",
        "JSON",
        "JSONL",
        "CSV",
        "XML",
        "XLSX",
        "QR",
        "RFC",  # RFC 9162, the log's standard
        "PEM",  # the public key's file format
        "SHA",  # SHA-256 (split at the hyphen only when the number is dropped)
        "API",
        "OpenAPI",
        "RU",  # the language menu's short names on a phone (ISO 639-1 codes)
        "KK",
        "EN",
        "tlog-proof",  # C2SP format names
        "tlog-checkpoint",
        "tlog-tiles",
        "pdfsig",  # programs /verify names for checking a signature
        "pyHanko",
        "Excel",  # the program the register's workbook is for
    }
)

SKIPPED_TAGS = frozenset({"script", "style", "template", "code", "pre", "kbd", "samp"})
SHOWN_ATTRIBUTES = (
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "alt",
    "data-label",
)
BUTTON_TYPES = frozenset({"submit", "button", "reset"})

EDGE = "\"'.,;:!?()[]{}«»“”„‘’…—–-*·•|<>=+%"
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
LOG_SUBJECT = re.compile(r"[a-z_]+:\S*\d\S*")  # application:12, program:TEST-HEADS-2026


@dataclass(frozen=True)
class Finding:
    where: str  # "text" or "@title", "@placeholder", ...
    run: str  # the English words, as consecutive in the text
    context: str  # the text they were found in, shortened

    def __str__(self) -> str:
        return f"{self.where}: {self.run!r} in {self.context!r}"


def _words(text: str):
    """Each piece of ``text`` as ("en", word), ("join", word) for what may stand inside an
    English run without making one (a single letter, an allowed abbreviation) or None."""
    for chunk in text.split():
        piece = chunk.strip(EDGE)
        if not piece or piece.startswith(("/", "http:", "https:", "www.")) or "@" in piece:
            yield None
            continue
        if chunk.lstrip("([«\"'").startswith("."):  # a file's extension: (.xlsx), .csv
            yield None
            continue
        if "urn:" in piece:  # an XML namespace: {urn:iso:std:iso:20022:tech:xsd:pain.002...}
            yield None
            continue
        if LOG_SUBJECT.fullmatch(piece):
            yield None
            continue
        for part in re.split(r"[/:]", piece):
            part = part.strip(EDGE)
            if re.search(r"[\d_.]", part) or not LATIN_WORD.fullmatch(part):
                yield None
            elif len(part) < 2 or part in ALLOWED:
                yield "join", part
            else:
                yield "en", part


def english_runs(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The runs of consecutive English words in ``text``."""
    runs: list[list[tuple[str, str]]] = [[]]
    for word in _words(text):
        if word is None:
            runs.append([])
            continue
        kind, part = word
        runs[-1].append(("join" if part in allowed else kind, part))
    found = []
    for run in runs:
        while run and run[0][0] == "join":
            run.pop(0)
        while run and run[-1][0] == "join":
            run.pop()
        if run:
            found.append(" ".join(part for _, part in run))
    return found


def visible_texts(html: str):
    """(where, text) for every piece of the page a person sees or hears."""
    document = lxml.html.document_fromstring(html)
    page_language = (document.get("lang") or "").split("-")[0]

    def walk(element, language: str):
        tag = element.tag if isinstance(element.tag, str) else ""
        own = (element.get("lang") or language).split("-")[0]
        skipped = (
            tag in SKIPPED_TAGS
            or (element.get("translate") or "").lower() == "no"
            or (own != page_language and bool(page_language))
        )
        if not skipped and tag:
            for name in SHOWN_ATTRIBUTES:
                value = element.get(name)
                if value:
                    yield f"@{name}", value
            button = tag == "input" and (element.get("type") or "").lower() in BUTTON_TYPES
            if button and element.get("value"):
                yield "@value", element.get("value")
            if element.text and tag:
                yield "text", element.text
            for child in element:
                yield from walk(child, own)
        if element.tail:
            yield "text", element.tail  # the tail belongs to the parent's context

    yield from walk(document, page_language)


def findings(html: str, allowed: frozenset[str] = frozenset()) -> list[Finding]:
    """The English on a page, each run once."""
    found: dict[tuple[str, str], Finding] = {}
    for where, text in visible_texts(html):
        for run in english_runs(text, allowed):
            context = " ".join(text.split())
            if len(context) > 120:
                context = context[:117] + "..."
            found.setdefault((where, run), Finding(where, run, context))
    return list(found.values())


# --- the checker's own tests -------------------------------------------------------------------


def _page(body: str, lang: str = "ru") -> str:
    head = "<head><title>Т</title></head>"
    return f'<!doctype html><html lang="{lang}">{head}<body>{body}</body></html>'


def test_english_in_the_text_is_found_as_runs():
    found = findings(_page("<p>Количество: must be greater than zero</p><p>заявка</p>"))
    assert [f.run for f in found] == ["must be greater than zero"]


def test_a_field_name_before_a_message_is_english_too():
    found = findings(_page("<p class=error>quantity: должно быть больше 0</p>"))
    assert [f.run for f in found] == ["quantity"]


def test_shown_attributes_count_and_hidden_ones_do_not():
    page = _page(
        '<input placeholder="Search" name="search_text"><a title="Inclusion proof" href="/x">1</a>'
        '<span aria-label="Close">×</span><td data-label="Amount">5</td>'
        '<input type="submit" value="Send"><input type="text" value="farmer typed this">'
        '<div class="status-approved" id="decision-status" data-status="approved">Одобрена</div>'
    )
    found = {(f.where, f.run) for f in findings(page)}
    assert found == {
        ("@placeholder", "Search"),
        ("@title", "Inclusion proof"),
        ("@aria-label", "Close"),
        ("@data-label", "Amount"),
        ("@value", "Send"),
    }


def test_script_style_code_and_marked_text_are_skipped():
    page = _page(
        "<script>var approved = 'yes';</script><style>.ok { color: green }</style>"
        '<code>{"status": "approved"}</code><pre>entry data</pre>'
        '<span translate="no">system</span><a lang="en" hreflang="en">English</a>'
        "<p>Заявка <code>approved</code> одобрена</p>"
    )
    assert findings(page) == []


def test_ids_codes_numbers_and_addresses_are_not_words():
    text = (
        "APP-2026-000001 TEST-HEADS-2026 min_livestock_heads pain.002 C2SP SHA-256 "
        "application:12 program:TEST-HEADS-2026 {urn:iso:std:iso:20022:tech:xsd:pain.002}Document "
        "KZ86125KZT5004100100 /verify?sha256=ab https://x.kz a 12 345,00 ₸ "
        "ISO 20022 IBAN BIC PDF official3 Excel (.xlsx) .csv"
    )
    assert english_runs(text) == []


def test_a_status_a_word_after_a_colon_and_an_actor_are_found():
    assert english_runs("статус: approved (мақұлданды)") == ["approved"]
    assert english_runs("system") == ["system"]
    assert english_runs("ИИН/IIN: user:5") == ["IIN"]
    assert english_runs("OK 260 entries, root ab12") == ["OK", "entries root"]


def test_the_tail_after_a_skipped_element_is_read():
    found = findings(_page("<p><code>x_y</code> is not a PDF document</p>"))
    assert [f.run for f in found] == ["is not a PDF document"]


def test_data_a_test_allows_is_not_reported():
    assert english_runs("test официальный", frozenset({"test"})) == []
