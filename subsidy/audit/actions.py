"""The kinds of entry the transparency log records.

The values are in stored, hashed entries (and in exported logs that others verify): never change
one. A new kind of entry is a new member, with its label in ``subsidy.web.labels.ACTION_LABELS``
and the label's translations. This module is the bottom of the log layer: it imports nothing
from the rest of the package."""

from __future__ import annotations

import enum


class Action(enum.StrEnum):
    # accounts
    USER_CREATED = "user_created"
    ROLE_CHANGED = "role_changed"
    TOKEN_ISSUED = "token_issued"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGGED_OUT = "logged_out"
    TOKEN_REVOKED = "token_revoked"
    ACCESS_REVOKED = "access_revoked"
    PASSWORD_CHANGED = "password_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_ACTIVATED = "user_activated"
    # registers: applicants, programs, the registry extracts
    APPLICANT_CREATED = "applicant_created"
    BANK_ACCOUNT_CHANGED = "bank_account_changed"
    APPLICANT_HEAD_CHANGED = "applicant_head_changed"
    PROGRAM_LOADED = "program_loaded"
    REGISTRY_IMPORTED = "registry_imported"
    # applications
    APPLICATION_SUBMITTED = "application_submitted"
    APPLICATION_EVALUATED = "application_evaluated"
    APPLICATION_WITHDRAWN = "application_withdrawn"
    FLAGS_COMPUTED = "flags_computed"
    # decisions
    APPLICATION_FIRST_APPROVAL = "application_first_approval"
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_REJECTED = "application_rejected"
    APPLICATION_WAITLISTED = "application_waitlisted"
    DOCUMENT_ISSUED = "document_issued"
    # payments
    TRANCHE_RELEASED = "tranche_released"
    PAYMENT_RUN_PREPARED = "payment_run_prepared"
    PAYMENT_SCHEDULED = "payment_scheduled"
    PAYMENT_SKIPPED = "payment_skipped"
    PAYMENT_RUN_RELEASED = "payment_run_released"
    PAYMENT_RUN_CANCELLED = "payment_run_cancelled"
    PAYMENT_STATUS_REPORT = "payment_status_report"
    PAYMENT_PAID = "payment_paid"
    PAYMENT_RETURNED = "payment_returned"
    # obligations, recovery and appeals
    RECOVERY_OPENED = "recovery_opened"
    REPAYMENT_RECORDED = "repayment_recorded"
    RECOVERY_REPAID = "recovery_repaid"
    RECOVERY_CANCELLED = "recovery_cancelled"
    APPEAL_FILED = "appeal_filed"
    APPEAL_GRANTED = "appeal_granted"
    APPEAL_DISMISSED = "appeal_dismissed"
    APPLICATION_REOPENED = "application_reopened"
