"""Class voting rounds of the trainer mode (tables training_round and training_vote).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the two tables and their indexes."""
    op.create_table(
        "training_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("persona_id", sa.String(length=80), nullable=False),
        sa.Column("trainer_key_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_training_round_code", "training_round", ["code"], unique=True)
    op.create_index("ix_training_round_expires_at", "training_round", ["expires_at"])
    op.create_table(
        "training_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("participant_hash", sa.String(length=64), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["training_round.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_training_vote_participant",
        "training_vote",
        ["round_id", "participant_hash"],
        unique=True,
    )


def downgrade() -> None:
    """Drop the tables (open rounds and their votes go with them)."""
    op.drop_index("ix_training_vote_participant", table_name="training_vote")
    op.drop_table("training_vote")
    op.drop_index("ix_training_round_expires_at", table_name="training_round")
    op.drop_index("ix_training_round_code", table_name="training_round")
    op.drop_table("training_round")
