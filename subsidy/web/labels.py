"""Translatable names for the values the pages show (statuses, units, roles, kinds, log
actions). The stored values stay English identifiers; these are what a reader sees."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from subsidy.audit.actions import Action
from subsidy.i18n import number

STATUS_LABELS = {
    "ineligible": _l("ineligible"),
    "submitted": _l("submitted"),
    "awaiting_second_approval": _l("awaiting a second approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "waitlisted": _l("waitlisted"),
    "withdrawn": _l("withdrawn"),
    "paid": _l("paid"),
}

UNIT_LABELS = {
    "liter": _l("l"),
    "head": _l("head"),
    "hectare": _l("ha"),
    "tenge": _l("tenge"),
}

ROLE_LABELS = {
    "applicant": _l("applicant"),
    "official": _l("official"),
    "treasurer": _l("treasurer"),
    "auditor": _l("auditor"),
    "admin": _l("administrator"),
}

KIND_LABELS = {
    "individual": _l("individual"),
    "peasant_farm": _l("peasant farm"),
    "legal_entity": _l("legal entity"),
    "cooperative": _l("cooperative"),
}

# Keyed by the log's actions; a lookup by the stored string finds the same entry.
ACTION_LABELS = {
    Action.USER_CREATED: _l("User created"),
    Action.ROLE_CHANGED: _l("Role changed"),
    Action.TOKEN_ISSUED: _l("Token issued"),
    Action.LOGIN_SUCCEEDED: _l("Login succeeded"),
    Action.LOGIN_FAILED: _l("Login failed"),
    Action.LOGGED_OUT: _l("Logged out"),
    Action.TOKEN_REVOKED: _l("Token revoked"),
    Action.ACCESS_REVOKED: _l("Sessions and tokens ended"),
    Action.PASSWORD_CHANGED: _l("Password changed"),
    Action.USER_DEACTIVATED: _l("User deactivated"),
    Action.USER_ACTIVATED: _l("User activated"),
    Action.APPLICANT_CREATED: _l("Applicant registered"),
    Action.BANK_ACCOUNT_CHANGED: _l("Bank account changed"),
    Action.APPLICANT_HEAD_CHANGED: _l("Head of the applicant changed"),
    Action.PROGRAM_LOADED: _l("Program loaded"),
    Action.FLAGS_COMPUTED: _l("Risk flags checked again"),
    Action.REGISTRY_IMPORTED: _l("Registry imported"),
    Action.APPLICATION_SUBMITTED: _l("Application submitted"),
    Action.APPLICATION_EVALUATED: _l("Application evaluated"),
    Action.APPLICATION_FIRST_APPROVAL: _l("First approval"),
    Action.APPLICATION_APPROVED: _l("Application approved"),
    Action.APPLICATION_REJECTED: _l("Application rejected"),
    Action.APPLICATION_WAITLISTED: _l("Application waitlisted"),
    Action.APPLICATION_WITHDRAWN: _l("Application withdrawn"),
    Action.DOCUMENT_ISSUED: _l("Decision document issued"),
    Action.TRANCHE_RELEASED: _l("Tranche released"),
    Action.PAYMENT_RUN_PREPARED: _l("Payment run prepared"),
    Action.PAYMENT_SCHEDULED: _l("Payment scheduled"),
    Action.PAYMENT_SKIPPED: _l("Payment skipped"),
    Action.PAYMENT_RUN_RELEASED: _l("Payment run released"),
    Action.PAYMENT_RUN_CANCELLED: _l("Payment run cancelled"),
    Action.PAYMENT_STATUS_REPORT: _l("Bank status report applied"),
    Action.PAYMENT_PAID: _l("Payment made"),
    Action.PAYMENT_RETURNED: _l("Payment returned by the bank"),
    Action.RECOVERY_OPENED: _l("Recovery case opened"),
    Action.REPAYMENT_RECORDED: _l("Repayment recorded"),
    Action.RECOVERY_REPAID: _l("Recovery repaid in full"),
    Action.RECOVERY_CANCELLED: _l("Recovery cancelled"),
    Action.APPEAL_FILED: _l("Appeal filed"),
    Action.APPEAL_GRANTED: _l("Appeal granted"),
    Action.APPEAL_DISMISSED: _l("Appeal dismissed"),
    Action.APPLICATION_REOPENED: _l("Application returned to review after an appeal"),
}

# The money side (subsidy.payments): a run, a payment, why a run passed an application over.
RUN_STATUS_LABELS = {
    "prepared": _l("prepared"),
    "released": _l("released"),
    "cancelled": _l("cancelled"),
}
PAYMENT_STATUS_LABELS = {
    "scheduled": _l("scheduled"),
    "paid": _l("paid"),
    "returned": _l("returned"),
    "cancelled": _l("cancelled"),
}
SKIP_LABELS = {
    "no_bank_account": _l("no valid bank account"),
    "account_returned": _l("the bank returned a payment to this account"),
}
# ISO 20022 ExternalStatusReason1Code: the codes a bank most often returns a transfer with.
RETURN_REASON_LABELS = {
    "AC01": _l("incorrect account number"),
    "AC04": _l("closed account"),
    "AC06": _l("blocked account"),
    "AM05": _l("duplicate payment"),
    "MS03": _l("reason not specified"),
    "NARR": _l("reason given in text"),
}

# Obligations and appeals: an appeal, what it is against, a recovery case (``overdue``: open past
# its due date).
APPEAL_STATUS_LABELS = {
    "open": _l("open"),
    "granted": _l("granted"),
    "dismissed": _l("dismissed"),
}
APPEALED_LABELS = {
    "rejection": _l("rejection"),
    "ineligible": _l("ineligible result"),
    "recovery": _l("recovery notice"),
}
RECOVERY_STATUS_LABELS = {
    "open": _l("to be repaid"),
    "overdue": _l("overdue"),
    "repaid": _l("repaid"),
    "cancelled": _l("cancelled on appeal"),
}

OUTCOME_LABELS = {
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}

# What a document /verify finds decided: a decision's outcome, an appeal's, a recovery notice.
DOCUMENT_OUTCOME_LABELS = {
    **OUTCOME_LABELS,
    "granted": _l("Appeal granted"),
    "dismissed": _l("Appeal dismissed"),
    "recovery": _l("Recovery of the subsidy"),
}

# The kinds of document /verify finds (decisions.models.DecisionDocument.kind).
DOCUMENT_KIND_LABELS = {
    "decision": _l("Decision on an application"),
    "appeal": _l("Decision on an appeal"),
    "recovery": _l("Recovery notice"),
}

# "1 000 ₸ per head"; a tenge program's rate is a share of the cost.
PER_UNIT = {
    "head": _l("per head"),
    "liter": _l("per liter"),
    "hectare": _l("per hectare"),
}

SNAPSHOT_LABELS = {
    "livestock": _l("livestock"),
    "land": _l("land"),
    "tax": _l("tax"),
    "animals": _l("identified animals"),
}

SPECIES_LABELS = {
    "cattle": _l("cattle"),
    "sheep": _l("sheep"),
    "goats": _l("goats"),
    "horses": _l("horses"),
    "camels": _l("camels"),
    "pigs": _l("pigs"),
    "poultry": _l("poultry"),
}


def label(mapping: dict, value) -> str:
    """The translated name, or the raw value when there is none; a dash for nothing."""
    key = getattr(value, "value", value)
    return str(mapping.get(key, key)) if key is not None else "—"


FLAG_LABELS = {
    "shared_bank_account": _l("Shared bank account"),
    "shared_head": _l("Same head as other applicants"),
    "threshold_splitting": _l("Request split under the threshold"),
    "member_also_applies": _l("Member claims what its cooperative claims"),
    "herd_spike": _l("Sudden growth of the herd"),
    "bank_account_changed": _l("Bank account changed recently"),
    "concentration": _l("Large share of the budget"),
}
SEVERITY_LABELS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}


# The fields services name in their refusals (subsidy.web.messages puts a form's own label
# first): what a reader calls each.
FIELD_LABELS = {
    "applicant": _l("Applicant"),
    "program": _l("Program"),
    "quantity": _l("Quantity"),
    "animals": _l("Animal ids"),
    "amount": _l("Amount"),
    "comment": _l("Comment"),
    "justification": _l("Justification"),
    "reason": _l("Reason"),
    "outcome": _l("Outcome"),
    "status": _l("Status"),
    "file": _l("File"),
    "sha256": _l("SHA-256 of the document"),
    "index": _l("Entry index"),
    "tree_size": _l("Tree size"),
    "released_on": _l("Released on"),
    "paid_on": _l("Paid on"),
    "reference": _l("Reference"),
    "iban": _l("IBAN"),
    "bic": _l("BIC of the bank"),
    "bank_account": _l("Bank account"),
    "budget": _l("Budget"),
    "iin_bin": _l("IIN/BIN"),
    "name": _l("Name"),
    "district": _l("District"),
    "kind": _l("Kind"),
    "members": _l("Members"),
    "head_iin": _l("IIN of the head"),
    "username": _l("Username"),
    "password": _l("Password"),
    "appeal": _l("Appeal"),
    "filed_on": _l("Filed on"),
    # the bank's status report (ISO 20022 pain.002): its elements by what they hold
    "Document": _l("XML root element"),
    "OrgnlMsgId": _l("Run number in the report"),
    "TxInfAndSts": _l("Payments in the report"),
}

# Who wrote a log entry when it was not a user (the log names users ``user:<id>``).
ACTOR_LABELS = {
    "system": _l("the service (automatically)"),
    "cli": _l("an administrator (command line)"),
    "seed-demo": _l("the demonstration data"),
}


def actor_label(actor: str | None) -> str:
    """A log's actor as a reader says it: the service, the command line, the demonstration
    data, or "user #N" (the log keeps ids only); anything else as written."""
    if not actor:
        return "—"
    if actor in ACTOR_LABELS:
        return str(ACTOR_LABELS[actor])
    # Imported here: these names are read without the models (tests/unit/test_actions.py), and
    # importing a model alone leaves the ORM's registry incomplete.
    from subsidy.accounts.queries import user_id_of

    user_id = user_id_of(actor)
    if user_id is not None:
        return gettext("user #%(id)s", id=user_id)
    return actor


def actor_labels(actors: Iterable[str]) -> dict[str, str]:
    """Each actor's name for a history: a user's username, else :func:`actor_label`."""
    from subsidy.accounts.queries import actor_names

    actors = set(actors)
    names = actor_names(actors)
    return {actor: names.get(actor) or actor_label(actor) for actor in actors}


_LOG_OK = re.compile(r"OK (\d+) entries, root ([0-9a-f]+)")
_LOG_FAIL = re.compile(r"FAIL (index|checkpoint) (\S+): (.*)", re.S)


def log_verdict(line: str | None) -> Markup:
    """The log verification's line (``subsidy audit verify`` prints it in English) as a
    sentence; a failure's technical reason stays as printed, marked as such."""
    if not line:
        return Markup("")
    ok = _LOG_OK.fullmatch(line)
    if ok:
        return Markup('{} <span class="hash">{}</span>').format(
            gettext("%(count)s entries; root hash:", count=number(int(ok.group(1)))),
            ok.group(2),
        )
    failed = _LOG_FAIL.fullmatch(line)
    if failed:
        where, at, reason = failed.groups()
        sentence = (
            gettext("The log fails at entry %(index)s:", index=at)
            if where == "index"
            else gettext("The log fails at the checkpoint of size %(size)s:", size=at)
        )
        return Markup('{} <code lang="en">{}</code>').format(sentence, reason)
    return Markup('<code lang="en">{}</code>').format(line)


