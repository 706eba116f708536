"""Settings from the environment (pydantic-settings), cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = f"sqlite:///{REPO_ROOT / 'instance' / 'eenzaamheidswijzer.db'}"
    rules_dir: Path = REPO_ROOT / "rules"
    catalogue_csv: Path = REPO_ROOT / "data" / "initiatives.csv"
    seed_catalogue: bool = True
    # Migrate and seed in the app's lifespan. `python -m app serve` does both once, before
    # its workers start, and turns this off for them (no two workers seeding at once).
    prepare_database: bool = True
    # Worker processes of `python -m app serve` when --workers is not given (the usual
    # variable of Docker images and platforms); unset: one per CPU.
    web_concurrency: int | None = Field(default=None, ge=1)
    # Largest request body accepted, in bytes (an intake is well under 2 KB).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # How often each worker asks the database whether the catalogue changed (one tiny
    # SELECT); a change is loaded in the background while requests use the old snapshot.
    # 0: never (one process that alone changes the catalogue).
    catalogue_check_seconds: float = Field(default=0.5, ge=0)
    # Anonymous saves (and withdrawals) per network address, and over all addresses, in
    # a sliding window: enough for a team, not for a script (issue 8: 500 saves in 5 s).
    save_limit_per_client: int = Field(default=10, ge=1)
    save_limit_overall: int = Field(default=120, ge=1)
    save_limit_window_seconds: float = Field(default=60.0, gt=0)
    # A record not checked by a person for this long shows as "niet recent nagekeken".
    stale_after_months: int = Field(default=12, ge=1)
    # Curators (/beheer): the key that signs their session cookies. Unset: a random key kept
    # in `secret_key_file`, shared by the workers of one machine; set SECRET_KEY where
    # several machines serve, or where instance/ is not kept.
    secret_key: SecretStr | None = None
    secret_key_file: Path = REPO_ROOT / "instance" / "secret_key"
    session_hours: float = Field(default=8.0, gt=0)
    # Failed logins in a row before an account is locked, and for how long.
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Class voting (trainer mode): a round and its votes are deleted this long after it opened.
    training_round_hours: float = Field(default=4.0, gt=0)

    @field_validator("web_concurrency", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """WEB_CONCURRENCY="" (set but empty, as some platforms do) means unset."""
        return None if isinstance(value, str) and not value.strip() else value


class SettingsError(ValueError):
    """A variable of the environment that the app cannot use, named in the message."""


def settings_problems(exc: ValidationError) -> str:
    """What is wrong, per environment variable (its name as set, never its value: it may
    be a secret or a database address with a password)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        variable = str(error["loc"][0]).upper() if error["loc"] else "?"
        problems.append(f"{variable}: {error['msg']}")
    return "; ".join(problems)


@lru_cache
def get_settings() -> Settings:
    """The settings, read once; SettingsError names each unusable variable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(settings_problems(exc)) from None
