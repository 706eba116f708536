"""Curators' uploads between preview and confirmation, in the database (table pending_import):
every app container sees them, whichever one the proxy sends the confirmation to.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table and its indexes."""
    op.create_table(
        "pending_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_counter", sa.Integer(), nullable=False),
        sa.Column("browser", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["curator_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pending_import_token_hash", "pending_import", ["token_hash"], unique=True)
    op.create_index("ix_pending_import_created_at", "pending_import", ["created_at"])


def downgrade() -> None:
    """Drop the table (pending previews are forgotten: their curators upload again)."""
    op.drop_index("ix_pending_import_created_at", table_name="pending_import")
    op.drop_index("ix_pending_import_token_hash", table_name="pending_import")
    op.drop_table("pending_import")
