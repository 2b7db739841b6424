"""The application statuses and the state machine: one table, :data:`TRANSITIONS`, of which
user action may move an application from which status to which; the checks the services make
(:func:`require_action`, :func:`move`) and what the pages ask (:func:`statuses_allowing`) are
derived from it."""

from __future__ import annotations

import enum

from subsidy.errors import Conflict


class Status(enum.StrEnum):
    INELIGIBLE = "ineligible"
    SUBMITTED = "submitted"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    PAID = "paid"  # the bank reported the approved amount credited (subsidy.payments)


# Applications that still hold their claims and count as "another application".
LIVE_STATUSES = (
    Status.SUBMITTED,
    Status.AWAITING_SECOND_APPROVAL,
    Status.APPROVED,
    Status.WAITLISTED,
    Status.PAID,
)
# Approved money: what approvals committed, paid out or not yet.
FUNDED_STATUSES = (Status.APPROVED, Status.PAID)
AWAITING_DECISION = (Status.SUBMITTED, Status.AWAITING_SECOND_APPROVAL, Status.WAITLISTED)
# What a submission creates: every other status is reached through TRANSITIONS.
INITIAL_STATUSES = frozenset({Status.SUBMITTED, Status.INELIGIBLE})

S = Status
# status -> user action -> the statuses that action may lead to. An approval above the program's
# threshold is a first approval (awaiting a second official); one the budget cannot cover puts
# (or keeps) the application on the waiting list.
TRANSITIONS: dict[Status, dict[str, frozenset[Status]]] = {
    S.SUBMITTED: {
        "approve": frozenset({S.AWAITING_SECOND_APPROVAL, S.APPROVED, S.WAITLISTED}),
        "reject": frozenset({S.REJECTED}),
        "withdraw": frozenset({S.WITHDRAWN}),
    },
    S.AWAITING_SECOND_APPROVAL: {
        "approve": frozenset({S.APPROVED, S.WAITLISTED}),
        "reject": frozenset({S.REJECTED}),
        "withdraw": frozenset({S.WITHDRAWN}),
    },
    S.WAITLISTED: {
        "approve": frozenset({S.APPROVED, S.WAITLISTED}),
        "reject": frozenset({S.REJECTED}),
        "withdraw": frozenset({S.WITHDRAWN}),
    },
    # A granted appeal evaluates a refused application again (subsidy.appeals): eligible now, it
    # is submitted again, in its original place.
    S.INELIGIBLE: {"withdraw": frozenset({S.WITHDRAWN}), "reopen": frozenset({S.SUBMITTED})},
    # The bank's status report, not an official: see subsidy.payments.
    S.APPROVED: {"pay": frozenset({S.PAID})},
    S.PAID: {},
    S.REJECTED: {"reopen": frozenset({S.SUBMITTED})},
    S.WITHDRAWN: {},
}

# Derived, never edited: action -> the statuses it may start from; status -> what it may become.
_ALLOWED: dict[str, frozenset[Status]] = {
    action: frozenset(status for status, moves in TRANSITIONS.items() if moves.get(action))
    for action in sorted({action for moves in TRANSITIONS.values() for action in moves})
}
_TARGETS: dict[Status, frozenset[Status]] = {
    status: frozenset(target for targets in moves.values() for target in targets)
    for status, moves in TRANSITIONS.items()
}


def statuses_allowing(action: str) -> frozenset[Status]:
    """The statuses from which ``action`` ("approve", "reject", "withdraw") may be taken."""
    return _ALLOWED[action]


def require_action(action: str, current: Status) -> None:
    if current not in _ALLOWED[action]:
        raise Conflict(
            f"cannot {action} an application that is {current.value}",
            {"status": [f"is {current.value}"]},
        )


def move(application, target: Status) -> None:
    if target not in _TARGETS[application.status]:
        raise Conflict(
            f"an application that is {application.status.value} cannot become {target.value}",
            {"status": [f"is {application.status.value}"]},
        )
    application.status = target
