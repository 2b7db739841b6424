"""Imports every model so the metadata is complete (for migrations and the model/migration test)."""

from subsidy.accounts.models import ApiToken, User
from subsidy.appeals.models import Appeal
from subsidy.applicants.models import Applicant, cooperative_members
from subsidy.applications.models import Application, ApplicationClaim, ApplicationFlag
from subsidy.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from subsidy.decisions.models import DecisionDocument
from subsidy.districts.models import District
from subsidy.obligations.models import RecoveryCase, Repayment
from subsidy.payments.models import (
    Payment,
    PaymentRun,
    PaymentSkip,
    PaymentStatusReport,
    Tranche,
)
from subsidy.programs.models import Program, ProgramVersion
from subsidy.registry.models import (
    AnimalRecord,
    LandRecord,
    LivestockRecord,
    RegistrySnapshot,
    TaxRecord,
)

__all__ = [
    "AnimalRecord",
    "ApiToken",
    "Appeal",
    "Applicant",
    "Application",
    "ApplicationClaim",
    "ApplicationFlag",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditNode",
    "DecisionDocument",
    "District",
    "LandRecord",
    "LivestockRecord",
    "Payment",
    "PaymentRun",
    "PaymentSkip",
    "PaymentStatusReport",
    "Program",
    "ProgramVersion",
    "RecoveryCase",
    "RegistrySnapshot",
    "Repayment",
    "TaxRecord",
    "Tranche",
    "User",
    "cooperative_members",
]
