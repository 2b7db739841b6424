"""The log's actions (one enum, each with a label in every language, used at every call site) and
the application state machine (one table; the checks the services make agree with it)."""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po

from subsidy.applications.states import (
    INITIAL_STATUSES,
    TRANSITIONS,
    Status,
    move,
    require_action,
    statuses_allowing,
)
from subsidy.audit.actions import Action
from subsidy.errors import Conflict
from subsidy.web.labels import ACTION_LABELS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "subsidy"
LANGUAGES = ("ru", "kk", "en")
USER_ACTIONS = ("approve", "reject", "withdraw")
# Taken by the bank's status report, not by a user (subsidy.payments).
SETTLEMENT_ACTIONS = ("pay",)
# Taken by the official who grants an appeal (subsidy.appeals): evaluated again, submitted again.
APPEAL_ACTIONS = ("reopen",)

# The values are in stored, hashed log entries: a member may be added, never renamed.
STORED = {
    "user_created",
    "role_changed",
    "token_issued",
    "login_succeeded",
    "login_failed",
    "applicant_created",
    "bank_account_changed",
    "applicant_head_changed",
    "program_loaded",
    "registry_imported",
    "application_submitted",
    "application_evaluated",
    "application_withdrawn",
    "application_first_approval",
    "application_approved",
    "application_rejected",
    "application_waitlisted",
    "document_issued",
    "tranche_released",
    "payment_run_prepared",
    "payment_scheduled",
    "payment_skipped",
    "payment_run_released",
    "payment_run_cancelled",
    "payment_status_report",
    "payment_paid",
    "payment_returned",
    "recovery_opened",
    "repayment_recorded",
    "recovery_repaid",
    "recovery_cancelled",
    "appeal_filed",
    "appeal_granted",
    "appeal_dismissed",
    "application_reopened",
}


# --- actions ---------------------------------------------------------------------------------


def test_stored_action_values_are_kept():
    assert {member.value for member in Action} >= STORED
    for member in Action:
        assert member.value == member.name.lower()
        assert str(member) == member.value and f"{member}" == member.value


def _msgid(member: Action) -> str:
    """The untranslated string of a lazy_gettext label (str() of it would need an app)."""
    return ACTION_LABELS[member]._args[0]


def test_every_action_has_a_label():
    assert set(ACTION_LABELS) == set(Action)
    msgids = [_msgid(member) for member in Action]
    assert len(set(msgids)) == len(msgids), "two actions share a label"


@pytest.fixture(scope="module", params=LANGUAGES)
def catalog(request):
    path = PACKAGE / "translations" / request.param / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return request.param, read_po(handle)


def test_every_action_label_is_translated(catalog):
    language, messages = catalog
    missing = []
    for member in Action:
        msgid = _msgid(member)
        message = messages.get(msgid)
        if message is None or not message.string or message.fuzzy:
            missing.append((member.value, msgid))
    assert missing == [], f"{language}: no translation of {missing}"


