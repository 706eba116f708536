"""Gaps: where the offer departs from what the evidence says matters (report part 3).

The texts live in rules/gaps.yaml; this module decides which gaps hold and fills in
their figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.advice.knowledge import GapDef
from app.catalogue.records import InitiativeRecord
from app.core.i18n import translations
from app.landscape.service import all_facet_counts, percent

PROVEN = (
    "mindfulness",
    "social_cognitive_training",
    "social_support",
    "psychological_intervention",
    "social_activities",
    "social_networks",
)
PERSON_AGE_GROUPS = ("children", "youth", "young_adults", "adults", "older")
DIMENSIONS = ("social", "emotional", "existential", "collective")
CONSENSUS_RISKS = ("poverty", "health_problems")
# Thresholds that make a gap worth naming; the project's choice, returned with each gap.
SINGLE_ELEMENT_DOMINANCE = 50.0  # % of initiatives relying on one element
ONE_ELEMENT_SHARE = 20.0  # % of initiatives with a single element
UNEVALUATED_SHARE = 50.0  # % with unknown effect-ladder level
CONSENSUS_RISK_MIN = 10.0  # % of initiatives addressing a consensus risk factor

Label = Callable[[str, str], str]
_ORDER = {"high": 0, "medium": 1, "info": 2}


@dataclass(frozen=True)
class Gap:
    kind: str
    key: str  # unique within a result, e.g. age-group-uncovered:children
    values: Mapping[str, str] = field(default_factory=dict)  # filled into the text
    figures: Mapping[str, Any] = field(default_factory=dict)

    def render(self, definitions: Mapping[str, GapDef], lang: str) -> dict[str, Any]:
        d = definitions[self.kind]
        values = dict(self.values)
        if "percent" in self.figures:
            text = f"{self.figures['percent']:.1f}"
            values["percent"] = text.replace(".", ",") if lang == "nl" else text
        if "all_ages" in self.figures:
            n = int(self.figures["all_ages"])
            noun = translations(lang).ngettext("{n} initiatief", "{n} initiatieven", n)
            values["all_ages"] = noun.format(n=n)
        return {
            "id": self.key,
            "kind": self.kind,
            "severity": d.severity,
            "text": d.text.get(lang).format(**values),
            "source": d.source,
            "figures": dict(self.figures),
        }


def find_gaps(
    records: Sequence[InitiativeRecord],
    label: Label,
    counts: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Gap]:
    """Every gap in this offer. `label(section, id)` names ids in the user's language;
    `counts` (from all_facet_counts) saves counting the records again."""
    n = len(records)
    if n == 0:
        return [Gap("no-offer", "no-offer", figures={"n": 0})]
    counts = counts if counts is not None else all_facet_counts(records)
    gaps: list[Gap] = []
    elements = counts["elements"]
    missing = [e for e in PROVEN if elements[e] == 0]
    if missing:
        names = ", ".join(label("elements", e) for e in missing)
        gaps.append(
            Gap(
                "proven-elements-missing",
                "proven-elements-missing",
                {"names": names},
                {"missing": missing},
            )
        )
    if counts["prevention_levels"]["tertiary"] == 0:
        gaps.append(Gap("no-tertiary-offer", "no-tertiary-offer", figures={"tertiary": 0}))
    course = counts["course"]
    if course["chronic"] == 0 and course["transient"] == 0:
        gaps.append(Gap("course-not-distinguished", "course-not-distinguished"))
    ages = counts["age_groups"]
    for age in PERSON_AGE_GROUPS:
        if ages[age] == 0:
            group = label("age_groups", age).lower()
            kind = "age-group-only-general" if ages["all_ages"] else "age-group-uncovered"
            gaps.append(
                Gap(
                    kind,
                    f"{kind}:{age}",
                    {"group": group},
                    {"age_group": age, "explicit": 0, "all_ages": ages["all_ages"]},
                )
            )
    dims = counts["dimensions"]
    for dim in DIMENSIONS:
        if dims[dim] == 0:
            gaps.append(
                Gap(
                    "dimension-uncovered",
                    f"dimension-uncovered:{dim}",
                    {"dimension": label("dimensions", dim).lower()},
                    {"dimension": dim},
                )
            )
    top_id, top_count = max(elements.items(), key=lambda kv: kv[1])
    top_share = percent(top_count, n)
    if top_share > SINGLE_ELEMENT_DOMINANCE:
        gaps.append(
            Gap(
                "single-element-reliance",
                "single-element-reliance",
                {"element": label("elements", top_id).lower()},
                {"element": top_id, "percent": top_share, "threshold": SINGLE_ELEMENT_DOMINANCE},
            )
        )
    single_share = percent(counts["element_count"].get("1", 0), n)
    if single_share > ONE_ELEMENT_SHARE:
        gaps.append(
            Gap(
                "few-combinations",
                "few-combinations",
                {},
                {"percent": single_share, "threshold": ONE_ELEMENT_SHARE},
            )
        )
    risks = counts["risk_factors"]
    for risk in CONSENSUS_RISKS:
        share = percent(risks[risk], n)
        if share < CONSENSUS_RISK_MIN:
            gaps.append(
                Gap(
                    # "Only 0.0%" reads oddly: with none at all, say so.
                    "consensus-risk-rare" if share else "consensus-risk-absent",
                    f"consensus-risk-rare:{risk}",
                    {"risk": label("risk_factors", risk).lower()},
                    {"risk_factor": risk, "percent": share, "threshold": CONSENSUS_RISK_MIN},
                )
            )
    unknown_share = percent(counts["effect_ladder"]["unknown"], n)
    if unknown_share > UNEVALUATED_SHARE:
        gaps.append(
            Gap(
                "evaluation-unknown",
                "evaluation-unknown",
                {},
                {"percent": unknown_share, "threshold": UNEVALUATED_SHARE},
            )
        )
    return gaps


def render_gaps(
    gaps: Sequence[Gap], definitions: Mapping[str, GapDef], lang: str
) -> list[dict[str, Any]]:
    """Gaps as dicts, most serious first."""
    rendered = [g.render(definitions, lang) for g in gaps]
    return sorted(rendered, key=lambda g: _ORDER[g["severity"]])
