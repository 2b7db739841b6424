"""The login throttle around a sign-in (web form and API token alike).

Each attempt is counted under two keys: the account (the username as typed) with a
:class:`~subsidy.accounts.throttle.Progressive` policy and the client's address with a generous
:class:`~subsidy.accounts.throttle.Ceiling`. A browser or client that has signed in to this
account before carries a *device cookie* (signed, naming the username and a random id): its
attempts are counted under that device alone, so that someone guessing at an account from
elsewhere cannot lock its owner out (OWASP's "device cookies"). Keys are HMACs under the
session key: the table holds no username or address in clear."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer

from subsidy.accounts.throttle import Ceiling, Count, Progressive, wait_seconds
from subsidy.accounts.throttle_store import store
from subsidy.db import utcnow

DEVICE_COOKIE = "subsidy_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
_DEVICE_SALT = "subsidy.accounts.device"


@dataclass(frozen=True)
class Client:
    """Who is attempting, as the throttle sees them: the address and, if its device cookie was
    issued for this username, the device's id."""

    address: str
    device: str | None = None


def _policies() -> tuple[Progressive, Ceiling]:
    config = current_app.config
    account = Progressive(
        free=config["LOGIN_FREE_FAILURES"],
        first_delay=config["LOGIN_FIRST_DELAY"],
        max_delay=config["LOGIN_MAX_DELAY"],
    )
    address = Ceiling(limit=config["LOGIN_ADDRESS_CEILING"], window=config["LOGIN_ADDRESS_WINDOW"])
    return account, address


def _key(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _own_key(username: str, client: Client) -> str:
    """The key an attempt is counted under: its trusted device's, else the account's."""
    if client.device is not None:
        return _key("device", client.device)
    return _key("account", username)


def _enabled() -> bool:
    return bool(current_app.config.get("LOGIN_THROTTLE_ENABLED", True))


def begin(username: str, client: Client) -> int | None:
    """Charge this attempt to its account (or device); or, if that or the address must wait,
    charge nothing and return the seconds to wait (the answer's Retry-After).

    The account's count is changed with its key held until the request commits, and its time
    read once it is held: two workers never let more through than the limit. The address's
    ceiling is only read here and charged after a failure (:func:`failed`): it is generous, and
    holding it across the password check would queue every sign-in of a village behind one."""
    if not _enabled():
        return None
    account, address = _policies()
    if client.device is None:
        (count,) = store().read([_key("address", client.address)])
        now = utcnow()
        wait = wait_seconds(address.current(count, now), now)
        if wait is not None:
            return wait
    waited: list[int] = []

    def change(counts: list[Count | None]) -> list[Count | None] | None:
        now = utcnow()
        wait = wait_seconds(account.current(counts[0], now), now)
        if wait is not None:
            waited.append(wait)
            return None
        return [account.charged(counts[0], now)]

    store().change([_own_key(username, client)], change)
    return waited[0] if waited else None


def failed(username: str, client: Client) -> None:
    """The credentials were wrong: the address counts one more failure (the account's was
    charged by :func:`begin`). A trusted device's failures are its own alone."""
    if not _enabled() or client.device is not None:
        return
    _, address = _policies()
    store().change(
        [_key("address", client.address)],
        lambda counts: [address.charged(counts[0], utcnow())],
    )


def succeeded(username: str, client: Client) -> None:
    """The credentials were right: the account's (or device's) failures are forgotten."""
    if not _enabled():
        return
    account, _ = _policies()
    store().change(
        [_own_key(username, client)],
        lambda counts: [account.refunded(counts[0], utcnow())],
    )


# --- the HTTP side: the address and the device cookie ------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def client_for(username: str) -> Client:
    """This request's client, trusted as a device of ``username`` if its cookie says so."""
    device = None
    cookie = request.cookies.get(DEVICE_COOKIE)
    if cookie:
        try:
            value = _serializer().loads(cookie, max_age=DEVICE_MAX_AGE)
        except BadSignature:  # forged, or older than a year (SignatureExpired)
            value = None
        if isinstance(value, dict) and value.get("u") == username and value.get("d"):
            device = str(value["d"])
    return Client(address=get_remote_address() or "unknown", device=device)


def remember_device(response, username: str, client: Client) -> None:
    """After a success, give this client a device cookie for ``username`` (kept if it has one)."""
    if client.device is not None:
        return
    value = _serializer().dumps({"u": username, "d": secrets.token_urlsafe(16)})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
