"""Properties of the engine that hold for every intake."""

from __future__ import annotations

import itertools

import pytest

from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.catalogue.records import InitiativeRecord
from app.domain.intake import Intake

AGE_GROUPS = ["children", "youth", "young_adults", "adults", "older"]


def all_profiles() -> list[dict[str, object]]:
    out = []
    for nature, wants, coping, age in itertools.product(
        ["situational", "structural"], [True, False], ["active", "passive"], AGE_GROUPS
    ):
        out.append(
            {"age_group": age, "problem_nature": nature, "wants_contact": wants, "coping": coping}
        )
    return out


@pytest.mark.parametrize("body", all_profiles(), ids=lambda b: "-".join(map(str, b.values())))
def test_invariants(
    body: dict[str, object], knowledge: Knowledge, catalogue: tuple[InitiativeRecord, ...]
) -> None:
    advice = advise(Intake.model_validate(body), knowledge, catalogue)
    advised = [e.id for e in advice.elements]
    avoid = {d.id for d in advice.discouraged}
    assert advised, "every intake gets advice"
    assert not set(advised) & avoid, "an element is never both advised and discouraged"
    scores = [e.score for e in advice.elements]
    assert scores == sorted(scores, reverse=True), "best first"
    for el in advice.elements:
        assert any(r.rule.startswith("evidence-") for r in el.reasons), "evidence tier shown"
        assert any(not r.rule.startswith("evidence-") for r in el.reasons), "a reason of fit"
        assert all(r.source for r in el.reasons)
    for d in advice.discouraged:
        assert d.reasons and all(r.effect == "discourage" for r in d.reasons)
    if advice.combination:
        groups = [
            next(e.group for e in advice.elements if e.id == c) for c in advice.combination.elements
        ]
        assert len(groups) == len(set(groups)), "a combination joins different groups"
    for match in advice.initiatives:
        assert set(match.elements) <= set(advised)


def test_deterministic(knowledge: Knowledge, catalogue: tuple[InitiativeRecord, ...]) -> None:
    intake = Intake.model_validate(
        {
            "age_group": "older",
            "problem_nature": "situational",
            "wants_contact": True,
            "coping": "passive",
            "risk_factors": ["poverty", "living_alone", "caregiver"],
            "dimensions": ["emotional", "social"],
            "municipality": "Gent",
        }
    )
    first = advise(intake, knowledge, catalogue).model_dump()
    for _ in range(5):
        assert advise(intake, knowledge, catalogue).model_dump() == first


def test_english_texts(knowledge: Knowledge) -> None:
    intake = Intake.model_validate(
        {
            "age_group": "adults",
            "problem_nature": "structural",
            "wants_contact": True,
            "coping": "active",
        }
    )
    nl = advise(intake, knowledge, lang="nl")
    en = advise(intake, knowledge, lang="en")
    assert [e.id for e in nl.elements] == [e.id for e in en.elements]
    assert nl.elements[0].label != en.elements[0].label
    assert "chronic" in en.elements[0].reasons[1].text.lower()


def test_without_catalogue_no_initiatives(knowledge: Knowledge) -> None:
    intake = Intake.model_validate(
        {
            "age_group": "adults",
            "problem_nature": "situational",
            "wants_contact": True,
            "coping": "active",
        }
    )
    assert advise(intake, knowledge).initiatives == []


def test_municipality_is_matched_case_insensitively(
    knowledge: Knowledge, catalogue: tuple[InitiativeRecord, ...]
) -> None:
    intake = Intake.model_validate(
        {
            "age": 80,
            "problem_nature": "situational",
            "wants_contact": True,
            "coping": "passive",
            "municipality": "  gent ",
        }
    )
    advice = advise(intake, knowledge, catalogue)
    assert advice.initiatives[0].municipality == "Gent"
    assert any("in Gent" in r for r in advice.initiatives[0].reasons)


def test_elsewhere_comes_after_reachable_offers(
    knowledge: Knowledge, catalogue: tuple[InitiativeRecord, ...]
) -> None:
    intake = Intake.model_validate(
        {
            "age_group": "older",
            "problem_nature": "situational",
            "wants_contact": True,
            "coping": "active",
            "municipality": "Hasselt",
        }
    )
    matches = advise(intake, knowledge, catalogue).initiatives
    elsewhere = [m.municipality is not None for m in matches]
    assert elsewhere == sorted(elsewhere), "local offers of other municipalities come last"
