"""The application state machine: which action may move an application from which status."""

from __future__ import annotations

from subsidy.applications.models import Status
from subsidy.errors import Conflict

S = Status
# action -> statuses it may start from
ALLOWED: dict[str, tuple[Status, ...]] = {
    "approve": (S.SUBMITTED, S.AWAITING_SECOND_APPROVAL, S.WAITLISTED),
    "reject": (S.SUBMITTED, S.AWAITING_SECOND_APPROVAL, S.WAITLISTED),
    "withdraw": (S.SUBMITTED, S.AWAITING_SECOND_APPROVAL, S.WAITLISTED, S.INELIGIBLE),
}
# status -> statuses it may become
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.SUBMITTED: frozenset(
        {S.AWAITING_SECOND_APPROVAL, S.APPROVED, S.WAITLISTED, S.REJECTED, S.WITHDRAWN}
    ),
    S.AWAITING_SECOND_APPROVAL: frozenset({S.APPROVED, S.WAITLISTED, S.REJECTED, S.WITHDRAWN}),
    S.WAITLISTED: frozenset({S.APPROVED, S.WAITLISTED, S.REJECTED, S.WITHDRAWN}),
    S.INELIGIBLE: frozenset({S.WITHDRAWN}),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


def require_action(action: str, current: Status) -> None:
    if current not in ALLOWED[action]:
        raise Conflict(
            f"cannot {action} an application that is {current.value}",
            {"status": [f"is {current.value}"]},
        )


def move(application, target: Status) -> None:
    if target not in TRANSITIONS[application.status]:
        raise Conflict(
            f"an application that is {application.status.value} cannot become {target.value}",
            {"status": [f"is {application.status.value}"]},
        )
    application.status = target
