"""Rank catalogue initiatives by how well they deliver an advice (pure, no I/O).

An initiative is offered only when it delivers an advised element, fits the person's
age, and is meant for a group the person belongs to. Crisis and listening lines are
never offers: they live in the safety signals (DOMAIN.md §7 v1.1). Offers are ordered by
place first (own municipality, the region, Flanders-wide); local offers elsewhere, or
whose place is unknown, go to a separate list for inspiration.

A large catalogue snapshot is matched through its index (app.catalogue.index): every
record is scored at once with numpy, in the same float operations as the loop, and only
the few offers shown are explained. The plain loop stays as the reference.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from app.advice.models import InitiativeMatch
from app.catalogue.index import CatalogueIndex, catalogue_index, top_positions
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
    inspiration_limit: int = 3


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
    phone = "".join(ini.phone.split()) if ini.phone else ""
    return phone in helplines or not _name_words(ini.name).isdisjoint(helplines)


@lru_cache(maxsize=65536)
def _name_words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[\w-]+", _norm(name)))


# From this many records on, matching reads the snapshot's index (app.catalogue.index)
# instead of visiting every record; below it a plain loop is as fast.
INDEX_MIN_RECORDS = 128

# (tier, -score, name, id, record, place): sorting these gives the order shown.
Entry = tuple[int, float, str, int, InitiativeRecord, str]


@dataclass(frozen=True, slots=True)
class _Ask:
    """One request, prepared: what every initiative is filtered, scored and explained by."""

    req: MatchRequest
    top: float
    plan: frozenset[str]
    groups: frozenset[str]
    risks: frozenset[str]
    fit_table: Mapping[str, float]
    advised_order: Mapping[str, int]
    home: Municipality | None
    places: Places


def match_initiatives(
    req: MatchRequest,
    catalogue: Iterable[InitiativeRecord],
    label: Callable[[str, str], str],
    phrases: Mapping[str, str],
    places: Places | None = None,
) -> Matches:
    """Initiatives that deliver advised elements, nearest place tier first, best fit next.

    `label(section, id)` gives a display label (sections: elements, dimensions, risk_factors);
    `phrases` are the sentences of rules/phrases.yaml in the advice's language.
    A snapshot (a tuple) of INDEX_MIN_RECORDS or more is matched through its index; the
    result is the same as match_initiatives_linear's.
    """
    indexed = isinstance(catalogue, tuple) and len(catalogue) >= INDEX_MIN_RECORDS
    return _match(req, catalogue, label, phrases, places, indexed)


def match_initiatives_linear(
    req: MatchRequest,
    catalogue: Iterable[InitiativeRecord],
    label: Callable[[str, str], str],
    phrases: Mapping[str, str],
    places: Places | None = None,
) -> Matches:
    """match_initiatives by visiting every record (the reference; used below the threshold)."""
    return _match(req, catalogue, label, phrases, places, indexed=False)


def match_initiatives_indexed(
    req: MatchRequest,
    catalogue: Iterable[InitiativeRecord],
    label: Callable[[str, str], str],
    phrases: Mapping[str, str],
    places: Places | None = None,
) -> Matches:
    """match_initiatives through the index, whatever the catalogue's size."""
    return _match(req, catalogue, label, phrases, places, indexed=True)


def _match(
    req: MatchRequest,
    catalogue: Iterable[InitiativeRecord],
    label: Callable[[str, str], str],
    phrases: Mapping[str, str],
    places: Places | None,
    indexed: bool,
) -> Matches:
    top = max(req.element_scores.values(), default=0.0)
    places = places or load_places()
    home = _resolve(places, req.municipality)
    if top <= 0:
        return Matches([], [], home)
    ask = _Ask(
        req=req,
        top=top,
        plan=frozenset(req.plan) or frozenset(req.element_scores),
        groups=person_groups(req),
        risks=req.risk_factors - {"none", "other"},
        fit_table=PREVENTION_FIT if req.lonely else PREVENTION_FIT_NOT_LONELY,
        advised_order={e: n for n, e in enumerate(req.element_scores)},
        home=home,
        places=places,
    )
    if indexed:
        records = catalogue if isinstance(catalogue, tuple) else tuple(catalogue)
        offers, inspiration = _select_indexed(ask, catalogue_index(records, places))
    else:
        offers, inspiration = _select_linear(ask, catalogue)
    return Matches(
        offers=[_explain(t, ask, label, phrases) for t in offers],
        inspiration=[_explain(t, ask, label, phrases) for t in inspiration],
        municipality=home,
    )


