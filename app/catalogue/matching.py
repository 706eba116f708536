"""Rank catalogue initiatives by how well they deliver an advice (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from app.advice.models import InitiativeMatch
from app.catalogue.records import InitiativeRecord

# Weights of the matching score. Delivering advised elements dominates; fit on age,
# prevention level, dimension, risk factors, evidence and place refine the order.
ELEMENT_WEIGHT = 3.0
AGE_FIT = 1.0
PREVENTION_FIT = {"tertiary": 1.0, "secondary": 0.6, "primary": 0.0}
PREVENTION_FIT_NOT_LONELY = {"primary": 0.8, "secondary": 0.8, "tertiary": 0.0}
DIMENSION_FIT = 0.5
ISOLATION_FIT = 0.5
RISK_FIT = 0.5
LADDER_STEP = 0.15
SAME_MUNICIPALITY = 2.0
FLANDERS_WIDE = 0.6
ELSEWHERE = -1.0
DISCOURAGED_PENALTY = 1.0

_PHRASES = {
    "nl": {
        "offers": "biedt {elements}",
        "age": "richt zich op deze leeftijdsgroep",
        "all_ages": "voor alle leeftijden",
        "tertiary": "richt zich op mensen die al eenzaam zijn",
        "secondary": "richt zich op mensen met een verhoogd risico",
        "primary": "preventief aanbod voor iedereen",
        "dimension": "let op {what}",
        "isolation": "werkt ook aan sociaal isolement",
        "risk": "houdt rekening met {what}",
        "ladder": "effectladder niveau {level}",
        "same_place": "in {place}",
        "flanders": "aanbod voor heel Vlaanderen",
        "elsewhere": "elders ({place}): ter inspiratie",
    },
    "en": {
        "offers": "offers {elements}",
        "age": "targets this age group",
        "all_ages": "for all ages",
        "tertiary": "targets people who are already lonely",
        "secondary": "targets people at higher risk",
        "primary": "preventive offer for everyone",
        "dimension": "attends to {what}",
        "isolation": "also works on social isolation",
        "risk": "takes {what} into account",
        "ladder": "effect ladder level {level}",
        "same_place": "in {place}",
        "flanders": "available across Flanders",
        "elsewhere": "elsewhere ({place}): for inspiration",
    },
}


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """What matching needs from an advice."""

    element_scores: Mapping[str, float]  # advised elements, best first
    discouraged: frozenset[str]
    age_group: str
    lonely: bool  # False only when the scale says "not lonely"
    dimensions: frozenset[str]
    socially_isolated: bool | None
    risk_factors: frozenset[str]
    municipality: str | None
    limit: int = 8


def _norm(place: str | None) -> str:
    return " ".join((place or "").casefold().split())


def match_initiatives(
    req: MatchRequest,
    catalogue: Iterable[InitiativeRecord],
    label: Callable[[str, str], str],
    lang: str = "nl",
) -> list[InitiativeMatch]:
    """Initiatives that offer advised elements, best fit first.

    `label(section, id)` gives a display label (sections: elements, dimensions, risk_factors).
    """
    phrases = _PHRASES.get(lang, _PHRASES["nl"])
    top = max(req.element_scores.values(), default=0.0)
    if top <= 0:
        return []
    place = _norm(req.municipality)
    risks = req.risk_factors - {"none", "other"}
    # Sort key: reachable offers (same municipality, or not bound to another one) come
    # before local offers elsewhere, which are shown for inspiration only.
    scored: list[tuple[int, float, str, InitiativeMatch]] = []
    for ini in catalogue:
        offered = [e for e in req.element_scores if e in ini.elements]
        if not offered:
            continue
        if ini.age_groups and not (
            req.age_group in ini.age_groups or ini.age_groups & {"all_ages", "unknown"}
        ):
            continue  # an offer for another age group does not fit this person
        bad = ini.elements & req.discouraged
        score = ELEMENT_WEIGHT * sum(req.element_scores[e] / top for e in offered)
        score -= DISCOURAGED_PENALTY * len(bad)
        why = [phrases["offers"].format(elements=", ".join(label("elements", e) for e in offered))]

        if req.age_group in ini.age_groups:
            score += AGE_FIT
            why.append(phrases["age"])
        elif "all_ages" in ini.age_groups:
            score += AGE_FIT / 2
            why.append(phrases["all_ages"])

        fit_table = PREVENTION_FIT if req.lonely else PREVENTION_FIT_NOT_LONELY
        levels = [
            lvl for lvl in ("tertiary", "secondary", "primary") if lvl in ini.prevention_levels
        ]
        if levels:
            best = max(levels, key=lambda lvl: fit_table[lvl])
            if fit_table[best] > 0:
                score += fit_table[best]
                why.append(phrases[best])

        dims = req.dimensions & ini.dimensions
        if dims:
            score += DIMENSION_FIT * len(dims)
            what = ", ".join(label("dimensions", d) for d in sorted(dims))
            why.append(phrases["dimension"].format(what=what.lower()))
        if req.socially_isolated and "social_isolation" in ini.dimensions:
            score += ISOLATION_FIT
            why.append(phrases["isolation"])
        shared = risks & ini.risk_factors
        if shared:
            score += RISK_FIT * len(shared)
            what = ", ".join(label("risk_factors", r) for r in sorted(shared))
            why.append(phrases["risk"].format(what=what.lower()))
        if ini.effect_ladder and ini.effect_ladder.isdigit():
            score += LADDER_STEP * int(ini.effect_ladder)
            if int(ini.effect_ladder) >= 2:
                why.append(phrases["ladder"].format(level=ini.effect_ladder))

        here = _norm(ini.municipality)
        elsewhere = bool(place and here and here != place)
        if place and here == place:
            score += SAME_MUNICIPALITY
            why.append(phrases["same_place"].format(place=ini.municipality))
        elif ini.geographic_level == "flanders" or (not here and ini.geographic_level != "local"):
            score += FLANDERS_WIDE
            why.append(phrases["flanders"])
        elif elsewhere:
            score += ELSEWHERE
            why.append(phrases["elsewhere"].format(place=ini.municipality))

        match = InitiativeMatch(
            id=ini.id,
            name=ini.name,
            score=round(score, 2),
            elements=offered,
            municipality=ini.municipality,
            geographic_level=ini.geographic_level,
            age_groups=sorted(ini.age_groups),
            effect_ladder=ini.effect_ladder,
            website=ini.website,
            description=ini.description,
            reasons=why,
        )
        scored.append((int(elsewhere), score, ini.name.casefold(), match))
    scored.sort(key=lambda t: (t[0], -t[1], t[2]))
    return [t[3] for t in scored[: req.limit]]
