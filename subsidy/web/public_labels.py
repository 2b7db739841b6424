"""Display names of codes the pages show (outcomes, log actions, units), translatable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OUTCOMES = {
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}

STATUSES = {
    "ineligible": _l("Ineligible"),
    "submitted": _l("Submitted"),
    "awaiting_second_approval": _l("Awaiting second approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "waitlisted": _l("Waitlisted"),
    "withdrawn": _l("Withdrawn"),
}

ACTIONS = {
    "user_created": _l("User created"),
    "role_changed": _l("Role changed"),
    "token_issued": _l("Token issued"),
    "login_succeeded": _l("Login succeeded"),
    "login_failed": _l("Login failed"),
    "applicant_created": _l("Applicant registered"),
    "program_loaded": _l("Program loaded"),
    "registry_imported": _l("Registry imported"),
    "application_submitted": _l("Application submitted"),
    "application_evaluated": _l("Application evaluated"),
    "application_first_approval": _l("First approval"),
    "application_approved": _l("Application approved"),
    "application_rejected": _l("Application rejected"),
    "application_waitlisted": _l("Application waitlisted"),
    "application_withdrawn": _l("Application withdrawn"),
    "document_issued": _l("Decision document issued"),
}

# "1 000 ₸ per head"; a tenge program's rate is a share of the cost.
PER_UNIT = {
    "head": _l("per head"),
    "liter": _l("per liter"),
    "hectare": _l("per hectare"),
}


def label(mapping: dict, code: str | None) -> str:
    """The display name of ``code``, or the code itself when it has none."""
    if code is None:
        return "—"
    return str(mapping.get(code, code))
