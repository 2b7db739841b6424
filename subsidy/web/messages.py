"""What a page says of a refusal, in the reader's language.

Services raise plain, stable English (``ValidationFailed.field("quantity", "must be greater than
zero")``, ``Conflict(f"the run is {status}")``): the same text is the API's ``message`` and the
CLI's output, and services stay free of the web's languages. The pages translate it here, and
only here, with a catalogue of the messages services raise: each entry is the message's English
template, which is also its id in the translation catalogues (``%(name)s`` where the service
formats a value in). A refusal is matched against the templates and translated with the values
it carried, each shown as the page shows it (amounts as money, statuses and kinds by their
names, dates in the language). A field's name becomes the form's label, or its name below.

A message the catalogue does not know is not shown in English on a Kazakh or Russian page: the
page says what kind of refusal it was (the field, "not possible now", "not found"...) and the
log records the English, so the catalogue can be completed. Text a page translated itself (a
``gettext`` of its own, not ASCII) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from subsidy.errors import DomainError
from subsidy.i18n import current_language, day, money, number
from subsidy.web.labels import (
    APPEAL_STATUS_LABELS,
    FIELD_LABELS,
    FLAG_LABELS,
    KIND_LABELS,
    PAYMENT_STATUS_LABELS,
    RECOVERY_STATUS_LABELS,
    RUN_STATUS_LABELS,
    SPECIES_LABELS,
    STATUS_LABELS,
    label,
)


def N_(message: str) -> str:
    """Marks a message for `pybabel extract` (a default keyword) without translating it."""
    return message


# The services' messages, as they raise them. Grouped by where they come from; an entry's
# placeholders are named for how their value is shown (see PARAMETERS).
MESSAGES = (
    # amounts, numbers, text (several services; subsidy/fields.py for the API's schemas)
    N_("must be greater than 0"),
    N_("must be greater than zero"),
    N_("must have at most %(places)s decimal places"),
    N_("must have at most %(count)s significant digits"),
    N_("must not exceed %(limit)s"),
    N_("must be at most %(limit)s"),
    N_("must be at most %(limit)s characters"),
    N_("must be at least %(limit)s characters"),
    # passwords (subsidy.accounts.passwords)
    N_("must not be the username"),
    N_(
        "is too easy to guess: a common password, a word or name, or a pattern such as 1234 or "
        "aaaa; use three or four unrelated words"
    ),
    N_("must be a decimal number"),
    N_("must be a whole number of head"),
    N_('must be a decimal string such as "1234.50"'),
    N_('must be a decimal number such as "12.5"'),
    N_('must be a whole number or a decimal string such as "12.5"'),
    N_("must not be empty"),
    N_("must not be in the future"),
    N_("is required"),
    N_("must be one of %(choices)s"),
    # applicants and programs
    N_("no registered applicant with this IIN/BIN"),
    N_("no program with code %(code)s"),
    N_("unknown district %(code)s"),
    N_("an account needs both an IBAN and a BIC"),
    N_("must be 12 digits, got %(count)s characters"),
    N_("must be 12 digits without spaces"),
    N_("must contain only the digits 0-9"),
    N_("control digit (12th) does not match"),
    N_("birth date (digits 1-6) is not a real date"),
    N_("birth date (digits 1-6 with the 7th) is in the future"),
    N_("7th digit (century and sex) must be 1-6"),
    N_("first 11 digits admit no valid control digit"),
    N_("5th digit must be 0-3 (IIN: birth day) or 4-6 (BIN: entity type)"),
    # applications
    N_("is required (or list the animals)"),
    N_("only programs paid per head claim animals"),
    N_("list at least one animal id"),
    N_("at most %(count)s animals"),
    N_("an animal id is listed twice"),
    N_("no animals extract has been imported yet"),
    N_("not the applicant's %(species)s in the latest animals extract: %(ids)s"),
    N_("must be the number of animals listed (%(count)s)"),
    N_("accepts applications from %(opens)s to %(closes)s"),
    N_("a %(kind)s may not apply to this program (%(kinds)s may)"),
    N_("only applicants and officials submit applications"),
    N_("you may apply only for your own applicant record"),
    N_("only the applicant may withdraw its application"),
    N_("cannot %(action)s an application that is %(status)s"),
    N_("an application that is %(status)s cannot become %(target)s"),
    N_("is %(status)s"),
    N_("no such application"),
    # decisions and /verify
    N_("only officials decide applications"),
    N_("you are linked to this applicant and may not decide its application"),
    N_("a second approval must come from a different official"),
    N_("already gave the first approval"),
    N_("%(number)s is first in the queue"),
    N_("remaining %(amount)s"),
    N_("application %(number)s is waiting ahead of this one"),
    N_("a reason is required to reject"),
    N_("the application has a high risk flag (%(flags)s): write why it is approved all the same"),
    N_(
        "the program's remaining budget (%(remaining)s) does not cover %(amount)s; the "
        "application is waitlisted at position %(position)s"
    ),
    N_("must be 64 hexadecimal digits"),
    N_("is not a PDF document"),
    N_("larger than %(count)s MB"),
    N_("too large"),
    # payments
    N_("only treasurers move money"),
    N_("released in all would exceed the program's budget: at most %(amount)s more"),
    N_("a run is released by a treasurer other than the one who prepared it"),
    N_("the run is %(run_status)s"),
    N_("only a prepared run can be cancelled; this one is %(run_status)s"),
    N_("status reports apply to released runs; this one is %(run_status)s"),
    N_(
        "the bank account of application %(number)s changed since the run was prepared: cancel "
        "the run and prepare it again"
    ),
    N_("no payment run %(id)s"),
    N_("payment run %(id)s is %(run_status)s: it has no document yet"),
    N_("the run's document cannot be written: %(field)s: %(detail)s"),
    N_("%(number)s changed"),
    N_("is already %(payment_status)s"),
    N_("available %(amount)s"),
    N_("at most %(amount)s"),
    N_("is %(got)s, not this run's %(expected)s"),
    N_("%(number)s is not a payment of this run"),
    N_("%(number)s is already %(payment_status)s; the report says %(code)s"),
    N_("is not well-formed XML: %(detail)s"),
    N_("has a DOCTYPE: DTDs are not accepted"),
    N_("is larger than %(count)s bytes"),
    N_("must be %(expected)s, got %(got)s"),
    N_("has no CstmrPmtStsRpt"),
    N_("is missing"),
    N_("more than %(count)s transactions"),
    # recoveries and appeals
    N_("only treasurers record repayments"),
    N_("the case is %(case_status)s"),
    N_("%(amount)s is more than the %(owed)s still owed"),
    N_("no recovery case %(id)s"),
    N_("no such recovery case"),
    N_("the case has no notice"),
    N_("only a rejection or an ineligible result may be appealed; the application is %(status)s"),
    N_("only the applicant may appeal its decision"),
    N_("the appeal window closed on %(closed)s (three months after %(issued)s)"),
    N_("appeal %(id)s of this decision is still open"),
    N_("%(id)s is open"),
    N_("after %(closed)s"),
    N_("no appeal %(id)s"),
    N_("no such appeal"),
    N_("the appeal is not decided yet"),
    N_("only officials decide appeals"),
    N_("you took part in the appealed decision and may not decide its appeal"),
    N_("you are linked to this applicant and may not decide its appeal"),
    N_("the appeal is %(appeal_status)s"),
    # the log (the proof page)
    N_("must be at most the log size %(size)s"),
    N_("must be at least 0 and less than tree_size"),
    N_("no log entry %(index)s"),
    N_("no checkpoint has been signed yet"),
    N_(
        "log entry %(index)s is not yet in a signed checkpoint; it will be in the next one "
        "the log publishes"
    ),
    # access (pages reach these only through a service's own check)
    N_("your role may not do this"),
    # marshmallow's own, for the API's schemas (webargs reports them by field)
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Not a valid integer."),
    N_("Not a valid string."),
    N_("Not a valid number."),
    N_("Not a valid date."),
    N_("Not a valid boolean."),
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be one of: %(choices)s."),
)

NUMERIC = r"-?\d+(?:\.\d+)?"


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _amount(text: str) -> str:
    value = _decimal(text)
    return money(value) if value is not None else text


def _number(text: str) -> str:
    value = _decimal(text)
    if value is None:
        return text
    # "2000.00" is an amount wherever it stands ("must not exceed 2000.00")
    return money(value) if re.fullmatch(r"-?\d+\.\d\d", text) else number(value)


def _names(mapping: dict) -> Callable[[str], str]:
    return lambda text: label(mapping, text)


def _each(mapping: dict) -> Callable[[str], str]:
    return lambda text: ", ".join(label(mapping, part.strip()) for part in text.split(","))


def _status(text: str) -> str:
    for mapping in (STATUS_LABELS, RUN_STATUS_LABELS, APPEAL_STATUS_LABELS):
        if text in mapping:
            return str(mapping[text])
    return text


def _day(text: str) -> str:
    try:
        return day(date.fromisoformat(text))
    except ValueError:
        return text


ACTIONS = {"approve": _l("approve"), "reject": _l("reject"), "withdraw": _l("withdraw")}

# How each placeholder's value is matched in the English and shown in the translation.
PARAMETERS: dict[str, tuple[str, Callable[[str], str]]] = {
    "amount": (NUMERIC, _amount),
    "owed": (NUMERIC, _amount),
    "remaining": (NUMERIC, _amount),
    "limit": (NUMERIC, _number),
    "min": (NUMERIC, _number),
    "max": (NUMERIC, _number),
    "count": (NUMERIC, _number),
    "size": (NUMERIC, _number),
    "places": (r"\d+", str),
    "position": (r"\d+", str),
    "index": (r"\d+", str),
    "id": (r"\d+", str),
    "status": (r"[a-z_]+", _status),
    "target": (r"[a-z_]+", _status),
    "run_status": (r"[a-z_]+", _names(RUN_STATUS_LABELS)),
    "payment_status": (r"[a-z_]+", _names(PAYMENT_STATUS_LABELS)),
    "case_status": (r"[a-z_]+", _names(RECOVERY_STATUS_LABELS)),
    "appeal_status": (r"[a-z_]+", _names(APPEAL_STATUS_LABELS)),
    "action": (r"[a-z]+", _names(ACTIONS)),
    "kind": (r"[a-z_]+", _names(KIND_LABELS)),
    "kinds": (r"[a-z_, ]+", _each(KIND_LABELS)),
    "flags": (r"[a-z_, ]+", _each(FLAG_LABELS)),
    "species": (r"[a-z_]+", _names(SPECIES_LABELS)),
    "opens": (r"\d{4}-\d\d-\d\d", _day),
    "closes": (r"\d{4}-\d\d-\d\d", _day),
    "closed": (r"\d{4}-\d\d-\d\d", _day),
    "issued": (r"\d{4}-\d\d-\d\d", _day),
}
_ANY = (r".+?", str)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    regex = "".join(
        re.escape(part) if n % 2 == 0 else f"(?P<{part}>{PARAMETERS.get(part, _ANY)[0]})"
        for n, part in enumerate(parts)
    )
    return re.compile(regex)


# Exact messages by their text; templates with values longest first, so that "must be at most
# %(limit)s characters" is tried before "must be at most %(limit)s".
_EXACT = frozenset(m for m in MESSAGES if not _PLACEHOLDER.search(m))
_TEMPLATES = tuple(
    (template, _pattern(template))
    for template in sorted(
        (m for m in MESSAGES if _PLACEHOLDER.search(m)),
        key=lambda m: len(_PLACEHOLDER.sub("", m)),
        reverse=True,
    )
)


def known(message: str) -> str | None:
    """``message`` in the reader's language if the catalogue knows it, else None."""
    if message in _EXACT:
        return gettext(message)
    for template, pattern in _TEMPLATES:
        found = pattern.fullmatch(message)
        if found:
            values = {
                name: PARAMETERS.get(name, _ANY)[1](value)
                for name, value in found.groupdict().items()
            }
            return gettext(template, **values)
    return None


