"""Settings from ``SUBSIDY_*`` environment variables, one class per environment."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path


def instance_path_from_env() -> Path:
    return Path(os.environ.get("SUBSIDY_INSTANCE_PATH", "instance")).resolve()


def write_once(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` (mode 0600) unless it exists. Written to a temporary file
    and linked into place, so a worker starting alongside never reads a half-written key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # If another worker won, its key is the one everybody uses.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read_or_create_secret(path: Path) -> str:
    """The session key is generated once and kept, so restarts do not sign everyone out."""
    if not path.exists():
        write_once(path, (secrets.token_hex(32) + "\n").encode())
    return path.read_text().strip()


class Config:
    TESTING = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Seconds a new PostgreSQL connection may take (libpq connect_timeout): a database host that
    # drops packets must not hold a request, and its worker, for the kernel's TCP timeout (two
    # minutes and more); the request answers 503 instead (subsidy.outage).
    DATABASE_CONNECT_TIMEOUT = 5
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Bearer tokens for the JSON API.
    TOKEN_TTL = timedelta(hours=12)
    # A web session ends 8 hours after sign-in, or after an hour without a request, or at
    # logout, a password or role change or deactivation (subsidy.accounts.sessions).
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_IDLE_TIMEOUT = timedelta(hours=1)
    # The cookie is sent again only when the session changes: refreshed on every response, a
    # late answer to an earlier request put back the cookie from before a change (?lang=ru was
    # undone). The server keeps the session's end, so the cookie's own 8 hours from sign-in are
    # only an upper bound (tests/http/test_session_cookie.py).
    SESSION_REFRESH_EACH_REQUEST = False
    # The login throttle (subsidy.accounts.throttle, docs/accounts.md): per account, 5 failures
    # free, then a wait of 30 s doubling to at most 15 min; per address, 100 failures a quarter
    # of an hour. Counted in Redis when RATELIMIT_STORAGE_URI is redis://, else the database.
    LOGIN_THROTTLE_ENABLED = True
    LOGIN_FREE_FAILURES = 5
    LOGIN_FIRST_DELAY = timedelta(seconds=30)
    LOGIN_MAX_DELAY = timedelta(minutes=15)
    LOGIN_ADDRESS_CEILING = 100
    LOGIN_ADDRESS_WINDOW = timedelta(minutes=15)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # Checkpoints are signed automatically every this many log entries.
    AUDIT_CHECKPOINT_EVERY = 100
    PUBLIC_URL = "http://127.0.0.1:5000"
    # The paying body in ISO 20022 payment documents (SUBSIDY_PAYER_*): by default the demo
    # akimat's agriculture office, with its account at the Treasury Committee (bank code 070).
    PAYER_NAME = "ГУ «Управление сельского хозяйства Восточно-Казахстанской области»"
    PAYER_BIN = "010340010009"
    PAYER_IBAN = "KZ630701050000123456"
    PAYER_BIC = "KKMFKZ2A"
    JSON_SORT_KEYS = False

    API_TITLE = "East Kazakhstan agricultural subsidies"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Reverse proxies (load balancers) in front of the app whose X-Forwarded-For/-Proto/-Host
    # are believed: 0 = none, so that a client cannot pick its own address for the rate limits.
    TRUSTED_PROXIES = 0
    # The host names requests may carry (Flask refuses any other Host with 400, so that no
    # redirect or link is built from a host an attacker chose); None: any, outside production.
    TRUSTED_HOSTS: list[str] | None = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False


CONFIGS = {"development": Config, "production": ProductionConfig, "testing": TestingConfig}


# A host name or IPv4 address as Host carries it, without the port; a leading dot: subdomains.
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_TRUSTED_HOST = re.compile(rf"\.?{_LABEL}(?:\.{_LABEL})*", re.IGNORECASE)


def _trusted_hosts(text: str) -> list[str]:
    hosts = [host.strip() for host in text.split(",") if host.strip()]
    for host in hosts:
        if not (host.isascii() and _TRUSTED_HOST.fullmatch(host)):
            raise ValueError(
                f"SUBSIDY_TRUSTED_HOSTS: {host!r} is not a host name (comma-separated names "
                "such as subsidy.example.kz or .example.kz, without a scheme or port)"
            )
    if not hosts:
        raise ValueError("SUBSIDY_TRUSTED_HOSTS names no host")
    return hosts


def _proxy_count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= 10):
        raise ValueError(f"SUBSIDY_TRUSTED_PROXIES must be a whole number 0..10, not {text!r}")
    return int(text)


def _connect_timeout(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 300):
        raise ValueError(
            "SUBSIDY_DATABASE_CONNECT_TIMEOUT must be a whole number of seconds 1..300, "
            f"not {text!r}"
        )
    return int(text)


def _bound_connecting(settings: dict) -> None:
    """PostgreSQL connections give up after DATABASE_CONNECT_TIMEOUT seconds, unless the engine
    options already say otherwise."""
    if not str(settings["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return
    options = dict(settings["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("connect_timeout", settings["DATABASE_CONNECT_TIMEOUT"])
    options["connect_args"] = connect_args
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = options


def build_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Collect the settings for one app: class defaults, then environment, then overrides."""
    env_name = os.environ.get("SUBSIDY_ENV", "development")
    if env_name not in CONFIGS:
        # A typo must not quietly run production with development settings.
        raise ValueError(f"SUBSIDY_ENV must be one of {', '.join(CONFIGS)}, not {env_name!r}")
    base = CONFIGS[env_name]
    settings = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    overrides = dict(overrides or {})
    settings["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
        "SUBSIDY_DATABASE_URL", f"sqlite:///{instance_path / 'subsidy.db'}"
    )
    settings["SIGNING_KEY_PATH"] = os.environ.get(
        "SUBSIDY_SIGNING_KEY", str(instance_path / "signing_key.pem")
    )
    settings["PUBLIC_URL"] = os.environ.get("SUBSIDY_PUBLIC_URL", settings["PUBLIC_URL"])
    # Unset, a document issued in a request links to the address that request was served on
    # (subsidy.decisions.issuing.public_url); the default above serves the CLI and the demo.
    settings["PUBLIC_URL_CONFIGURED"] = "SUBSIDY_PUBLIC_URL" in os.environ
    # The agency's PKCS#12 that signs the letters; None: a demo one generated into the instance.
    settings["DOCUMENT_CERT_PATH"] = os.environ.get("SUBSIDY_DOCUMENT_CERT") or None
    settings["DOCUMENT_CERT_PASSWORD"] = os.environ.get("SUBSIDY_DOCUMENT_CERT_PASSWORD") or None
    for key in ("PAYER_NAME", "PAYER_BIN", "PAYER_IBAN", "PAYER_BIC"):
        settings[key] = os.environ.get(f"SUBSIDY_{key}", settings[key])
    if "SUBSIDY_TRUSTED_PROXIES" in os.environ:
        settings["TRUSTED_PROXIES"] = _proxy_count(os.environ["SUBSIDY_TRUSTED_PROXIES"])
    if "SUBSIDY_TRUSTED_HOSTS" in os.environ:
        settings["TRUSTED_HOSTS"] = _trusted_hosts(os.environ["SUBSIDY_TRUSTED_HOSTS"])
    if "SUBSIDY_RATELIMIT_STORAGE_URI" in os.environ:
        settings["RATELIMIT_STORAGE_URI"] = os.environ["SUBSIDY_RATELIMIT_STORAGE_URI"]
    # The owner's URL for `subsidy db upgrade` and `subsidy db grant-app-role`; None: the same
    # as the app's. Overriding the app's database (tests) also drops an inherited owner URL,
    # so that migrations never run against another database than the app's.
    # The log's C2SP identity and witnesses, parsed and checked by subsidy.audit.signing.
    settings["LOG_ORIGIN"] = os.environ.get("SUBSIDY_LOG_ORIGIN") or None
    settings["WITNESSES"] = os.environ.get("SUBSIDY_WITNESSES", "")
    settings["WITNESS_QUORUM"] = os.environ.get("SUBSIDY_WITNESS_QUORUM")
    settings["MIGRATE_DATABASE_URI"] = os.environ.get("SUBSIDY_MIGRATE_DATABASE_URL") or None
    if "SQLALCHEMY_DATABASE_URI" in overrides:
        settings["MIGRATE_DATABASE_URI"] = None
    if "PUBLIC_URL" in overrides:
        settings["PUBLIC_URL_CONFIGURED"] = True
    if "SUBSIDY_DATABASE_CONNECT_TIMEOUT" in os.environ:
        settings["DATABASE_CONNECT_TIMEOUT"] = _connect_timeout(
            os.environ["SUBSIDY_DATABASE_CONNECT_TIMEOUT"]
        )
    settings.update(overrides)
    _bound_connecting(settings)
    if env_name == "production" and not settings["TRUSTED_HOSTS"]:
        raise ValueError(
            "SUBSIDY_TRUSTED_HOSTS is required in production: the host names this service "
            "answers to, comma-separated (e.g. subsidy.example.kz); any other Host gets 400"
        )
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ.get("SUBSIDY_SECRET_KEY") or _read_or_create_secret(
            instance_path / "secret_key"
        )
    return settings