def _sort_key(t: Entry) -> tuple[int, float, str, int]:
    return t[:4]


def _fits_person(ini: InitiativeRecord, ask: _Ask) -> bool:
    """Delivers an advised element, fits the age and the groups, is no helpline."""
    req = ask.req
    if not ini.elements & req.element_scores.keys():
        return False
    if ini.age_groups and not (
        req.age_group in ini.age_groups or ini.age_groups & {"all_ages", "unknown"}
    ):
        return False  # an offer for another age group does not fit this person
    targets = ini.risk_factors - OPEN_TARGETS
    if targets and not targets & ask.groups:
        return False  # meant for a group the person does not belong to
    return not is_helpline(ini, req.helplines)


def _entry(ini: InitiativeRecord, ask: _Ask) -> Entry:
    """Score and place of one initiative, as the key it is sorted by."""
    score, _why = _fit(ini, ask.req, ask.plan, ask.top, ask.risks, ask.fit_table, None)
    place = _place(ini, ask.home, ask.places)
    if place == "region":
        score += _region_bonus(ini, ask.home, ask.places)
    key = ini.name.casefold()
    if place in PLACE_ORDER:
        # Offers for the plan come first, each group by place (own municipality,
        # region, Flanders: DOMAIN.md), then by fit.
        tier = int(not ini.elements & ask.plan) * 3 + PLACE_ORDER[place]
        return (tier, -score, key, ini.id, ini, place)
    return (0, -score, key, ini.id, ini, place)


def _select_linear(
    ask: _Ask, catalogue: Iterable[InitiativeRecord]
) -> tuple[list[Entry], list[Entry]]:
    """Pass 1 scores every initiative cheaply; only those selected are explained."""
    offers: list[Entry] = []
    inspiration: list[Entry] = []
    for ini in catalogue:
        if not _fits_person(ini, ask):
            continue
        entry = _entry(ini, ask)
        (offers if entry[5] in PLACE_ORDER else inspiration).append(entry)
    return (
        heapq.nsmallest(ask.req.limit, offers, key=_sort_key),
        heapq.nsmallest(ask.req.inspiration_limit, inspiration, key=_sort_key),
    )


# Place codes of the indexed path: PLACE_ORDER's tiers, then these two.
_ELSEWHERE, _UNKNOWN = 3, 4


def _select_indexed(ask: _Ask, index: CatalogueIndex) -> tuple[list[Entry], list[Entry]]:
    """The same selection as _select_linear, from the index's arrays.

    Every array holds one value per record. The scores are computed with the same float
    operations in the same order as _fit (element weights in each record's own order),
    so they are equal to its scores bit for bit and ties break the same way. Only the
    records selected become Python entries.
    """
    req = ask.req
    fits = _fitting(ask, index)
    place_table, bonus_table = _place_tables(ask, index)
    place = place_table[index.place_slot]
    score = _scores(ask, index)
    score += bonus_table[index.place_slot]
    tier = np.where(index.elements.has_any(ask.plan), 0, 3) + place  # offers only
    no_tier = np.zeros(index.size, dtype=np.int64)
    return (
        _best(ask, index, fits & (place < _ELSEWHERE), tier, score, req.limit),
        _best(ask, index, fits & (place >= _ELSEWHERE), no_tier, score, req.inspiration_limit),
    )


def _best(
    ask: _Ask,
    index: CatalogueIndex,
    wanted: npt.NDArray[np.bool_],
    tier: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    limit: int,
) -> list[Entry]:
    """The `limit` best of the `wanted` records that are no helpline, in the order shown.

    Only the records selected are checked for being a helpline (there are few); one that
    is leaves the selection, is remembered for this index, and the selection is redone.
    """
    if limit <= 0:
        return []
    helplines = ask.req.helplines
    known = _known_helplines(index, helplines) if helplines else None
    if known is not None:
        wanted = wanted & ~known  # a copy: marks below stay in this call
    while True:
        where = np.flatnonzero(wanted)
        best = where[top_positions(tier[where], score[where], index.name_rank[where], limit)]
        chosen = best.tolist()
        if known is None:
            break
        found = [i for i in chosen if is_helpline(index.records[i], helplines)]
        if not found:
            break
        known[found] = True
        wanted[found] = False
    return sorted((_entry(index.records[i], ask) for i in chosen), key=_sort_key)


def _known_helplines(index: CatalogueIndex, helplines: frozenset[str]) -> npt.NDArray[np.bool_]:
    """The records found to be helplines so far (grows as matching meets them; a record is
    only ever marked True, so concurrent requests cannot undo each other's marks)."""
    return index.derived(("helplines", helplines), lambda: np.zeros(index.size, dtype=np.bool_))