def _english_page() -> bool:
    return current_language() == "en"


def _unknown(message: str) -> None:
    current_app.logger.info("a refusal the message catalogue lacks: %r", message)


GENERIC = {
    400: _l("The request could not be read."),
    401: _l("Sign in first."),
    403: _l("You may not do this."),
    404: _l("Not found."),
    409: _l("Not possible now."),
    413: _l("The file is too large."),
    422: _l("Check what you entered."),
    429: _l("Too many attempts: wait a minute and try again."),
}


def translate(message: str, *, status: int = 422) -> str:
    """A service's message (a field's or a refusal's) in the reader's language."""
    found = known(message)
    if found is not None:
        return found
    if _english_page() or not message.isascii():
        return message  # English already, or text the page translated itself
    _unknown(message)
    return str(GENERIC.get(status, GENERIC[422]))


def translate_all(messages: Iterable[str]) -> list[str]:
    """A field's messages, for the errors beside it."""
    return [translate(message) for message in messages]


def field_label(name: str, form=None) -> str | None:
    """The field as the reader knows it: the form's label, the catalogue's name, or (only on an
    English page) the service's name of it; None when a Kazakh or Russian page has no name."""
    field = getattr(form, name, None) if form is not None else None
    text = getattr(getattr(field, "label", None), "text", None)
    if text:
        return str(text)
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    return name if _english_page() else None


def refusal_line(refusal: DomainError, form=None) -> str:
    """The refusal in one line: its own message if the catalogue knows it (a conflict says all
    in it), else its first field's label and message."""
    found = known(refusal.message)
    if found is not None:
        return found[:1].upper() + found[1:]
    if refusal.errors:
        name, messages = next(iter(refusal.errors.items()))
        text = translate(messages[0], status=refusal.status) if messages else ""
        shown = field_label(name, form)
        return f"{shown}: {text}" if shown else text
    return translate(refusal.message, status=refusal.status)
