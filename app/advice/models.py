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
    elements: list[str]  # the advised elements it delivers, plan elements first
    municipality: str | None
    geographic_level: str | None
    age_groups: list[str]
    effect_ladder: str | None
    website: str | None
    description: str | None
    reasons: list[str]
    # v1.1 referral details and fit
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    # where it is from the person: municipality, region, flanders, elsewhere, unknown
    place: str = "unknown"
    plan_elements: list[str] = Field(default_factory=list)
    # discouraged elements it also contains, with why they are discouraged
    cautions: list[str] = Field(default_factory=list)
    caution_text: str | None = None


class PlanItem(BaseModel):
    """One element of the plan with a single plain line of why."""

    id: str
    label: str
    evidence: str
    why: str
    rule: str | None  # the rule behind `why`; None when the line says what the element is
    source: str
    strength: str
    client_text: str


class SharedReason(BaseModel):
    """A reason that holds for several elements, said once above the list."""

    rule: str
    text: str
    source: str
    strength: str
    elements: list[str]


class Resolution(BaseModel):
    """A conflict between rules that the engine resolved, and how."""

    element: str
    label: str
    outcome: str  # discouraged | not_in_plan
    text: str
    rules: list[str]
    source: str


class RegularService(BaseModel):
    """A kind of regular service where an element is usually found, with a search link."""

    id: str
    label: str
    description: str
    elements: list[str]
    url: str | None


class Coverage(BaseModel):
    """Which plan elements no reachable offer delivers, and where such help is usually found."""

    municipality: str | None
    local_found: bool  # an offer in the municipality or its region delivers a plan element
    uncovered: list[str]
    services: list[RegularService]


class Advice(BaseModel):
    profile: ProfileAdvice
    age_group: str
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
    # v1.1: the plan (3-5 element ids, the head of `elements`) and what explains it
    plan: list[str] = Field(default_factory=list)
    plan_items: list[PlanItem] = Field(default_factory=list)
    shared_reasons: list[SharedReason] = Field(default_factory=list)
    resolutions: list[Resolution] = Field(default_factory=list)
    # offers elsewhere, shown apart and collapsed, for inspiration only
    inspiration: list[InitiativeMatch] = Field(default_factory=list)
    coverage: Coverage | None = None