def _fitting(ask: _Ask, index: CatalogueIndex) -> npt.NDArray[np.bool_]:
    """_fits_person for every record, except the helpline test (see _best)."""
    req = ask.req
    fits = index.elements.has_any(req.element_scores.keys())
    ages = index.age_groups
    fits &= ages.has_any((req.age_group, "all_ages", "unknown")) | index.derived(
        ("no_age",), lambda: ages.count(ages.codes) == 0
    )
    risks = index.risk_factors
    targeted = index.derived(("targeted",), lambda: risks.has_any(set(risks.codes) - OPEN_TARGETS))
    fits &= ~targeted | risks.has_any(ask.groups)
    return fits


def _scores(ask: _Ask, index: CatalogueIndex) -> npt.NDArray[np.float64]:
    """_fit's score for every record, summed in _fit's order (without the region bonus)."""
    req = ask.req
    codes = index.elements.codes
    weight = np.zeros(len(codes) + 1, dtype=np.float64)  # the last: no element
    penalty = np.zeros(len(codes) + 1, dtype=np.float64)
    for e, code in codes.items():
        if e in req.element_scores:
            w = PLAN_WEIGHT if e in ask.plan else OTHER_WEIGHT
            weight[code] = w * req.element_scores[e] / ask.top
        if e in req.discouraged:
            penalty[code] = DISCOURAGED_PENALTY
    score = np.zeros(index.size, dtype=np.float64)
    if np.any((weight != 0) & (penalty != 0)):
        for column in index.element_columns:
            score += weight[column]
            score -= penalty[column]
    else:
        # No element is both advised and discouraged: one of the two is 0.0, and adding 0.0
        # or subtracting a penalty (adding its negative) rounds exactly as _fit does.
        delta = weight - penalty
        for column in index.element_columns:
            score += delta[column]
    ages = index.age_groups
    score += np.where(
        ages.has_any((req.age_group,)),
        AGE_FIT,
        index.derived(
            ("all_ages",), lambda: np.where(ages.has_any(("all_ages",)), AGE_FIT / 2, 0.0)
        ),
    )
    fit_table = ask.fit_table
    score += index.derived(
        ("prevention", tuple(sorted(fit_table.items()))), lambda: _best_level(index, fit_table)
    )
    if req.dimensions:
        score += DIMENSION_FIT * index.dimensions.count(req.dimensions)
    if req.socially_isolated:
        score += np.where(index.dimensions.has_any(("social_isolation",)), ISOLATION_FIT, 0.0)
    if ask.risks:
        score += RISK_FIT * index.risk_factors.count(ask.risks)
    score += index.derived(
        ("ladder",), lambda: np.where(index.ladder >= 0, LADDER_STEP * index.ladder, 0.0)
    )
    return score


