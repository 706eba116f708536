"""Alembic environment: migrates the connection that app.migrations hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

# Imported for their tables: autogenerate compares the migrated schema with these models.
import app.auth.models
import app.catalogue.models  # noqa: F401
from app.catalogue import (
    pending_imports,  # noqa: F401
    submissions,  # noqa: F401
)
from app.training import voting  # noqa: F401


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on one connection, inside its transaction."""
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite cannot alter most column properties in place: batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: use `python -m app db`")
connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise SystemExit("run migrations through `python -m app db` (app.migrations), not alembic")
run_migrations(connection)
