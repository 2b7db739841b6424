"""`subsidy users set-password`, `revoke-tokens`, `deactivate` and `activate` (issue 19): each
one service call with its audit entry; a refusal is one line naming the field, exit 2."""

import sqlalchemy as sa

from subsidy.accounts.models import ApiToken, User
from subsidy.accounts.passwords import check_password
from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from tests.factories import bearer, make_user

NEW = "plough meadow kettle sunrise\n"


def _last_action() -> str:
    query = sa.select(AuditEntry.action).order_by(AuditEntry.entry_index.desc()).limit(1)
    return db.session.execute(query).scalar_one()


def _live_tokens(user) -> int:
    query = sa.select(sa.func.count()).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
    )
    return db.session.execute(query).scalar_one()


def test_set_password_reads_stdin_and_ends_every_token(runner):
    user = make_user("official", username="aidos")
    bearer(user)
    db.session.commit()
    result = runner.invoke(args=["users", "set-password", "aidos"], input=NEW)
    assert result.exit_code == 0, result.output
    assert "1 tokens ended" in result.output
    db.session.expire_all()
    assert check_password(db.session.get(User, user.id).password_hash, NEW.strip())
    assert _live_tokens(user) == 0
    assert _last_action() == "password_changed"


def test_set_password_refuses_a_weak_one_and_changes_nothing(runner):
    user = make_user("official", username="aidos")
    bearer(user)
    db.session.commit()
    for weak in ("1234567890", "aaaaaaaaaa", "password123", "aidos-aidos"[:5] * 2):
        result = runner.invoke(args=["users", "set-password", "aidos"], input=weak + "\n")
        assert result.exit_code == 2 and result.output.startswith("error: password: ")
    assert _live_tokens(user) == 1
    unknown = runner.invoke(args=["users", "set-password", "nobody"], input=NEW)
    assert unknown.exit_code == 2 and "username" in unknown.output


def test_revoke_tokens_ends_tokens_and_keeps_the_password(runner):
    user = make_user("auditor", username="dana")
    bearer(user), bearer(user)
    db.session.commit()
    result = runner.invoke(args=["users", "revoke-tokens", "dana"])
    assert result.exit_code == 0 and "2 tokens" in result.output
    assert _live_tokens(user) == 0
    assert _last_action() == "access_revoked"


def test_deactivate_and_activate(runner):
    user = make_user("auditor", username="dana")
    bearer(user)
    db.session.commit()
    assert runner.invoke(args=["users", "deactivate", "dana"]).exit_code == 0
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_active and _live_tokens(user) == 0
    again = runner.invoke(args=["users", "deactivate", "dana"])
    assert again.exit_code == 2 and "already deactivated" in again.output
    assert runner.invoke(args=["users", "activate", "dana"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active
    assert _last_action() == "user_activated"


def test_users_create_refuses_the_passwords_the_attack_used_and_writes_nothing(runner):
    before = db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
    for weak in ("1234567890", "aaaaaaaaaa"):
        result = runner.invoke(
            args=["users", "create", "weakling", "--role", "auditor"], input=weak + "\n"
        )
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: password: is too easy to guess")
    after = db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
    assert after == before
