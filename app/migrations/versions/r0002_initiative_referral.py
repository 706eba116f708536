"""Referral details of an initiative (DOMAIN.md §6, v1.1): phone, email, address, last_verified.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add four nullable columns, so existing rows stay valid."""
    with op.batch_alter_table("initiative") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("last_verified", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop the four columns (SQLite recreates the table in batch mode)."""
    with op.batch_alter_table("initiative") as batch:
        batch.drop_column("last_verified")
        batch.drop_column("address")
        batch.drop_column("email")
        batch.drop_column("phone")
