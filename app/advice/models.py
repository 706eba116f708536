"""What the engine returns: an Advice with its trace (the JSON shape of DOMAIN.md §7)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Reason(BaseModel):
    rule: str
    text: str
    source: str
    strength: str
    effect: str
    weight: float | None = None


class ProfileAdvice(BaseModel):
    id: str
    name: str | None
    direction: str
    caveats: str
    sources: list[str]
    strength: str


class ElementAdvice(BaseModel):
    id: str
    label: str
    evidence: str
    group: str
    score: float
    reasons: list[Reason]


class DiscouragedElement(BaseModel):
    id: str
    label: str
    reasons: list[Reason]


class Combination(BaseModel):
    elements: list[str]
    text: str
    source: str


class ApproachAdvice(BaseModel):
    id: str
    label: str
    reasons: list[Reason]


class ContactOut(BaseModel):
    name: str
    phone: str | None = None
    url: str | None = None
    note: str | None = None


class Signal(BaseModel):
    id: str
    level: str
    text: str
    source: str
    contacts: list[ContactOut] = Field(default_factory=list)


class InitiativeMatch(BaseModel):
    id: int
    name: str
    score: float
    elements: list[str]
    municipality: str | None
    geographic_level: str | None
    age_groups: list[str]
    effect_ladder: str | None
    website: str | None
    description: str | None
    reasons: list[str]


class Advice(BaseModel):
    profile: ProfileAdvice
    course: str
    course_basis: str
    scales: dict[str, dict[str, object]]
    dimensions: list[str]
    inferred_dimensions: list[str]
    elements: list[ElementAdvice]
    discouraged: list[DiscouragedElement]
    combination: Combination | None
    approach: ApproachAdvice
    initiatives: list[InitiativeMatch]
    signals: list[Signal]
    rules_fired: list[str]
