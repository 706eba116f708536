"""Password hashing with argon2 (pwdlib): hashes are stored, passwords never."""

from __future__ import annotations

import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.i18n import gettext_

# Long enough to resist guessing once the lock-out has been waited out; the upper bound
# keeps one hash cheap (argon2 reads the whole password).
MIN_LENGTH = 12
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, with its own salt and parameters."""
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Whether `password` matches the hash, and a new hash when the stored one uses weaker
    parameters than today's (then store it)."""
    return _hasher().verify_and_update(password, password_hash)


def burn_time(password: str) -> None:
    """Verify against a throw-away hash: a login for an unknown address takes as long as
    one for a known address, so the time does not tell whether an account exists."""
    _hasher().verify(password, _dummy_hash())


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in the current language; None if it is fine."""
    if len(password) < MIN_LENGTH:
        return gettext_("Kies een wachtwoord van minstens {n} tekens.").format(n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return gettext_("Kies een wachtwoord van hoogstens {n} tekens.").format(n=MAX_LENGTH)
    return None


def generate_password() -> str:
    """A random password to hand over once (16 characters, about 96 bits)."""
    return secrets.token_urlsafe(12)