def test_every_action_label_is_in_the_template():
    with (PACKAGE / "translations" / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    assert [m for m in Action if template.get(_msgid(m)) is None] == []


def _calls(name: str):
    """The calls of ``name`` in the package, but for the log's own (append_entry builds Entry)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "audit" / "services.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called == name:
                    yield path.relative_to(ROOT), node


def _is_member(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Action"
        and node.attr in Action.__members__
    )


def test_call_sites_name_actions_through_the_enum():
    seen, free = 0, []
    for path, call in _calls("append_entry"):
        action = next((k.value for k in call.keywords if k.arg == "action"), None)
        seen += 1
        if not _is_member(action):
            free.append(f"{path}:{call.lineno}")
    for path, call in _calls("Entry"):
        action = call.args[1] if len(call.args) > 1 else None
        action = next((k.value for k in call.keywords if k.arg == "action"), action)
        seen += 1
        if not _is_member(action):
            free.append(f"{path}:{call.lineno}")
    assert seen >= len(STORED)
    assert free == [], f"actions given as free strings at {free}"


def test_the_actions_module_imports_nothing_of_the_package():
    tree = ast.parse((PACKAGE / "audit" / "actions.py").read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert [name for name in imported if name.startswith("subsidy")] == []


# --- the state machine -----------------------------------------------------------------------


def test_the_table_has_every_status_and_only_the_user_actions():
    assert set(TRANSITIONS) == set(Status)
    for moves in TRANSITIONS.values():
        assert set(moves) <= set(USER_ACTIONS) | set(SETTLEMENT_ACTIONS) | set(APPEAL_ACTIONS)
        assert all(targets for targets in moves.values()), "an action that leads nowhere"
    assert TRANSITIONS[Status.APPROVED] == {"pay": {Status.PAID}}


def test_submission_creates_the_initial_statuses():
    assert {Status.SUBMITTED, Status.INELIGIBLE} == INITIAL_STATUSES


def test_every_transition_is_reachable_from_a_submission():
    reached, queue = set(INITIAL_STATUSES), deque(INITIAL_STATUSES)
    while queue:
        for targets in TRANSITIONS[queue.popleft()].values():
            for target in targets - reached:
                reached.add(target)
                queue.append(target)
    assert reached == set(Status)
    # hence every row of the table, every transition out of a status, can be taken
    assert {status for status, moves in TRANSITIONS.items() if moves} <= reached


def test_every_status_but_the_initial_ones_is_reached_by_a_transition():
    targets = {t for moves in TRANSITIONS.values() for ts in moves.values() for t in ts}
    assert targets >= set(Status) - INITIAL_STATUSES
    # Nothing goes back to the start but a granted appeal, which evaluates again.
    back = {
        (status, action)
        for status, moves in TRANSITIONS.items()
        for action, ts in moves.items()
        if Status.SUBMITTED in ts
    }
    assert back == {(Status.REJECTED, "reopen"), (Status.INELIGIBLE, "reopen")}


@pytest.mark.parametrize("action", USER_ACTIONS + APPEAL_ACTIONS)
@pytest.mark.parametrize("status", list(Status))
def test_require_action_agrees_with_the_table(status, action):
    allowed = bool(TRANSITIONS[status].get(action))
    assert (status in statuses_allowing(action)) is allowed
    if allowed:
        require_action(action, status)
    else:
        with pytest.raises(Conflict) as raised:
            require_action(action, status)
        assert raised.value.message == f"cannot {action} an application that is {status.value}"
        assert raised.value.errors == {"status": [f"is {status.value}"]}


@pytest.mark.parametrize("target", list(Status))
@pytest.mark.parametrize("status", list(Status))
def test_move_agrees_with_the_table(status, target):
    application = SimpleNamespace(status=status)
    allowed = any(target in targets for targets in TRANSITIONS[status].values())
    if allowed:
        move(application, target)
        assert application.status is target
    else:
        with pytest.raises(Conflict) as raised:
            move(application, target)
        assert raised.value.message == (
            f"an application that is {status.value} cannot become {target.value}"
        )
        assert raised.value.errors == {"status": [f"is {status.value}"]}
        assert application.status is status


def _may_become(status: Status) -> set[Status]:
    possible = set()
    for target in Status:
        try:
            move(SimpleNamespace(status=status), target)
        except Conflict:
            continue
        possible.add(target)
    return possible


def test_the_table_is_what_it_was_when_it_was_two_tables():
    """ALLOWED and TRANSITIONS as they were before the one table, derived from it."""
    s = Status
    before_allowed = {
        "approve": {s.SUBMITTED, s.AWAITING_SECOND_APPROVAL, s.WAITLISTED},
        "reject": {s.SUBMITTED, s.AWAITING_SECOND_APPROVAL, s.WAITLISTED},
        "withdraw": {s.SUBMITTED, s.AWAITING_SECOND_APPROVAL, s.WAITLISTED, s.INELIGIBLE},
    }
    before_transitions = {
        s.SUBMITTED: {s.AWAITING_SECOND_APPROVAL, s.APPROVED, s.WAITLISTED, s.REJECTED},
        s.AWAITING_SECOND_APPROVAL: {s.APPROVED, s.WAITLISTED, s.REJECTED},
        s.WAITLISTED: {s.APPROVED, s.WAITLISTED, s.REJECTED},
        s.INELIGIBLE: {s.SUBMITTED},  # added with appeals: a granted one evaluates again
        s.APPROVED: {s.PAID},  # added with payments: the bank's report, not a user
        s.REJECTED: {s.SUBMITTED},
        s.WITHDRAWN: set(),
        s.PAID: set(),
    }
    for status in (s.SUBMITTED, s.AWAITING_SECOND_APPROVAL, s.WAITLISTED, s.INELIGIBLE):
        before_transitions[status].add(s.WITHDRAWN)
    assert {a: set(statuses_allowing(a)) for a in USER_ACTIONS} == before_allowed
    assert {status: _may_become(status) for status in Status} == before_transitions


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        require_action("approv", Status.SUBMITTED)
