"""The application factory: configuration, extensions, blueprints, CLI and error handlers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g
from sqlalchemy.exc import IntegrityError
from werkzeug.middleware.proxy_fix import ProxyFix

from subsidy.access import init_access
from subsidy.accounts.services import user_for_token
from subsidy.audit.signing import init_signing_key
from subsidy.config import build_config, instance_path_from_env
from subsidy.decisions.signing import init_document_signer
from subsidy.errors import register_error_handlers
from subsidy.extensions import api, babel, csrf, db, limiter, login_manager, migrate
from subsidy.i18n import register_i18n, select_locale
from subsidy.input_guard import register_input_guard
from subsidy.outage import UNAVAILABLE, register_outage_handler
from subsidy.security import register_security_headers

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def build_app(config: dict | None = None) -> Flask:
    instance_path = instance_path_from_env()
    if config and config.get("INSTANCE_PATH"):
        instance_path = config["INSTANCE_PATH"]
    app = Flask("subsidy", instance_path=str(instance_path), instance_relative_config=True)
    app.config.from_mapping(build_config(instance_path, config))
    app.json.ensure_ascii = False  # Kazakh and Russian names stay readable in the API
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    init_signing_key(app)
    init_document_signer(app)
    init_access(app, bearer_user=user_for_token)
    _connect_features(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", MIGRATIONS_DIR))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    # Flask-Login's "strong" protection does nothing on permanent sessions: the User-Agent
    # binding is the server-side session's (subsidy.accounts.sessions, docs/accounts.md).
    login_manager.session_protection = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    limiter.init_app(app)
    api.init_app(app)

    _register_blueprints(app)
    from subsidy.web.error_pages import render_error_page

    register_error_handlers(app, page=render_error_page)
    register_input_guard(app)
    register_outage_handler(app)
    register_i18n(app)
    register_security_headers(app)
    _register_unit_of_work(app)

    from subsidy.cli import register_cli

    register_cli(app)

    return app


def _register_blueprints(app: Flask) -> None:
    import subsidy.models  # noqa: F401  (the complete metadata, before any query)
    from subsidy.accounts.api import blp as accounts_blp
    from subsidy.appeals.api import blp as appeals_blp
    from subsidy.appeals.api import filing_blp as appeal_filing_blp
    from subsidy.applicants.api import blp as applicants_blp
    from subsidy.applications.api import blp as applications_blp
    from subsidy.audit.api import blp as audit_blp
    from subsidy.decisions.api import blp as documents_blp
    from subsidy.decisions.api import decisions_blp
    from subsidy.districts.api import blp as districts_blp
    from subsidy.obligations.api import blp as recoveries_blp
    from subsidy.payments.api import blp as payment_runs_blp
    from subsidy.payments.api import tranches_blp
    from subsidy.programs.api import blp as programs_blp
    from subsidy.transparency.api import blp as transparency_blp

    for blueprint in (
        accounts_blp,
        districts_blp,
        applicants_blp,
        programs_blp,
        applications_blp,
        decisions_blp,
        documents_blp,
        tranches_blp,
        payment_runs_blp,
        recoveries_blp,
        appeals_blp,
        appeal_filing_blp,
        transparency_blp,
        audit_blp,
    ):
        api.register_blueprint(blueprint, url_prefix=f"/api/v1{blueprint.url_prefix or ''}")
        csrf.exempt(blueprint)  # the JSON API authenticates with bearer tokens, not cookies

    from subsidy.accounts import views as account_views
    from subsidy.audit import log_http
    from subsidy.web import (
        appeals,
        audit_pages,
        home,
        payments,
        public,
        recoveries,
        verify,
        workflow,
    )

    for page_blueprint in (
        home.bp,
        verify.bp,
        account_views.bp,
        workflow.bp,
        public.bp,
        audit_pages.bp,
        payments.bp,
        recoveries.bp,
        appeals.bp,
        log_http.bp,
    ):
        app.register_blueprint(page_blueprint)


def _connect_features(app: Flask) -> None:
    """Lower layers call upward only through hooks connected here."""
    from subsidy.obligations.services import check_after_import
    from subsidy.registry.services import after_import

    after_import(app, check_after_import)


def _register_unit_of_work(app: Flask) -> None:
    """One commit point per request: commit what services flushed when the request succeeded,
    roll back otherwise. A view that must keep a record of a refusal (a failed login) says so
    with :func:`subsidy.unit_of_work.keep_changes`. After it, the log's sequencer integrates
    what the transaction queued (subsidy.audit.sequencer), as after every command."""
    from subsidy.audit.sequencer import sequence_after
    from subsidy.commands import AFTER_TRANSACTION, after_transaction

    app.extensions[AFTER_TRANSACTION] = [sequence_after]

    @app.after_request
    def commit_or_rollback(response):
        keep = g.pop("keep_changes", False)
        if response.status_code < 400 or (keep and response.status_code < 500):
            try:
                db.session.commit()
            except (IntegrityError, *UNAVAILABLE) as error:
                # Nothing was kept, and the answer is not sent yet: it becomes the refusal the
                # error's handler gives (409, or 503 for a database gone away), never a success
                # for what was not kept, nor a 500.
                db.session.rollback()
                return app.make_response(app.handle_user_exception(error))
            finally:
                after_transaction()
        else:
            db.session.rollback()
            after_transaction()
        return response
