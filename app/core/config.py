"""Settings from the environment (pydantic-settings), cached."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = f"sqlite:///{REPO_ROOT / 'instance' / 'eenzaamheidswijzer.db'}"
    rules_dir: Path = REPO_ROOT / "rules"
    catalogue_csv: Path = REPO_ROOT / "data" / "initiatives.csv"
    seed_catalogue: bool = True
    # Largest request body accepted, in bytes (an intake is well under 2 KB).
    max_body_bytes: int = 64 * 1024
    # Seconds the in-memory catalogue snapshot used for matching stays fresh.
    catalogue_ttl_seconds: float = 10.0
    # Anonymous saves (and withdrawals) per network address, and over all addresses, in
    # a sliding window: enough for a team, not for a script (issue 8: 500 saves in 5 s).
    save_limit_per_client: int = 10
    save_limit_overall: int = 120
    save_limit_window_seconds: float = 60.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
