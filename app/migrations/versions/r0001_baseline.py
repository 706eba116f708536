"""The schema as SQLModel's create_all made it before migrations existed.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the initiative and saved_intake tables."""
    op.create_table(
        "initiative",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("goal", sa.String(), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("geographic_level", sa.String(length=20), nullable=True),
        sa.Column("primary_actor", sa.String(length=40), nullable=True),
        sa.Column("partners", sa.String(), nullable=True),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("prevention_levels", sa.JSON(), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("age_groups", sa.JSON(), nullable=False),
        sa.Column("course", sa.JSON(), nullable=False),
        sa.Column("risk_factors", sa.JSON(), nullable=False),
        sa.Column("approach", sa.JSON(), nullable=False),
        sa.Column("effect_ladder", sa.String(length=10), nullable=True),
        sa.Column("evaluation", sa.String(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_initiative_municipality", "initiative", ["municipality"])
    op.create_index("ix_initiative_name", "initiative", ["name"])
    op.create_table(
        "saved_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("age_group", sa.String(length=20), nullable=False),
        sa.Column("profile", sa.String(length=40), nullable=False),
        sa.Column("course", sa.String(length=12), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("socially_isolated", sa.Boolean(), nullable=True),
        sa.Column("risk_factors", sa.JSON(), nullable=False),
        sa.Column("djg6_band", sa.String(length=12), nullable=True),
        sa.Column("municipality", sa.String(length=80), nullable=True),
        sa.Column("advised", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_saved_intake_code", "saved_intake", ["code"], unique=True)


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("ix_saved_intake_code", table_name="saved_intake")
    op.drop_table("saved_intake")
    op.drop_index("ix_initiative_name", table_name="initiative")
    op.drop_index("ix_initiative_municipality", table_name="initiative")
    op.drop_table("initiative")
