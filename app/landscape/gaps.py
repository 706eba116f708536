"""Gaps: where the offer departs from what the evidence says matters (report part 3).

The texts live in rules/gaps.yaml; this module decides which gaps hold and fills in
their figures. Two kinds are kept apart: what the offer lacks ("missing") and what the
records do not say ("unknown": not coded, "unknown", or only "general"), so that a
coding habit is never reported as an absence. Gaps with one cause make one line that
lists what they concern.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.advice.knowledge import GapDef
from app.catalogue.records import InitiativeRecord
from app.core.i18n import translations
from app.landscape.facets import values_of
from app.landscape.service import all_facet_counts, percent
from app.landscape.wording import capitalise, count_phrase, is_singular, join_or, lower_first

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
CONSENSUS_RISK_MIN = 10.0  # % of initiatives addressing a consensus risk factor

Label = Callable[[str, str], str]
_ORDER = {"high": 0, "medium": 1, "info": 2}
_GROUP_ORDER = {"missing": 0, "unknown": 1}
PROVEN_EFFECT_LEVELS = ("3", "4")


@dataclass(frozen=True)
class Gap:
    kind: str
    key: str  # unique within a result, e.g. consensus-risk-rare:poverty
    # Filled into the text; a tuple of labels is written as a list ("a, b of c").
    values: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    figures: Mapping[str, Any] = field(default_factory=dict)
    subject: tuple[int, int] | None = None  # (count, n): the {subject} of the text
    number: int | None = None  # what the verb agrees with, when not the subject

    def render(self, definitions: Mapping[str, GapDef], lang: str) -> dict[str, Any]:
        d = definitions[self.kind]
        values: dict[str, str] = {
            k: join_or(v, lang) if isinstance(v, tuple) else v for k, v in self.values.items()
        }
        number = self.number
        if self.subject is not None:
            count, n = self.subject
            values["subject"] = count_phrase(count, n, lang)
            number = count if number is None else number
        if "all_ages" in self.figures:
            m = int(self.figures["all_ages"])
            noun = translations(lang).ngettext("{n} initiatief", "{n} initiatieven", m)
            values["all_ages"] = noun.format(n=m)
        text = d.text_one if d.text_one and number is not None and is_singular(number) else d.text
        return {
            "id": self.key,
            "kind": self.kind,
            "group": d.group,
            "severity": d.severity,
            "text": capitalise(text.get(lang).format(**values)),
            "source": d.source,
            "action": (
                {"text": d.action.text.get(lang), "source": d.action.source} if d.action else None
            ),
            "figures": dict(self.figures),
        }


def _labels(label: Label, section: str, ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(lower_first(label(section, i)) for i in ids)


def find_gaps(
    records: Sequence[InitiativeRecord],
    label: Label,
    counts: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Gap]:
    """Every gap in this offer. `label(section, id)` names ids in the user's language;
    `counts` (from all_facet_counts) saves counting the records again."""
    counts = counts if counts is not None else all_facet_counts(records)
    wanted = frozenset(DIMENSIONS)
    unspecified = sum(1 for r in records if not values_of(r, "dimensions") & wanted)
    return gaps_from_counts(len(records), counts, unspecified, label)


def gaps_from_counts(
    n: int, counts: Mapping[str, Mapping[str, int]], unspecified_dimensions: int, label: Label
) -> list[Gap]:
    """find_gaps from the counts alone: `n` initiatives, their all_facet_counts, and how
    many of them name none of the four dimensions."""
    if n == 0:
        return [Gap("no-offer", "no-offer", figures={"n": 0})]
    gaps: list[Gap] = []
    gaps += _element_gaps(counts, n, label)
    gaps += _prevention_gaps(counts, n)
    if counts["course"]["chronic"] == 0 and counts["course"]["transient"] == 0:
        gaps.append(Gap("course-not-distinguished", "course-not-distinguished"))
    gaps += _age_gaps(counts, n, label)
    gaps += _dimension_gaps(counts, n, unspecified_dimensions, label)
    gaps += _risk_gaps(counts, n, label)
    gaps += _evaluation_gaps(counts, n)
    return gaps


def _element_gaps(counts: Mapping[str, Mapping[str, int]], n: int, label: Label) -> list[Gap]:
    gaps: list[Gap] = []
    elements = counts["elements"]
    missing = [e for e in PROVEN if elements[e] == 0]
    if missing:
        gaps.append(
            Gap(
                "proven-elements-missing",
                "proven-elements-missing",
                {"names": _labels(label, "elements", missing)},
                {"missing": missing},
            )
        )
    top_id, top_count = max(elements.items(), key=lambda kv: kv[1])
    top_share = percent(top_count, n)
    if top_share > SINGLE_ELEMENT_DOMINANCE:
        gaps.append(
            Gap(
                "single-element-reliance",
                "single-element-reliance",
                {"element": lower_first(label("elements", top_id))},
                {
                    "element": top_id,
                    "count": top_count,
                    "n": n,
                    "percent": top_share,
                    "threshold": SINGLE_ELEMENT_DOMINANCE,
                },
                subject=(top_count, n),
            )
        )
    single = counts["element_count"].get("1", 0)
    single_share = percent(single, n)
    if single_share > ONE_ELEMENT_SHARE:
        gaps.append(
            Gap(
                "few-combinations",
                "few-combinations",
                figures={
                    "count": single,
                    "n": n,
                    "percent": single_share,
                    "threshold": ONE_ELEMENT_SHARE,
                },
                subject=(single, n),
            )
        )
    return gaps


def _prevention_gaps(counts: Mapping[str, Mapping[str, int]], n: int) -> list[Gap]:
    levels = counts["prevention_levels"]
    unknown = levels["unknown"]
    gaps: list[Gap] = []
    # Only a known level can show that tertiary work is absent.
    if levels["tertiary"] == 0 and unknown < n:
        gaps.append(Gap("no-tertiary-offer", "no-tertiary-offer", figures={"tertiary": 0}))
    if unknown:
        gaps.append(_unknown("prevention-unknown", unknown, n))
    return gaps


def _age_gaps(counts: Mapping[str, Mapping[str, int]], n: int, label: Label) -> list[Gap]:
    ages = counts["age_groups"]
    unknown = ages["unknown"]
    gaps: list[Gap] = []
    absent = [a for a in PERSON_AGE_GROUPS if ages[a] == 0]
    # When no initiative names an age group at all, nothing can be said to be absent.
    if absent and unknown < n:
        kind = "age-group-only-general" if ages["all_ages"] else "age-group-uncovered"
        gaps.append(
            Gap(
                kind,
                kind,
                {"groups": _labels(label, "age_groups", absent)},
                {"age_groups": absent, "explicit": 0, "all_ages": ages["all_ages"]},
            )
        )
    if unknown:
        gaps.append(_unknown("age-unknown", unknown, n))
    return gaps


def _dimension_gaps(
    counts: Mapping[str, Mapping[str, int]], n: int, unspecified: int, label: Label
) -> list[Gap]:
    """Initiatives described only as "general" (or not at all) neither cover nor miss a
    dimension: they are counted apart, as not specified."""
    absent = [d for d in DIMENSIONS if counts["dimensions"][d] == 0]
    names = _labels(label, "dimensions", absent)
    figures = {"dimensions": absent, "unspecified": unspecified, "n": n}
    if unspecified == n:
        return [
            Gap(
                "dimensions-none-specified",
                "dimensions-none-specified",
                {"dimensions": names},
                figures,
                subject=(unspecified, n),
            )
        ]
    gaps: list[Gap] = []
    if absent:
        gaps.append(
            Gap("dimension-uncovered", "dimension-uncovered", {"dimensions": names}, figures)
        )
    if unspecified:
        gaps.append(_unknown("dimensions-unspecified", unspecified, n))
    return gaps


def _risk_gaps(counts: Mapping[str, Mapping[str, int]], n: int, label: Label) -> list[Gap]:
    risks = counts["risk_factors"]
    gaps: list[Gap] = []
    absent = [r for r in CONSENSUS_RISKS if risks[r] == 0]
    if absent:
        gaps.append(
            Gap(
                "consensus-risk-absent",
                "consensus-risk-absent",
                {"risks": _labels(label, "risk_factors", absent)},
                {"risk_factors": absent, "threshold": CONSENSUS_RISK_MIN},
                number=len(absent),
            )
        )
    for risk in CONSENSUS_RISKS:
        share = percent(risks[risk], n)
        if risks[risk] and share < CONSENSUS_RISK_MIN:
            gaps.append(
                Gap(
                    "consensus-risk-rare",
                    f"consensus-risk-rare:{risk}",
                    {"risk": lower_first(label("risk_factors", risk))},
                    {
                        "risk_factor": risk,
                        "count": risks[risk],
                        "n": n,
                        "percent": share,
                        "threshold": CONSENSUS_RISK_MIN,
                    },
                    subject=(risks[risk], n),
                )
            )
    return gaps


def _evaluation_gaps(counts: Mapping[str, Mapping[str, int]], n: int) -> list[Gap]:
    ladder = counts["effect_ladder"]
    unknown = ladder["unknown"]
    gaps: list[Gap] = []
    if unknown < n and not any(ladder[level] for level in PROVEN_EFFECT_LEVELS):
        gaps.append(Gap("no-proven-effect", "no-proven-effect", figures={"levels": ["3", "4"]}))
    if unknown:
        gaps.append(_unknown("evaluation-unknown", unknown, n))
    return gaps


def _unknown(kind: str, count: int, n: int) -> Gap:
    """A note on the data: `count` of n initiatives do not say."""
    return Gap(
        kind,
        kind,
        figures={"count": count, "n": n, "percent": percent(count, n)},
        subject=(count, n),
    )


def render_gaps(
    gaps: Sequence[Gap], definitions: Mapping[str, GapDef], lang: str
) -> list[dict[str, Any]]:
    """Gaps as dicts: what is missing first, then what is not known; most serious first."""
    rendered = [g.render(definitions, lang) for g in gaps]
    return sorted(rendered, key=lambda g: (_GROUP_ORDER[g["group"]], _ORDER[g["severity"]]))
