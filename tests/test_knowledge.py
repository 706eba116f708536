"""The rules loader: the shipped knowledge is complete, a malformed file is named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from app.advice.knowledge import Knowledge, KnowledgeError, load_knowledge
from app.domain.vocabulary import ElementId, Evidence, RiskFactor
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
