"""Rules that keep the advice coherent with itself, checked over a broad intake space:
the profile's direction in the plan, crisis signs, the emotional dimension, isolation as a
small network, and a scale that says "not lonely" against a course only inferred."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from app.advice.engine import PLAN_MAX, advise, profile_direction
from app.advice.knowledge import Knowledge
from app.advice.models import Advice
from app.domain.intake import Intake, derive_facts

PROFILES = list(
    itertools.product(["situational", "structural"], [True, False], ["active", "passive"])
)
AGES = [8, 15, 22, 40, 67, 80]
DIMENSIONS: list[list[str]] = [[], ["social"], ["emotional"], ["existential"], ["collective"]]
EXTRA: list[dict[str, Any]] = [
    {},
    {"socially_isolated": True},
    {"socially_isolated": False, "risk_factors": ["caregiver", "living_alone"]},
    {"course": "transient"},
    {"duration_months": 30, "risk_factors": ["partner_loss"]},
    {"djg6": ["ja", "ja", "ja", "ja", "nee", "nee"]},
    {"crisis_signs": ["acute_crisis"]},
    {"crisis_signs": ["suicidal_thoughts", "acute_crisis"], "dimensions": ["existential"]},
]


def space() -> Iterator[dict[str, Any]]:
    for (nature, wants, coping), age, dims, extra in itertools.product(
        PROFILES, AGES, DIMENSIONS, EXTRA
    ):
        body: dict[str, Any] = {
            "age": age,
            "problem_nature": nature,
            "wants_contact": wants,
            "coping": coping,
            "dimensions": dims,
        }
        for key, value in extra.items():
            body[key] = sorted({*body.get(key, []), *value}) if key == "dimensions" else value
        yield body


def _advise(knowledge: Knowledge, body: dict[str, Any]) -> tuple[Intake, Advice]:
    intake = Intake.model_validate(body)
    return intake, advise(intake, knowledge)


def test_the_profile_direction_is_part_of_the_plan_when_it_ranks_high(
    knowledge: Knowledge,
) -> None:
    for body in space():
        intake, advice = _advise(knowledge, body)
        lead = profile_direction(derive_facts(intake), knowledge)
        assert lead, intake
        head = [e.id for e in advice.elements[:PLAN_MAX]]
        if lead & set(head):
            assert lead & set(advice.plan), (body, advice.plan, sorted(lead))
        assert advice.plan == [e.id for e in advice.elements][: len(advice.plan)]
        assert 3 <= len(advice.plan) <= PLAN_MAX


@pytest.mark.parametrize("age_group", ["adults", "older"])
def test_the_two_structural_profiles_that_want_contact_get_different_plans(
    knowledge: Knowledge, age_group: str
) -> None:
    base = {"age_group": age_group, "problem_nature": "structural", "wants_contact": True}
    _, active = _advise(knowledge, {**base, "coping": "active"})
    _, passive = _advise(knowledge, {**base, "coping": "passive"})
    assert active.plan != passive.plan
    # a steady, meaningful relationship: the direction of structural-need-passive
    assert {"meaningful_contact", "befriending"} & set(passive.plan)


def test_a_crisis_keeps_mindfulness_out_of_the_plan_and_orders_safety_by_sign(
    knowledge: Knowledge,
) -> None:
    for body in space():
        if not body.get("crisis_signs"):
            continue
        _, advice = _advise(knowledge, body)
        assert "mindfulness" not in advice.plan, body
        if len(body["crisis_signs"]) == 2:
            assert advice.plan[:2] == ["psychological_intervention", "health_welfare_care"]


def test_an_acute_crisis_prompts_to_ask_about_suicide_with_1813(knowledge: Knowledge) -> None:
    for lang in ("nl", "en"):
        intake = Intake.model_validate(
            {
                "age_group": "adults",
                "problem_nature": "situational",
                "wants_contact": False,
                "coping": "passive",
                "crisis_signs": ["acute_crisis"],
            }
        )
        advice = advise(intake, knowledge, lang=lang)
        first = advice.signals[0]
        assert first.id == "crisis-acute"
        assert "1813" in {c.phone for c in first.contacts}
        assert ("zelfdoding" if lang == "nl" else "suicide") in first.text


def test_emotional_loneliness_alone_keeps_group_activities_out_of_the_plan(
    knowledge: Knowledge,
) -> None:
    for body in space():
        if body["dimensions"] != ["emotional"] or body.get("crisis_signs"):
            continue
        _, advice = _advise(knowledge, body)
        if advice.dimensions != ["emotional"]:
            continue  # the scale found social loneliness too
        assert "social_activities" not in advice.plan, body
        assert "meeting" not in advice.plan, body


@pytest.mark.parametrize("small_network", ["risk_factor", "isolated"])
def test_the_persona_75_plus_counts_isolation_as_a_small_network(
    knowledge: Knowledge, small_network: str
) -> None:
    risks = ["low_perceived_control", "poverty"]
    body: dict[str, Any] = {
        "age": 78,
        "problem_nature": "structural",
        "wants_contact": True,
        "coping": "active",
    }
    if small_network == "isolated":
        body["socially_isolated"] = True
    else:
        risks.append("small_network")
    _, advice = _advise(knowledge, {**body, "risk_factors": risks})
    assert "persona-older-low-control" in [s.id for s in advice.signals]
    _, younger = _advise(knowledge, {**body, "age": 70, "risk_factors": risks})
    assert "persona-older-low-control" not in [s.id for s in younger.signals]


NOT_LONELY = ["nee", "nee", "nee", "ja", "ja", "ja"]  # total 0


@pytest.mark.parametrize(("wants", "coping"), [(True, "active"), (False, "passive")])
def test_not_lonely_on_the_scale_holds_back_chronic_treatment_inferred_from_structural(
    knowledge: Knowledge, wants: bool, coping: str
) -> None:
    body = {
        "age_group": "older",
        "problem_nature": "structural",
        "wants_contact": wants,
        "coping": coping,
        "socially_isolated": True,
        "djg6": NOT_LONELY,
    }
    _, advice = _advise(knowledge, body)
    assert advice.scales["djg6"]["band"] == "not_lonely"
    fired = set(advice.rules_fired)
    assert "chronic-maladaptive-cognition" not in fired
    assert "chronic-not-meeting" not in [s.id for s in advice.signals]
    # What keeps elements away from chronic loneliness still holds.
    assert "chronic-no-social-access" in fired
    assert "meeting" in {d.id for d in advice.discouraged}
    # A course the professional gives, or a duration, is taken as it is.
    for given in ({"course": "chronic"}, {"duration_months": 60}):
        _, told = _advise(knowledge, {**body, **given})
        assert "chronic-maladaptive-cognition" in set(told.rules_fired)
