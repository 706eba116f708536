"""Intake facts: the 6-item scale, the course and the profile."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.intake import Intake, derive_facts
from app.domain.scales import DJG6_ITEMS, score_djg6
from app.domain.vocabulary import DjgAnswer, DjgBand

BASE = {
    "age_group": "adults",
    "problem_nature": "situational",
    "wants_contact": True,
    "coping": "active",
}


def test_djg6_items_are_the_published_dutch_wording() -> None:
    # de Jong Gierveld & van Tilburg (2006), in the order the scoring expects:
    # three emotional items, then three (reverse-keyed) social items.
    assert DJG6_ITEMS == (
        ("emotional", "Ik ervaar een leegte om me heen."),
        ("emotional", "Ik mis mensen om me heen."),
        ("emotional", "Vaak voel ik me in de steek gelaten."),
        ("social", "Er zijn genoeg mensen op wie ik in geval van narigheid kan terugvallen."),
        ("social", "Ik heb veel mensen op wie ik volledig kan vertrouwen."),
        ("social", "Er zijn voldoende mensen met wie ik me nauw verbonden voel."),
    )


@pytest.mark.parametrize(
    ("answers", "total", "emotional", "social", "band"),
    [
        # the example of DOMAIN.md §7
        (["ja", "min_of_meer", "nee", "nee", "nee", "ja"], 4, 2, 2, DjgBand.moderate),
        (["nee", "nee", "nee", "ja", "ja", "ja"], 0, 0, 0, DjgBand.not_lonely),
        (["min_of_meer", "nee", "nee", "ja", "ja", "ja"], 1, 1, 0, DjgBand.not_lonely),
        (["nee", "nee", "nee", "min_of_meer", "ja", "ja"], 1, 0, 1, DjgBand.not_lonely),
        (["ja", "nee", "nee", "ja", "nee", "ja"], 2, 1, 1, DjgBand.moderate),
        (["ja", "ja", "ja", "nee", "min_of_meer", "ja"], 5, 3, 2, DjgBand.severe),
        (["ja", "ja", "ja", "nee", "nee", "nee"], 6, 3, 3, DjgBand.severe),
    ],
)
def test_djg6_scoring_and_bands(
    answers: list[str], total: int, emotional: int, social: int, band: DjgBand
) -> None:
    result = score_djg6([DjgAnswer(a) for a in answers])
    assert (result.total, result.emotional, result.social, result.band) == (
        total,
        emotional,
        social,
        band,
    )


@pytest.mark.parametrize(
    ("extra", "course", "basis"),
    [
        ({}, "transient", "problem_nature"),
        ({"problem_nature": "structural"}, "chronic", "problem_nature"),
        ({"duration_months": 23}, "transient", "duration"),
        ({"duration_months": 24}, "chronic", "duration"),
        ({"problem_nature": "structural", "duration_months": 3}, "transient", "duration"),
        ({"course": "chronic", "duration_months": 1}, "chronic", "given"),
    ],
)
def test_course_and_its_basis(extra: dict[str, object], course: str, basis: str) -> None:
    facts = derive_facts(Intake.model_validate({**BASE, **extra}))
    assert (facts.course.value, facts.course_basis.value) == (course, basis)


def test_profile_id_from_three_answers() -> None:
    facts = derive_facts(
        Intake.model_validate(
            {**BASE, "problem_nature": "structural", "wants_contact": False, "coping": "passive"}
        )
    )
    assert facts.profile_id == "structural-no_need-passive"


def test_scale_adds_dimensions_only_when_clearly_present() -> None:
    facts = derive_facts(
        Intake.model_validate(
            {
                **BASE,
                "dimensions": ["existential"],
                "djg6": ["ja", "ja", "nee", "ja", "ja", "min_of_meer"],
            }
        )
    )
    assert {d.value for d in facts.dimensions} == {"existential", "emotional"}
    assert {d.value for d in facts.inferred_dimensions} == {"emotional"}


@pytest.mark.parametrize(
    "bad",
    [
        {"wants_contact": "yes"},
        {"djg6": ["ja"] * 5},
        {"djg6": ["ja", "ja", "ja", "ja", "ja", "misschien"]},
        {"duration_months": -1},
        {"risk_factors": ["none", "poverty"]},
        {"dimensions": ["social_isolation"]},
        {"age_group": "all_ages"},
    ],
)
def test_invalid_intakes_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Intake.model_validate({**BASE, **bad})
