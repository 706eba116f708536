"""A plain, immutable view of one initiative, shared by matching and the landscape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class InitiativeRecord:
    id: int
    name: str
    description: str | None
    website: str | None
    municipality: str | None
    geographic_level: str | None
    primary_actor: str | None
    elements: frozenset[str]
    prevention_levels: frozenset[str]
    dimensions: frozenset[str]
    age_groups: frozenset[str]
    course: frozenset[str]
    risk_factors: frozenset[str]
    approach: frozenset[str]
    effect_ladder: str | None
    # v1.1 referral details; defaults keep records built without them valid.
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    last_verified: date | None = None
    # What the initiative wants to achieve; searched by /aanbod (issue 11).
    goal: str | None = None
