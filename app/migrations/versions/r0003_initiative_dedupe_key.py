"""One row per initiative: a unique dedupe_key (normalised name and municipality).

Imports that ran at the same time could leave two rows for one initiative. This revision
removes such duplicates, keeping the oldest row (the lowest id), fills the key of every row
and adds a unique index on it. A downgrade drops the key; the removed duplicates stay gone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# Rows per statement when deleting duplicates and writing keys.
CHUNK = 500

initiative = sa.table(
    "initiative",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("municipality", sa.String()),
    sa.column("dedupe_key", sa.String()),
)


def dedupe_key(name: str, municipality: str | None) -> str:
    """A copy of app.catalogue.models.dedupe_key as it was at this revision: a migration
    must compute the same keys whatever the code becomes later."""
    name_key = " ".join(name.casefold().split())
    municipality_key = " ".join((municipality or "").casefold().split())
    return hashlib.sha256(f"{name_key}\n{municipality_key}".encode()).hexdigest()


def upgrade() -> None:
    """Add the column, remove duplicates (keeping the lowest id), fill the keys, then make
    the column required and unique."""
    with op.batch_alter_table("initiative") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    keys: dict[str, int] = {}
    duplicates: list[int] = []
    rows = conn.execute(
        sa.select(initiative.c.id, initiative.c.name, initiative.c.municipality).order_by(
            initiative.c.id
        )
    )
    for row_id, name, municipality in rows:
        key = dedupe_key(name, municipality)
        if key in keys:
            duplicates.append(row_id)
        else:
            keys[key] = row_id
    for start in range(0, len(duplicates), CHUNK):
        chunk = duplicates[start : start + CHUNK]
        conn.execute(sa.delete(initiative).where(initiative.c.id.in_(chunk)))
    update = (
        sa.update(initiative)
        .where(initiative.c.id == sa.bindparam("row_id"))
        .values(dedupe_key=sa.bindparam("key"))
    )
    pairs = [{"row_id": row_id, "key": key} for key, row_id in keys.items()]
    for start in range(0, len(pairs), CHUNK):
        conn.execute(update, pairs[start : start + CHUNK])
    with op.batch_alter_table("initiative") as batch:
        batch.alter_column("dedupe_key", existing_type=sa.String(length=64), nullable=False)
        batch.create_index("ix_initiative_dedupe_key", ["dedupe_key"], unique=True)


def downgrade() -> None:
    """Drop the index and the column (SQLite recreates the table in batch mode)."""
    with op.batch_alter_table("initiative") as batch:
        batch.drop_index("ix_initiative_dedupe_key")
        batch.drop_column("dedupe_key")
