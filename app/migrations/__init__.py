"""Schema migrations (Alembic), configured in code so that they run from the installed package."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

log = logging.getLogger("eenzaamheidswijzer")

MIGRATIONS_DIR = Path(__file__).resolve().parent
# The schema that `SQLModel.metadata.create_all` made before migrations existed.
BASELINE_REVISION = "0001"
BASELINE_TABLES = frozenset({"initiative", "saved_intake"})
# PostgreSQL advisory lock held while migrating, so that workers starting at once take turns.
LOCK_KEY = 0x457A77  # "Ezw"


class SchemaError(RuntimeError):
    """The database holds tables whose revision cannot be told."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration without alembic.ini; env.py migrates `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision id of the migration scripts."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: not under migration control)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str | None:
    """Upgrade the database to the newest revision; return the revision it was at
    (None for an empty database).

    A database made by create_all before migrations existed has the baseline tables but no
    alembic_version table: it is stamped at the baseline first, then upgraded.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        before = current_revision(conn)
        if before == head_revision():
            # Checked here because loading Alembic's environment costs more than this query.
            return before
        if before is None:
            tables = set(inspect(conn).get_table_names()) & BASELINE_TABLES
            if tables == BASELINE_TABLES:
                command.stamp(alembic_config(conn), BASELINE_REVISION)
                log.info("stamped a database made before migrations at %s", BASELINE_REVISION)
                before = BASELINE_REVISION
            elif tables:
                raise SchemaError(
                    f"the database has table(s) {', '.join(sorted(tables))} but not all of "
                    f"{', '.join(sorted(BASELINE_TABLES))} and no alembic_version table: "
                    "its schema revision is unknown"
                )
        command.upgrade(alembic_config(conn), "head")
    log.info("upgraded the database schema from %s to %s", before or "nothing", head_revision())
    return before
