"""Signed session cookies for curators, and the form tokens that go with them.

The cookie holds a user id, that user's session counter and an expiry time, signed with
HMAC-SHA256: `12.3.1765100000.<signature>`. Nothing else about the user travels, and a
cookie is honoured only while the user is active and the counter in the database is still
the one it names: logout and a password change raise the counter, which ends every
session issued before.

Each form under /beheer also carries a token derived from the session cookie (or, on the
login page, from a random login cookie), so a form that another site makes a browser post
fails even where the browser sends neither Sec-Fetch-Site nor Origin (app.core.security
checks those). The cookies are HttpOnly: a script on the page cannot read them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from app.core.config import Settings

log = logging.getLogger("eenzaamheidswijzer")

SESSION_COOKIE = "ezw_beheer"
LOGIN_COOKIE = "ezw_login"
# Only the pages under /beheer ever receive the cookies.
COOKIE_PATH = "/beheer"
LOGIN_COOKIE_SECONDS = 2 * 60 * 60
KEY_BYTES = 32


def signing_key(settings: Settings) -> bytes:
    """The key from SECRET_KEY, else the one kept in `secret_key_file` (made once)."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode("utf-8")
    return _key_from_file(settings.secret_key_file)


@lru_cache(maxsize=4)
def _key_from_file(path: Path) -> bytes:
    log.warning(
        "SECRET_KEY is not set: curator sessions are signed with the key in %s, which "
        "servers on other machines do not share",
        path,
    )
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two workers starting at once, one writes the key and both read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def _sign(key: bytes, purpose: str, message: str) -> str:
    mac = hmac.new(key, f"{purpose}|{message}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SessionClaim:
    """What a valid cookie says: whose session, at which counter, valid until when."""

    user_id: int
    counter: int
    expires: int  # Unix time


def encode_session(key: bytes, claim: SessionClaim) -> str:
    body = f"{claim.user_id}.{claim.counter}.{claim.expires}"
    return f"{body}.{_sign(key, 'session', body)}"


def decode_session(key: bytes, value: str | None, now: float) -> SessionClaim | None:
    """The claim of a well-formed, correctly signed, unexpired cookie; else None."""
    if not value or len(value) > 200:
        return None
    body, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _sign(key, "session", body)):
        return None
    try:
        user_id, counter, expires = (int(part) for part in body.split("."))
    except ValueError:
        return None
    if expires <= now:
        return None
    return SessionClaim(user_id, counter, expires)


def is_https(request: Request) -> bool:
    """Whether the browser reached us over TLS, also behind a proxy that says so.

    Trusting X-Forwarded-Proto here is safe: it can only add the Secure flag, and a client
    that fakes it merely gets a cookie its own browser will not send back over http.
    """
    if request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, samesite: str
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=is_https(request),
        samesite=samesite,  # type: ignore[arg-type]
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, httponly=True, secure=is_https(request), samesite="lax"
    )


def form_token(key: bytes, cookie_value: str, purpose: str = "form") -> str:
    """The token a form carries, tied to the cookie the same browser holds."""
    return _sign(key, purpose, cookie_value)


def token_matches(key: bytes, cookie_value: str | None, token: object, purpose: str) -> bool:
    if not cookie_value or not isinstance(token, str):
        return False
    return hmac.compare_digest(token, form_token(key, cookie_value, purpose))


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)
