"""Inputs shared by every benchmark: realistic intakes, the shipped rules and catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.advice.knowledge import Knowledge, load_knowledge
from app.catalogue.csvio import parse_records
from app.catalogue.records import InitiativeRecord
from app.core.config import Settings
from app.domain.intake import Intake

REPO_ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = REPO_ROOT / "rules"
CATALOGUE_CSV = REPO_ROOT / "data" / "initiatives.csv"

# Sixteen intakes: every combination of problem_nature × wants_contact × coping twice,
# spread over the age groups, with and without dimensions, risk factors, DJG-6 answers,
# course/duration, municipality and (once) a crisis sign.
INTAKES: tuple[dict[str, Any], ...] = (
    # situational / wants contact / active
    {
        "age_group": "older",
        "problem_nature": "situational",
        "wants_contact": True,
        "coping": "active",
        "duration_months": 6,
        "dimensions": ["social"],
        "risk_factors": ["partner_loss", "living_alone", "older_age"],
        "djg6": ["ja", "min_of_meer", "nee", "nee", "nee", "ja"],
        "municipality": "Gent",
    },
    {
        "age_group": "young_adults",
        "problem_nature": "situational",
        "wants_contact": True,
        "coping": "active",
        "risk_factors": ["newcomer"],
        "municipality": "Gent",
    },
    # situational / wants contact / passive
    {
        "age_group": "adults",
        "problem_nature": "situational",
        "wants_contact": True,
        "coping": "passive",
        "course": "transient",
        "dimensions": ["emotional", "social"],
        "risk_factors": ["divorce", "relationship_problems"],
        "djg6": ["ja", "ja", "min_of_meer", "nee", "nee", "min_of_meer"],
        "municipality": "Gent",
    },
    {
        "age_group": "older",
        "problem_nature": "situational",
        "wants_contact": True,
        "coping": "passive",
        "socially_isolated": True,
        "risk_factors": ["health_problems", "physical_disability"],
    },
    # situational / no need / active
    {
        "age_group": "youth",
        "problem_nature": "situational",
        "wants_contact": False,
        "coping": "active",
        "dimensions": ["existential"],
        "risk_factors": ["none"],
        "municipality": "Gent",
    },
    {
        "age_group": "adults",
        "problem_nature": "situational",
        "wants_contact": False,
        "coping": "active",
        "duration_months": 3,
        "risk_factors": ["caregiver"],
        "djg6": ["nee", "min_of_meer", "nee", "ja", "ja", "ja"],
    },
    # situational / no need / passive
    {
        "age_group": "children",
        "problem_nature": "situational",
        "wants_contact": False,
        "coping": "passive",
        "dimensions": ["social"],
        "risk_factors": ["small_network"],
        "municipality": "Gent",
    },
    {
        "age_group": "young_adults",
        "problem_nature": "situational",
        "wants_contact": False,
        "coping": "passive",
        "risk_factors": ["psychological_vulnerability", "low_perceived_control"],
        "crisis_signs": ["suicidal_thoughts"],
        "djg6": ["ja", "ja", "ja", "nee", "nee", "nee"],
        "municipality": "Gent",
    },
    # structural / wants contact / active
    {
        "age_group": "adults",
        "problem_nature": "structural",
        "wants_contact": True,
        "coping": "active",
        "duration_months": 36,
        "dimensions": ["social", "collective"],
        "risk_factors": ["poverty", "low_education", "newcomer"],
        "municipality": "Gent",
    },
    {
        "age_group": "older",
        "problem_nature": "structural",
        "wants_contact": True,
        "coping": "active",
        "risk_factors": ["living_alone", "no_partner"],
        "djg6": ["min_of_meer", "min_of_meer", "nee", "min_of_meer", "nee", "nee"],
    },
    # structural / wants contact / passive
    {
        "age_group": "older",
        "problem_nature": "structural",
        "wants_contact": True,
        "coping": "passive",
        "course": "chronic",
        "socially_isolated": True,
        "dimensions": ["emotional", "social", "existential"],
        "risk_factors": ["health_problems", "living_alone", "older_age", "partner_loss"],
        "djg6": ["ja", "min_of_meer", "nee", "nee", "nee", "ja"],
        "municipality": "Gent",
    },
    {
        "age_group": "youth",
        "problem_nature": "structural",
        "wants_contact": True,
        "coping": "passive",
        "risk_factors": ["lgbtq", "general_vulnerability"],
        "municipality": "Gent",
    },
    # structural / no need / active
    {
        "age_group": "adults",
        "problem_nature": "structural",
        "wants_contact": False,
        "coping": "active",
        "duration_months": 60,
        "dimensions": ["existential"],
        "risk_factors": ["mental_disability"],
    },
    {
        "age_group": "young_adults",
        "problem_nature": "structural",
        "wants_contact": False,
        "coping": "active",
        "risk_factors": ["other"],
        "djg6": ["nee", "nee", "nee", "ja", "ja", "min_of_meer"],
        "municipality": "Gent",
    },
    # structural / no need / passive
    {
        "age_group": "older",
        "problem_nature": "structural",
        "wants_contact": False,
        "coping": "passive",
        "socially_isolated": True,
        "dimensions": ["social", "emotional"],
        "risk_factors": ["poverty", "health_problems", "small_network", "living_alone"],
        "djg6": ["ja", "ja", "ja", "nee", "nee", "nee"],
        "municipality": "Gent",
    },
    {
        "age_group": "children",
        "problem_nature": "structural",
        "wants_contact": False,
        "coping": "passive",
        "course": "chronic",
    },
)


def parsed_intakes() -> list[Intake]:
    return [Intake.model_validate(data) for data in INTAKES]


def load_shipped_knowledge() -> Knowledge:
    return load_knowledge(RULES_DIR)


def load_catalogue_records() -> list[InitiativeRecord]:
    """The shipped CSV as records with ids 1..n, as the snapshot would hold them."""
    return list(parse_records(CATALOGUE_CSV.read_text(encoding="utf-8")))


def app_settings(database_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{database_path}")
