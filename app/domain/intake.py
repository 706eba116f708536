"""The intake a professional fills in, and the facts the engine derives from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.domain.places import load_places
from app.domain.scales import Djg6Result, score_djg6
from app.domain.vocabulary import (
    AgeGroup,
    Coping,
    Course,
    CourseBasis,
    CrisisSign,
    Dimension,
    DjgAnswer,
    ProblemNature,
    RiskFactor,
)

# Age bands of the intake (DOMAIN.md §2; the project's convention, shown in the UI).
AGE_BANDS: tuple[tuple[AgeGroup, int, int | None], ...] = (
    (AgeGroup.children, 0, 11),
    (AgeGroup.youth, 12, 17),
    (AgeGroup.young_adults, 18, 25),
    (AgeGroup.adults, 26, 59),
    (AgeGroup.older, 60, None),
)
# The persona of de Jong-Gierveld & van Tilburg (2022) starts at 75.
OLDER_AGE_FROM = 75


def age_group_for(age: int) -> AgeGroup:
    """The age group an age in years falls in."""
    for group, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return group
    raise ValueError(f"no age group for {age}")


# Young (1982) called loneliness chronic when it lasts two or more consecutive years;
# Machielse & Ariaans (2020) describe structural problems as lasting "many years".
CHRONIC_FROM_MONTHS = 24


def _unique(values: list[object]) -> list[object]:
    return list(dict.fromkeys(values))


class Intake(BaseModel):
    """Answers of one intake (DOMAIN.md §7); never stored unless the user saves it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Required unless `age` is given (v1.1); then it derives from the age.
    age_group: AgeGroup
    problem_nature: ProblemNature
    wants_contact: StrictBool
    coping: Coping
    course: Course | None = None
    # Strict: true, "60" and 60.0 are refused, not read as a number of months.
    duration_months: Annotated[int, Field(strict=True, ge=0, le=1200)] | None = None
    dimensions: list[Dimension] = Field(default_factory=list, max_length=4)
    socially_isolated: StrictBool | None = None
    risk_factors: list[RiskFactor] = Field(default_factory=list, max_length=20)
    djg6: list[DjgAnswer] | None = Field(default=None, min_length=6, max_length=6)
    municipality: Annotated[str, Field(max_length=80)] | None = None
    crisis_signs: list[CrisisSign] = Field(default_factory=list, max_length=2)
    age: Annotated[int, Field(strict=True, ge=0, le=120)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _age_group_from_age(cls, data: object) -> object:
        """v1.1: an age in years stands in for the age group; the two must agree."""
        if not isinstance(data, dict) or data.get("age") is None:
            return data
        age = data["age"]
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120:
            return data  # the field validator reports it
        if data.get("age_group") is None:
            return {**data, "age_group": age_group_for(age).value}
        return data  # both given: `age` checks that they agree (_age_fits_group)

    @field_validator("age")
    @classmethod
    def _age_fits_group(cls, age: int | None, info: ValidationInfo) -> int | None:
        """Both given: the age group must be the one the age derives (§2). A field error on
        `age`, so that the other fields' errors are reported beside it."""
        given = info.data.get("age_group")
        if age is None or given is None:
            return age  # a refused age_group is reported on its own field
        derived = age_group_for(age)
        if given is not derived:
            raise ValueError(
                f"does not fit age_group '{given.value}': age {age} is '{derived.value}'"
            )
        return age

    # Before validation, so a repeated id does not count against max_length: more
    # distinct values than exist are still refused. null reads as an empty list, as the
    # field's default (a client that sends `"crisis_signs": null` means "none").
    @field_validator("dimensions", "risk_factors", "crisis_signs", mode="before")
    @classmethod
    def _dedupe(cls, values: object) -> object:
        if values is None:
            return []
        if not isinstance(values, list):
            return values  # the field's own validation reports it
        try:
            return _unique(values)
        except TypeError:  # an unhashable item (an object); validation names it
            return values

    @field_validator("municipality")
    @classmethod
    def _clean_municipality(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value:
            return None
        # One of the current municipalities (after the 2025 mergers); a former name or a
        # postcode is read as the municipality it now belongs to.
        places = load_places()
        found = places.find(value)
        if found is None:
            close = ", ".join(m.name for m in places.suggest(value, limit=3))
            hint = f"; did you mean {close}?" if close else ""
            raise ValueError(f"unknown Flemish or Brussels municipality{hint}")
        return found.name

    @field_validator("risk_factors")
    @classmethod
    def _none_is_exclusive(cls, risks: list[RiskFactor]) -> list[RiskFactor]:
        if RiskFactor.none in risks and len(risks) > 1:
            raise ValueError("'none' cannot be combined with other risk factors")
        return risks


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the rules may look at: the intake plus what is derived from it."""

    intake: Intake
    profile_id: str
    course: Course
    course_basis: CourseBasis
    djg6: Djg6Result | None
    dimensions: frozenset[Dimension]
    inferred_dimensions: frozenset[Dimension]
    risk_factors: frozenset[RiskFactor]
    risk_factor_count: int

    def as_mapping(self) -> dict[str, object]:
        """Fact name → value, as the rules files name them."""
        i = self.intake
        return {
            "age_group": i.age_group,
            "age": i.age,
            "problem_nature": i.problem_nature,
            "wants_contact": i.wants_contact,
            "coping": i.coping,
            "profile": self.profile_id,
            "course": self.course,
            "course_basis": self.course_basis,
            "duration_months": i.duration_months,
            "dimensions": self.dimensions,
            "socially_isolated": i.socially_isolated,
            "risk_factors": self.risk_factors,
            "risk_factor_count": self.risk_factor_count,
            "djg6_band": self.djg6.band if self.djg6 else None,
            "djg6_total": self.djg6.total if self.djg6 else None,
            "djg6_emotional": self.djg6.emotional if self.djg6 else None,
            "djg6_social": self.djg6.social if self.djg6 else None,
            "crisis_signs": frozenset(i.crisis_signs),
        }


def profile_id(intake: Intake) -> str:
    """Machielse & Ariaans (2020) profile id from the three answers."""
    need = "need" if intake.wants_contact else "no_need"
    return f"{intake.problem_nature}-{need}-{intake.coping}"


def derive_course(intake: Intake) -> tuple[Course, CourseBasis]:
    """Course as given, else from the duration, else from the nature of the problem."""
    if intake.course is not None:
        return intake.course, CourseBasis.given
    if intake.duration_months is not None:
        chronic = intake.duration_months >= CHRONIC_FROM_MONTHS
        return (Course.chronic if chronic else Course.transient), CourseBasis.duration
    if intake.problem_nature is ProblemNature.structural:
        return Course.chronic, CourseBasis.problem_nature
    return Course.transient, CourseBasis.problem_nature


# A subscale score of 2 or 3 (a majority of its three items) is read as that
# dimension being clearly present; the project's choice, stricter than the manual's 1-3.
SUBSCALE_PRESENT_FROM = 2


def derive_facts(intake: Intake) -> Facts:
    """Derive profile, course, scale scores and effective dimensions."""
    course, basis = derive_course(intake)
    djg6 = score_djg6(intake.djg6) if intake.djg6 else None
    given = frozenset(intake.dimensions)
    inferred: set[Dimension] = set()
    if djg6 is not None:
        if djg6.emotional >= SUBSCALE_PRESENT_FROM:
            inferred.add(Dimension.emotional)
        if djg6.social >= SUBSCALE_PRESENT_FROM:
            inferred.add(Dimension.social)
    inferred_only = frozenset(inferred - given)
    risks = set(intake.risk_factors)
    if intake.age is not None and intake.age >= OLDER_AGE_FROM:
        risks.add(RiskFactor.older_age)  # DOMAIN.md §2: 75+ is the persona's older age
        risks.discard(RiskFactor.none)
    specific = risks - {RiskFactor.none, RiskFactor.other}
    return Facts(
        intake=intake,
        profile_id=profile_id(intake),
        course=course,
        course_basis=basis,
        djg6=djg6,
        dimensions=given | inferred_only,
        inferred_dimensions=inferred_only,
        risk_factors=frozenset(risks),
        risk_factor_count=len(specific),
    )
