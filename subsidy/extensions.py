"""Flask extensions, created unbound and attached in :func:`subsidy.app.build_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf import CSRFProtect

from subsidy.db import Base
from subsidy.errors import ErrorSchema


class Session(_FlaskSession):
    """Honours an explicit ``bind``: tests pin every session to one connection whose outer
    transaction is rolled back at the end (Flask-SQLAlchemy would otherwise pick the engine)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


class SubsidyApi(Api):
    """Errors answer ``{code, message, errors}``; each operation lists the refusals it can give
    (see :mod:`subsidy.api_docs`) instead of one catch-all ``default`` response."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
api = SubsidyApi()
