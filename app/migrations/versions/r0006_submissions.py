"""Registrations by organisations waiting for a curator (table submission).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table and its indexes."""
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["claimed_by"], ["curator_user.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["curator_user.id"]),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiative.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_submission_reference", "submission", ["reference"], unique=True)
    op.create_index("ix_submission_status", "submission", ["status"])


def downgrade() -> None:
    """Drop the table (pending registrations go with it)."""
    op.drop_index("ix_submission_status", table_name="submission")
    op.drop_index("ix_submission_reference", table_name="submission")
    op.drop_table("submission")
