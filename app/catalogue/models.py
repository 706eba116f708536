"""The catalogue's table: initiatives classified by the report's matrix (DOMAIN.md §5)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, event
from sqlmodel import Field, SQLModel

from app.catalogue.records import InitiativeRecord

LIST_FIELDS = (
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "course",
    "risk_factors",
    "approach",
)


def _now() -> datetime:
    return datetime.now(UTC)


def catalogue_key(name: str, municipality: str | None) -> tuple[str, str]:
    """What makes two rows the same initiative: name and municipality, without regard to
    case or spacing ("Buurtkoor", "Gent" and " buurtKOOR ", "GENT" are one)."""
    return (" ".join(name.casefold().split()), " ".join((municipality or "").casefold().split()))


def dedupe_key(name: str, municipality: str | None) -> str:
    """`catalogue_key` as the fixed-length text stored in Initiative.dedupe_key (a SHA-256 in
    hex, so that the unique index stays small on both databases whatever the name's length)."""
    joined = "\n".join(catalogue_key(name, municipality))  # split() left no newline in either
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


class InitiativeBase(SQLModel):
    name: str = Field(max_length=300, index=True)
    description: str | None = None
    goal: str | None = None
    website: str | None = Field(default=None, max_length=500)
    municipality: str | None = Field(default=None, max_length=100, index=True)
    postcode: str | None = Field(default=None, max_length=10)
    geographic_level: str | None = Field(default=None, max_length=20)
    primary_actor: str | None = Field(default=None, max_length=40)
    partners: str | None = None
    elements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prevention_levels: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    dimensions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    age_groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    course: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    risk_factors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    approach: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    effect_ladder: str | None = Field(default=None, max_length=10)
    evaluation: str | None = None
    # v1.1 referral details (DOMAIN.md §6); last_verified is when a person last checked them.
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    last_verified: date | None = None


class Initiative(InitiativeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    # dedupe_key(name, municipality), set on every insert and update (below): the unique
    # index keeps the catalogue at one row per initiative, even when imports run at once.
    dedupe_key: str = Field(default="", max_length=64, unique=True, index=True)
    # Archive instead of delete (revision 0007): an archived record leaves the advice, the
    # landscape, search and exports, but stays in the database and the audit log.
    archived_at: datetime | None = Field(default=None, index=True)

    def to_record(self) -> InitiativeRecord:
        assert self.id is not None
        return InitiativeRecord(
            id=self.id,
            name=self.name,
            description=self.description,
            website=self.website,
            municipality=self.municipality,
            geographic_level=self.geographic_level,
            primary_actor=self.primary_actor,
            elements=frozenset(self.elements),
            prevention_levels=frozenset(self.prevention_levels),
            dimensions=frozenset(self.dimensions),
            age_groups=frozenset(self.age_groups),
            course=frozenset(self.course),
            risk_factors=frozenset(self.risk_factors),
            approach=frozenset(self.approach),
            effect_ladder=self.effect_ladder,
            phone=self.phone,
            email=self.email,
            address=self.address,
            last_verified=self.last_verified,
            goal=self.goal,
        )


@event.listens_for(Initiative, "before_insert")
@event.listens_for(Initiative, "before_update")
def _set_dedupe_key(_mapper: Any, _connection: Any, target: Initiative) -> None:
    target.dedupe_key = dedupe_key(target.name, target.municipality)


class InitiativePublic(InitiativeBase):
    id: int


class SavedIntake(SQLModel, table=True):
    """An anonymous record, stored only when the professional explicitly chooses so.

    No names, no free text, no scale answers, no time of day: only the classified answers,
    the month, and the advised elements, for later landscape statistics.
    """

    __tablename__ = "saved_intake"

    id: int | None = Field(default=None, primary_key=True)
    # Random, e.g. "K7QM-3XDF-9P" (service.new_record_code): the worker notes it in the
    # client's file, so the record can be deleted if the client withdraws consent.
    code: str = Field(max_length=16, index=True, unique=True)
    month: str = Field(max_length=7)  # YYYY-MM
    age_group: str = Field(max_length=20)
    profile: str = Field(max_length=40)
    course: str = Field(max_length=12)
    dimensions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    socially_isolated: bool | None = None
    risk_factors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    djg6_band: str | None = Field(default=None, max_length=12)
    # Only an official name from data/municipalities.csv (service.official_municipality).
    municipality: str | None = Field(default=None, max_length=80)
    advised: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class CatalogueVersion(SQLModel, table=True):
    """One row (id 1) whose version goes up in the same transaction as every change of the
    initiatives (csvio.import_initiatives): each worker compares it with the version of its
    in-memory snapshot (service.CatalogueSnapshot), one tiny SELECT, to see that it is out
    of date."""

    __tablename__ = "catalogue_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=1)
    changed_at: datetime = Field(default_factory=_now)
