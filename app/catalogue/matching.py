"""Rank catalogue initiatives by how well they deliver an advice (pure, no I/O).

An initiative is offered only when it delivers an advised element, fits the person's
age, and is meant for a group the person belongs to. Crisis and listening lines are
never offers: they live in the safety signals (DOMAIN.md §7 v1.1). Offers are ordered by
place first (own municipality, the region, Flanders-wide); local offers elsewhere, or
whose place is unknown, go to a separate list for inspiration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from app.advice.models import InitiativeMatch
from app.catalogue.records import InitiativeRecord
from app.domain.places import Municipality, Places, Proximity, load_places

# Weights of the matching score. Delivering plan elements dominates; other advised
# elements count less; fit on age, prevention level, dimension, risk factors, evidence
# and distance refine the order within a place tier.
PLAN_WEIGHT = 3.0
OTHER_WEIGHT = 1.0
AGE_FIT = 1.0
PREVENTION_FIT = {"tertiary": 1.0, "secondary": 0.6, "primary": 0.0}
PREVENTION_FIT_NOT_LONELY = {"primary": 0.8, "secondary": 0.8, "tertiary": 0.0}
DIMENSION_FIT = 0.5
ISOLATION_FIT = 0.5
RISK_FIT = 0.5
LADDER_STEP = 0.15
SAME_ARRONDISSEMENT = 0.5
DISCOURAGED_PENALTY = 1.5

# An initiative's risk factors name the groups it is meant for (DOMAIN.md §6); these
# ids restrict nobody.
OPEN_TARGETS = frozenset({"none", "other", "general_vulnerability"})

PLACE_ORDER = {"municipality": 0, "region": 1, "flanders": 2}

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
        "risk": "bedoeld voor {what}",
        "ladder": "effectladder niveau {level}",
        "same_place": "in {place}",
        "region": "in de buurt ({place}, {region})",
        "flanders": "aanbod voor heel Vlaanderen",
        "elsewhere": "elders ({place}): ter inspiratie",
        "unknown_place": "plaats onbekend: ter inspiratie",
        "caution": "Bevat ook {elements}, dat voor deze persoon beter vermeden wordt: {why}",
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
        "risk": "meant for {what}",
        "ladder": "effect ladder level {level}",
        "same_place": "in {place}",
        "region": "nearby ({place}, {region})",
        "flanders": "available across Flanders",
        "elsewhere": "elsewhere ({place}): for inspiration",
        "unknown_place": "place unknown: for inspiration",
        "caution": "Also contains {elements}, which is better avoided for this person: {why}",
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
    plan: tuple[str, ...] = ()  # plan elements; empty: every advised element counts fully
    # first reason per discouraged element, for the caution on an offer
    discouraged_why: Mapping[str, str] = field(default_factory=dict)
    # names and phone numbers of crisis and listening lines, never offered
    helplines: frozenset[str] = frozenset()
    inspiration_limit: int = 5


@dataclass(frozen=True, slots=True)
class Matches:
    offers: list[InitiativeMatch]
    inspiration: list[InitiativeMatch]
    municipality: Municipality | None


def _norm(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


@lru_cache(maxsize=4096)
def _resolve(places: Places, name: str | None) -> Municipality | None:
    return places.find(name)


def person_groups(req: MatchRequest) -> frozenset[str]:
    """The target groups a person belongs to (DOMAIN.md §6)."""
    groups = set(req.risk_factors) - OPEN_TARGETS
    if req.socially_isolated:
        groups.add("small_network")
    if req.age_group == "older":
        # An offer for "ouderen" (older_age) fits everyone in the older age group; the
        # persona's 75+ threshold shapes the advice, not who may join an offer.
        groups.add("older_age")
    return frozenset(groups)


def is_helpline(ini: InitiativeRecord, helplines: frozenset[str]) -> bool:
    """True for a crisis or listening line, by its name or phone number."""
    if not helplines:
        return False
    words = set(re.findall(r"[\w-]+", _norm(ini.name)))
    phone = "".join((ini.phone or "").split())
    return phone in helplines or bool(words & helplines)


def match_initiatives(
    req: MatchRequest,
    catalogue: Iterable[InitiativeRecord],
    label: Callable[[str, str], str],
    lang: str = "nl",
    places: Places | None = None,
) -> Matches:
    """Initiatives that deliver advised elements, nearest place tier first, best fit next.

    `label(section, id)` gives a display label (sections: elements, dimensions, risk_factors).
    """
    phrases = _PHRASES.get(lang, _PHRASES["nl"])
    top = max(req.element_scores.values(), default=0.0)
    places = places or load_places()
    home = _resolve(places, req.municipality)
    if top <= 0:
        return Matches([], [], home)
    plan = set(req.plan) or set(req.element_scores)
    groups = person_groups(req)
    risks = req.risk_factors - {"none", "other"}
    fit_table = PREVENTION_FIT if req.lonely else PREVENTION_FIT_NOT_LONELY
    advised_order = {e: n for n, e in enumerate(req.element_scores)}

    offers: list[tuple[int, float, str, InitiativeMatch]] = []
    inspiration: list[tuple[float, str, InitiativeMatch]] = []
    for ini in catalogue:
        offered = [e for e in ini.elements if e in req.element_scores]
        if not offered:
            continue
        if ini.age_groups and not (
            req.age_group in ini.age_groups or ini.age_groups & {"all_ages", "unknown"}
        ):
            continue  # an offer for another age group does not fit this person
        targets = ini.risk_factors - OPEN_TARGETS
        if targets and not targets & groups:
            continue  # meant for a group the person does not belong to
        if is_helpline(ini, req.helplines):
            continue
        offered.sort(key=lambda e: (e not in plan, advised_order[e]))
        in_plan = [e for e in offered if e in plan]
        score = sum(
            (PLAN_WEIGHT if e in plan else OTHER_WEIGHT) * req.element_scores[e] / top
            for e in offered
        )
        why = [phrases["offers"].format(elements=", ".join(label("elements", e) for e in offered))]

        bad = sorted(ini.elements & req.discouraged)
        score -= DISCOURAGED_PENALTY * len(bad)
        caution = None
        if bad:
            caution = phrases["caution"].format(
                elements=", ".join(label("elements", e) for e in bad).lower(),
                why=" ".join(req.discouraged_why.get(e, "") for e in bad[:1]).strip(),
            )

        if req.age_group in ini.age_groups:
            score += AGE_FIT
            why.append(phrases["age"])
        elif "all_ages" in ini.age_groups:
            score += AGE_FIT / 2
            why.append(phrases["all_ages"])

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

        place = _place(ini, home, places)
        if place == "municipality":
            why.append(phrases["same_place"].format(place=ini.municipality))
        elif place == "region":
            where = _resolve(places, ini.municipality)
            assert where is not None and home is not None
            near = places.proximity(home, where)
            if near is Proximity.arrondissement:
                score += SAME_ARRONDISSEMENT
            why.append(
                phrases["region"].format(place=where.name, region=places.region_label(where, near))
            )
        elif place == "flanders":
            why.append(phrases["flanders"])
        elif place == "elsewhere":
            why.append(phrases["elsewhere"].format(place=ini.municipality))
        else:
            why.append(phrases["unknown_place"])

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
            phone=ini.phone,
            email=ini.email,
            address=ini.address,
            place=place,
            plan_elements=in_plan,
            cautions=bad,
            caution_text=caution,
        )
        key = ini.name.casefold()
        if place in PLACE_ORDER:
            # Offers for the plan come first, each group by place (own municipality,
            # region, Flanders: DOMAIN.md), then by fit.
            offers.append((int(not in_plan) * 3 + PLACE_ORDER[place], -score, key, match))
        else:
            inspiration.append((-score, key, match))
    offers.sort(key=lambda t: t[:3])
    inspiration.sort(key=lambda t: t[:2])
    return Matches(
        offers=[t[3] for t in offers[: req.limit]],
        inspiration=[t[2] for t in inspiration[: req.inspiration_limit]],
        municipality=home,
    )


def _place(ini: InitiativeRecord, home: Municipality | None, places: Places) -> str:
    """Where an offer is from the person: municipality, region, flanders, elsewhere, unknown."""
    if ini.geographic_level == "flanders":
        return "flanders"
    where = _resolve(places, ini.municipality)
    if where is None:
        # A local offer without a known place is not reachable from anywhere.
        return "unknown" if not ini.municipality else "elsewhere"
    if home is None:
        return "elsewhere"
    near = places.proximity(home, where)
    if near is Proximity.same:
        return "municipality"
    if near in (Proximity.arrondissement, Proximity.province):
        return "region"
    return "elsewhere"