def return_reason(code: str | None) -> str:
    """The code with its meaning, as in "AC04 (closed account)"; an unknown code as it is."""
    if not code:
        return "—"
    meaning = RETURN_REASON_LABELS.get(code)
    return f"{code} ({meaning})" if meaning is not None else code


def register_labels(state) -> None:
    """Blueprint hook: the mappings as Jinja filters."""
    state.app.jinja_env.filters.update(
        status_label=lambda v: label(STATUS_LABELS, v),
        unit_label=lambda v: label(UNIT_LABELS, v),
        role_label=lambda v: label(ROLE_LABELS, v),
        kind_label=lambda v: label(KIND_LABELS, v),
        action_label=lambda v: label(ACTION_LABELS, v),
        snapshot_label=lambda v: label(SNAPSHOT_LABELS, v),
        species_label=lambda v: label(SPECIES_LABELS, v),
        flag_label=lambda v: label(FLAG_LABELS, v),
        severity_label=lambda v: label(SEVERITY_LABELS, v),
        run_status_label=lambda v: label(RUN_STATUS_LABELS, v),
        payment_status_label=lambda v: label(PAYMENT_STATUS_LABELS, v),
        skip_label=lambda v: label(SKIP_LABELS, v),
        return_reason=return_reason,
        appeal_status_label=lambda v: label(APPEAL_STATUS_LABELS, v),
        appealed_label=lambda v: label(APPEALED_LABELS, v),
        recovery_status_label=lambda v: label(RECOVERY_STATUS_LABELS, v),
        document_outcome_label=lambda v: label(DOCUMENT_OUTCOME_LABELS, v),
        document_kind_label=lambda v: label(DOCUMENT_KIND_LABELS, v),
        actor_label=actor_label,
        log_verdict=log_verdict,
    )
