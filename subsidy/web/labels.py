"""Translatable names for the values the pages show (statuses, units, roles, kinds, log
actions). The stored values stay English identifiers; these are what a reader sees."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from subsidy.audit.actions import Action

STATUS_LABELS = {
    "ineligible": _l("ineligible"),
    "submitted": _l("submitted"),
    "awaiting_second_approval": _l("awaiting a second approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "waitlisted": _l("waitlisted"),
    "withdrawn": _l("withdrawn"),
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
}

OUTCOME_LABELS = {
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
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
    )
