"""Reading the anonymous records (saved_intake) back for the landscape's statistics.

Only the classified answers and the month are read: never the withdrawal code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from app.catalogue.models import SavedIntake


@dataclass(frozen=True)
class SeenIntake:
    """The part of a saved record the statistics use (DOMAIN.md ids only)."""

    month: str  # YYYY-MM
    municipality: str | None
    age_group: str
    profile: str
    course: str
    dimensions: tuple[str, ...] = ()
    socially_isolated: bool | None = None
    risk_factors: tuple[str, ...] = ()
    advised: tuple[str, ...] = ()


# Read by name: never the withdrawal code.
COLUMNS = (
    "month",
    "municipality",
    "age_group",
    "profile",
    "course",
    "dimensions",
    "socially_isolated",
    "risk_factors",
    "advised",
)


def saved_intakes(
    engine: Engine,
    municipality: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> list[SeenIntake]:
    """Records of one municipality (official name; None: all) from month `start` to `end`
    (YYYY-MM, inclusive; None: open)."""
    table = SavedIntake.__table__  # type: ignore[attr-defined]
    query = select(*(table.c[name] for name in COLUMNS))
    if municipality is not None:
        query = query.where(col(SavedIntake.municipality) == municipality)
    if start is not None:
        query = query.where(col(SavedIntake.month) >= start)
    if end is not None:
        query = query.where(col(SavedIntake.month) <= end)
    with Session(engine) as session:
        rows = session.execute(query).all()
    return [
        SeenIntake(
            month=row.month,
            municipality=row.municipality,
            age_group=row.age_group,
            profile=row.profile,
            course=row.course,
            dimensions=tuple(row.dimensions or ()),
            socially_isolated=row.socially_isolated,
            risk_factors=tuple(row.risk_factors or ()),
            advised=tuple(row.advised or ()),
        )
        for row in rows
    ]
