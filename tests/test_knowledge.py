"""The rules loader: the shipped knowledge is complete, a malformed file is named precisely."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
import yaml

from app.advice.engine import advise
from app.advice.knowledge import Knowledge, KnowledgeError, Rule, load_knowledge
from app.advice.models import Advice
from app.domain.intake import Intake
from app.domain.vocabulary import AgeGroup, ElementId, Evidence, RiskFactor
from tests.conftest import RULES_DIR

PROVEN = {
    "mindfulness",
    "social_cognitive_training",
    "social_support",
    "psychological_intervention",
    "social_activities",
    "social_networks",
}


def test_every_element_is_described_with_sources(knowledge: Knowledge) -> None:
    assert set(knowledge.elements) == set(ElementId)
    for el in knowledge.elements.values():
        assert el.description.nl and el.description.en
        assert el.sources


def test_evidence_tiers_follow_the_report(knowledge: Knowledge) -> None:
    proven = {e.id.value for e in knowledge.elements.values() if e.evidence is Evidence.proven}
    assert proven == PROVEN
    assert knowledge.elements[ElementId.other].evidence is Evidence.none


def test_eight_profiles_with_derived_direction(knowledge: Knowledge) -> None:
    assert len(knowledge.profiles) == 8
    for profile in knowledge.profiles.values():
        assert profile.name is None  # the workbook's mapping is not public
        assert profile.strength.value == "derived"
        assert "afleiding" in profile.reasoning.nl.lower()


def test_vocabulary_covers_every_risk_factor(knowledge: Knowledge) -> None:
    assert set(knowledge.vocabulary["risk_factors"]) == {r.value for r in RiskFactor}


def test_every_rule_has_rationale_source_and_strength(knowledge: Knowledge) -> None:
    assert len(knowledge.rules) > 40
    for compiled in knowledge.rules:
        assert compiled.rule.source
        assert compiled.rule.rationale.nl and compiled.rule.rationale.en


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def _edit_rule(rules_dir: Path, file: str, rule_id: str, **changes: object) -> None:
    path = rules_dir / "rules" / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for rule in data["rules"]:
        if rule["id"] == rule_id:
            rule.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"when": {"course": "chronc"}}, "field 'when.course': unknown value 'chronc'"),
        ({"when": {"mood": "sad"}}, "field 'when.mood': unknown fact 'mood'"),
        ({"effects": [{"raise": "mindfulnes", "weight": 1}]}, "field 'effects[0].raise'"),
        ({"effects": [{"raise": "mindfulness"}]}, "raise, lower and approach need a weight"),
        ({"effects": [{"signal": "nope"}]}, "field 'effects[0].signal': unknown signal 'nope'"),
        ({"strength": "sure"}, "field 'strength'"),
        ({"when": {"risk_factor_count": {"atleast": 2}}}, "unknown operator 'atleast'"),
    ],
)
def test_malformed_rule_names_file_rule_and_field(
    rules_copy: Path, changes: dict[str, object], expected: str
) -> None:
    _edit_rule(rules_copy, "10_course.yaml", "chronic-maladaptive-cognition", **changes)
    with pytest.raises(KnowledgeError) as exc:
        load_knowledge(rules_copy)
    message = str(exc.value)
    assert "10_course.yaml" in message
    assert "rule 'chronic-maladaptive-cognition'" in message
    assert expected in message


def test_missing_source_is_reported(rules_copy: Path) -> None:
    path = rules_copy / "rules" / "20_age.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["rules"][0]["source"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        KnowledgeError, match=r"20_age.yaml: rule 'young-eccles-qualter': field 'source'"
    ):
        load_knowledge(rules_copy)


def test_duplicate_rule_id_across_files(rules_copy: Path) -> None:
    extra = rules_copy / "rules" / "99_extra.yaml"
    extra.write_text(
        (rules_copy / "rules" / "20_age.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"already defined in 20_age\.yaml"):
        load_knowledge(rules_copy)


def test_element_with_wrong_evidence_tier(rules_copy: Path) -> None:
    path = rules_copy / "elements.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    evidence: proven\n", "    evidence: proofed\n", 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        KnowledgeError, match=r"elements.yaml: element 'mindfulness': field 'evidence'"
    ):
        load_knowledge(rules_copy)


def test_profile_id_must_match_its_answers(rules_copy: Path) -> None:
    path = rules_copy / "profiles.yaml"
    text = path.read_text(encoding="utf-8").replace("coping: active", "coping: passive", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="profile 'situational-need-active'"):
        load_knowledge(rules_copy)


def test_invalid_yaml_is_reported_with_file(rules_copy: Path) -> None:
    (rules_copy / "signals.yaml").write_text("signals: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"signals\.yaml: not valid YAML"):
        load_knowledge(rules_copy)


def test_app_refuses_to_start_with_broken_rules(rules_copy: Path, tmp_path: Path) -> None:
    from app.core.config import Settings
    from app.main import create_app

    _edit_rule(rules_copy, "10_course.yaml", "chronic-maladaptive-cognition", when={"x": 1})
    with pytest.raises(KnowledgeError, match="unknown fact 'x'"):
        create_app(Settings(rules_dir=rules_copy, database_url=f"sqlite:///{tmp_path}/x.db"))


PROFILE_ANSWERS = list(
    itertools.product(["situational", "structural"], [True, False], ["active", "passive"])
)
YOUNG = ["children", "youth", "young_adults"]
# Eccles & Qualter (2021), recommendation 3.2.1 of the report.
YOUNG_FOUR = {"social_skills", "leisure", "social_support", "psychological_intervention"}


def _advice(knowledge: Knowledge, **body: object) -> Advice:
    return advise(Intake.model_validate(body), knowledge)


@pytest.mark.parametrize("age", YOUNG)
@pytest.mark.parametrize(("nature", "wants", "coping"), PROFILE_ANSWERS)
def test_the_four_youth_elements_lead_for_every_profile(
    knowledge: Knowledge, age: str, nature: str, wants: bool, coping: str
) -> None:
    advice = _advice(
        knowledge, age_group=age, problem_nature=nature, wants_contact=wants, coping=coping
    )
    top5 = [e.id for e in advice.elements[:5]]
    assert "leisure" in top5
    discouraged = {d.id: d for d in advice.discouraged}
    course_rules = {c.rule.id for c in knowledge.rules if c.file == "10_course.yaml"}
    for element in YOUNG_FOUR:
        if element in discouraged:
            # only a course or profile rule, with its stated reason, may hold one back
            for reason in discouraged[element].reasons:
                assert reason.rule in course_rules or reason.rule.startswith("profile-")
                assert reason.text
        else:
            assert element in top5, f"{element} not in {top5}"


@pytest.mark.parametrize("age", [a.value for a in AgeGroup])
@pytest.mark.parametrize(("nature", "wants", "coping"), PROFILE_ANSWERS)
def test_digital_technology_is_never_discouraged(
    knowledge: Knowledge, age: str, nature: str, wants: bool, coping: str
) -> None:
    # Shah et al. 2021 found no evidence of an effect in adults, which is not evidence of harm.
    advice = _advice(
        knowledge, age_group=age, problem_nature=nature, wants_contact=wants, coping=coping
    )
    assert "digital_technology" not in {d.id for d in advice.discouraged}


def _rule(knowledge: Knowledge, rule_id: str) -> Rule:
    return next(c.rule for c in knowledge.rules if c.rule.id == rule_id)


@pytest.mark.parametrize(
    ("rule_id", "strength", "source"),
    [
        ("digital-no-effect-adults", "literature", "Shah et al. 2021; Chen & Schulz 2016"),
        ("chronic-no-mindfulness", "derived", "Thomas More 2023"),
        ("transient-mindfulness", "derived", "Teoh et al. 2021; Thomas More 2023"),
        ("scale-not-lonely-prevention", "derived", "Teoh et al. 2021; Crowe et al. 2022"),
        ("isolated-no-need", "literature", "Machielse 2020"),
        ("isolated-no-need-other", "derived", "Machielse 2020"),
        ("chronic-treat-anxiety-bias-adults", "derived", None),
        ("combine-several-risk-factors", "derived", None),
        ("persona-older-low-control", "derived", None),
        ("risk-low-perceived-control", "derived", None),
        ("evidence-practice", "derived", "Thomas More 2023"),
    ],
)
def test_rule_strength_does_not_overclaim(
    knowledge: Knowledge, rule_id: str, strength: str, source: str | None
) -> None:
    rule = _rule(knowledge, rule_id)
    assert rule.strength.value == strength
    if source is not None:
        assert rule.source == source


def test_digital_rule_lowers_and_never_discourages(knowledge: Knowledge) -> None:
    kinds = {e.kind for e in _rule(knowledge, "digital-no-effect-adults").effects}
    assert kinds == {"lower"}


def test_machielse_2020_is_literature_only_for_long_isolated_older_people(
    knowledge: Knowledge,
) -> None:
    base = {"wants_contact": False, "coping": "active", "socially_isolated": True}
    older = _advice(knowledge, age_group="older", problem_nature="structural", **base)
    assert "isolated-no-need" in older.rules_fired
    assert "isolated-no-need-other" not in older.rules_fired
    for age, nature in [
        ("youth", "structural"),
        ("adults", "structural"),
        ("older", "situational"),
    ]:
        other = _advice(knowledge, age_group=age, problem_nature=nature, **base)
        assert "isolated-no-need" not in other.rules_fired
        assert "isolated-no-need-other" in other.rules_fired


def test_persona_requires_older_age(knowledge: Knowledge) -> None:
    base = {"problem_nature": "situational", "wants_contact": True, "coping": "active"}
    three = ["low_perceived_control", "small_network", "poverty"]
    without = _advice(knowledge, age_group="older", risk_factors=three, **base)
    assert "persona-older-low-control" not in without.rules_fired
    with_age = _advice(knowledge, age_group="older", risk_factors=[*three, "older_age"], **base)
    assert "persona-older-low-control" in with_age.rules_fired