def _best_level(index: CatalogueIndex, fit_table: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """For every record, the best fit of its prevention levels in `fit_table` (or 0.0)."""
    best = np.zeros(index.size, dtype=np.float64)
    for level, fit in fit_table.items():
        best = np.maximum(best, np.where(index.prevention_levels.has_any((level,)), fit, 0.0))
    return best


def _place_tables(
    ask: _Ask, index: CatalogueIndex
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """_place (a PLACE_ORDER tier, _ELSEWHERE or _UNKNOWN) and the region bonus of every place
    slot of the index."""
    home = ask.home

    def build() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        place = np.full(index.slot_unresolved + 1, _ELSEWHERE, dtype=np.int64)
        bonus = np.zeros(index.slot_unresolved + 1, dtype=np.float64)
        if home is not None:
            for slot, m in enumerate(index.municipalities):
                near = ask.places.proximity(home, m)
                if near is Proximity.same:
                    place[slot] = PLACE_ORDER["municipality"]
                elif near in (Proximity.arrondissement, Proximity.province):
                    place[slot] = PLACE_ORDER["region"]
                    if near is Proximity.arrondissement:
                        bonus[slot] = SAME_ARRONDISSEMENT
        place[index.slot_flanders] = PLACE_ORDER["flanders"]
        place[index.slot_no_place] = _UNKNOWN
        return place, bonus

    return index.derived(("places", home.nis if home else None), build)


def _explain(
    t: Entry, ask: _Ask, label: Callable[[str, str], str], phrases: Mapping[str, str]
) -> InitiativeMatch:
    req, plan, places, home = ask.req, ask.plan, ask.places, ask.home
    _tier, neg_score, _key, _id, ini, place = t
    offered = sorted(
        (e for e in ini.elements if e in req.element_scores),
        key=lambda e: (e not in plan, ask.advised_order[e]),
    )
    _score, why = _fit(ini, req, plan, ask.top, ask.risks, ask.fit_table, (phrases, label))
    why.insert(
        0,
        phrases["offer_offers"].format(elements=", ".join(label("elements", e) for e in offered)),
    )
    bad = sorted(ini.elements & req.discouraged)
    caution = None
    if bad:
        caution = phrases["offer_caution"].format(
            elements=", ".join(label("elements", e) for e in bad).lower(),
            why=" ".join(req.discouraged_why.get(e, "") for e in bad[:1]).strip(),
        )
    if place == "municipality":
        why.append(phrases["offer_same_place"].format(place=ini.municipality))
    elif place == "region":
        where = _resolve(places, ini.municipality)
        assert where is not None and home is not None
        near = places.proximity(home, where)
        why.append(
            phrases["offer_region"].format(
                place=where.name, region=places.region_label(where, near)
            )
        )
    elif place == "flanders":
        why.append(phrases["offer_flanders"])
    elif place == "elsewhere":
        why.append(phrases["offer_elsewhere"].format(place=ini.municipality))
    else:
        why.append(phrases["offer_unknown_place"])
    return InitiativeMatch(
        id=ini.id,
        name=ini.name,
        score=round(-neg_score, 2),
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
        plan_elements=[e for e in offered if e in plan],
        cautions=bad,
        caution_text=caution,
    )


def _region_bonus(ini: InitiativeRecord, home: Municipality | None, places: Places) -> float:
    where = _resolve(places, ini.municipality)
    if where is None or home is None:
        return 0.0
    near = places.proximity(home, where)
    return SAME_ARRONDISSEMENT if near is Proximity.arrondissement else 0.0


Phrasing = tuple[Mapping[str, str], Callable[[str, str], str]]


def _fit(
    ini: InitiativeRecord,
    req: MatchRequest,
    plan: AbstractSet[str],
    top: float,
    risks: frozenset[str],
    fit_table: Mapping[str, float],
    phrasing: Phrasing | None,
) -> tuple[float, list[str]]:
    """Fit score of one offer; with phrasing, also the reasons in words."""
    why: list[str] = []
    score = 0.0
    for e in ini.elements:
        if e in req.element_scores:
            weight = PLAN_WEIGHT if e in plan else OTHER_WEIGHT
            score += weight * req.element_scores[e] / top
        if e in req.discouraged:
            score -= DISCOURAGED_PENALTY
    phrases, label = phrasing if phrasing else ({}, None)
    if req.age_group in ini.age_groups:
        score += AGE_FIT
        if label:
            why.append(phrases["offer_age"])
    elif "all_ages" in ini.age_groups:
        score += AGE_FIT / 2
        if label:
            why.append(phrases["offer_all_ages"])
    best_level = max(
        (fit_table[lvl] for lvl in ini.prevention_levels if lvl in fit_table), default=0.0
    )
    if best_level > 0:
        score += best_level
        if label:
            level = max(
                (lvl for lvl in ini.prevention_levels if lvl in fit_table),
                key=lambda lvl: fit_table[lvl],
            )
            why.append(phrases[f"offer_{level}"])
    dims = req.dimensions & ini.dimensions
    if dims:
        score += DIMENSION_FIT * len(dims)
        if label:
            what = ", ".join(label("dimensions", d) for d in sorted(dims))
            why.append(phrases["offer_dimension"].format(what=what.lower()))
    if req.socially_isolated and "social_isolation" in ini.dimensions:
        score += ISOLATION_FIT
        if label:
            why.append(phrases["offer_isolation"])
    shared = risks & ini.risk_factors
    if shared:
        score += RISK_FIT * len(shared)
        if label:
            what = ", ".join(label("risk_factors", r) for r in sorted(shared))
            why.append(phrases["offer_risk"].format(what=what.lower()))
    if ini.effect_ladder and ini.effect_ladder.isdigit():
        score += LADDER_STEP * int(ini.effect_ladder)
        if label and int(ini.effect_ladder) >= 2:
            why.append(phrases["offer_ladder"].format(level=ini.effect_ladder))
    return score, why


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


def place_of(ini: InitiativeRecord, home: Municipality | None, places: Places) -> str:
    """Where an offer is from `home`, as matching decides it (the landscape uses this too):
    municipality, region, flanders, elsewhere or unknown."""
    return _place(ini, home, places)
