"""Rank catalogue initiatives by how well they deliver an advice (pure, no I/O).

An initiative is offered only when it delivers an advised element, fits the person's
age, and is meant for a group the person belongs to. Crisis and listening lines are
never offers: they live in the safety signals (DOMAIN.md §7 v1.1). Offers are ordered by
place first (own municipality, the region, Flanders-wide); local offers elsewhere, or
whose place is unknown, go to a separate list for inspiration.

A large catalogue snapshot is matched through its index (app.catalogue.index): a request
is worked out once per distinct value of each field, only the records that can still be
selected are scored (with numpy, in the same float operations as the loop), and only the
few offers shown are explained. The plain loop stays as the reference.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from app.advice.models import InitiativeMatch
from app.catalogue.index import CatalogueIndex, catalogue_index, gather_runs, top_positions
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
OPEN_TARGETS = frozenset({"none", "other"})
# The target group "general vulnerability": a person with any specific risk factor belongs
# to it (an offer for vulnerable people in general fits someone with, say, poverty or a
# disability, not someone with no risk factor at all).
GENERAL = "general_vulnerability"

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
    """The target groups a person belongs to (DOMAIN.md §6): their risk factors (an age of
    75 or more already added older_age, intake.derive_facts), a small network when they are
    socially isolated, and general vulnerability with any specific risk factor."""
    groups = set(req.risk_factors) - OPEN_TARGETS
    if req.socially_isolated:
        groups.add("small_network")
    if groups:
        groups.add(GENERAL)
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

    A request's filters and score parts are worked out once per distinct value of each
    field (element set, age groups, ...: a few thousand at most) and read per record, and
    only for the records that can be selected: offers tier by tier (own municipality,
    region, Flanders) until there are enough, inspiration by element set in order of the
    best score a set allows, until no set left can beat the ones found. The scores are
    computed with the same float operations in the same order as _fit (element weights in
    sorted order), so they are equal to its scores bit for bit and ties break
    the same way. Only the records selected become Python entries.
    """
    view = _View(ask, index)
    return (
        _chosen(view, ask.req.limit, _top_offers),
        _chosen(view, ask.req.inspiration_limit, _top_elsewhere),
    )


Positions = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


class _View:
    """One request's tables over an index's distinct values, and its place tiers."""

    def __init__(self, ask: _Ask, index: CatalogueIndex) -> None:
        req = ask.req
        self.ask = ask
        self.index = index
        self.place, self.bonus = _place_tables(ask, index)
        # per element set object: delivers an advised element, a plan element; weight sum
        codes = index.elements.codes
        table = index.element_table
        advised = np.zeros(len(codes) + 1, dtype=np.bool_)
        in_plan = np.zeros(len(codes) + 1, dtype=np.bool_)
        weight = np.zeros(len(codes) + 1, dtype=np.float64)  # the last: no element
        penalty = np.zeros(len(codes) + 1, dtype=np.float64)
        advised_bits = plan_bits = 0
        for e, code in codes.items():
            if e in req.element_scores:
                advised[code] = True
                advised_bits |= 1 << code
                w = PLAN_WEIGHT if e in ask.plan else OTHER_WEIGHT
                weight[code] = w * req.element_scores[e] / ask.top
            if e in ask.plan:
                in_plan[code] = True
                plan_bits |= 1 << code
            if e in req.discouraged:
                penalty[code] = DISCOURAGED_PENALTY
        bits = index.element_bits
        if bits is not None:
            # One AND per element set instead of a lookup per element of every set.
            self.delivers: Flags = (bits & np.uint64(advised_bits)) != 0
            self.plan: Flags = (bits & np.uint64(plan_bits)) != 0
        else:
            self.delivers = np.asarray(advised[table].any(axis=0), dtype=np.bool_)
            self.plan = np.asarray(in_plan[table].any(axis=0), dtype=np.bool_)
        elements = np.zeros(table.shape[1], dtype=np.float64)
        if np.any((weight != 0) & (penalty != 0)):
            for row in table:
                elements += weight[row]
                elements -= penalty[row]
        else:
            # No element is both advised and discouraged: one of the two is 0.0, and adding
            # 0.0 or subtracting a penalty (adding its negative) rounds exactly as _fit does.
            delta = weight - penalty
            for row in table:
                elements += delta[row]
        self.elements: Floats = elements
        # Tables per distinct set of the other fields: they depend on few request
        # features (age group, groups, ...), so each is kept per index for its key.
        self.age_ok, self.age_fit = index.kept(("age", req.age_group), _age_tables(index, req))
        self.group_ok: Flags = index.kept(("groups", ask.groups), _group_table(index, ask))
        self.risk_fit: Floats | None = None
        if ask.risks:
            risks = index.risk_factors
            self.risk_fit = index.kept(
                ("risks", ask.risks),
                lambda: (RISK_FIT * risks.sets_count(ask.risks)).astype(np.float64, copy=False),
            )
        fit_table = ask.fit_table
        self.prevention_fit: Floats = index.kept(
            ("prevention", tuple(sorted(fit_table.items()))),
            lambda: _best_level(index, fit_table),
        )
        dims = index.dimensions
        self.dimension_fit: Floats | None = None
        if req.dimensions:
            self.dimension_fit = index.kept(
                ("dimensions", req.dimensions),
                lambda: (DIMENSION_FIT * dims.sets_count(req.dimensions)).astype(
                    np.float64, copy=False
                ),
            )
        self.isolation_fit: Floats | None = None
        if req.socially_isolated:
            self.isolation_fit = index.derived(
                ("isolation",),
                lambda: np.where(dims.sets_have_any(("social_isolation",)), ISOLATION_FIT, 0.0),
            )
        self.ladder: Floats = index.derived(
            ("ladder",), lambda: np.where(index.ladder >= 0, LADDER_STEP * index.ladder, 0.0)
        )
        # The highest score any record of each element set can reach: the same sums with
        # every other part at its largest value among the set's records (float addition
        # is monotonic, so no record of the set scores more).
        age, levels = index.age_groups, index.prevention_levels
        most = elements + _set_max(index, ("age", req.age_group), self.age_fit, age.which)
        most += _set_max(
            index,
            ("prevention", tuple(sorted(fit_table.items()))),
            self.prevention_fit,
            levels.which,
        )
        if self.dimension_fit is not None:
            most += _set_max(index, ("dimensions", req.dimensions), self.dimension_fit, dims.which)
        if self.isolation_fit is not None:
            most += _set_max(index, ("isolation",), self.isolation_fit, dims.which)
        if self.risk_fit is not None:
            most += _set_max(index, ("risks", ask.risks), self.risk_fit, index.risk_factors.which)
        most += _set_max(index, ("ladder",), self.ladder, None)
        self.most: Floats = most

    def fits(self, pos: Positions) -> Flags:
        """_fits_person for the records at `pos`, except the helpline test (see _chosen)."""
        index = self.index
        fits = self.delivers[index.element_set[pos]]
        fits &= self.age_ok[index.age_groups.which[pos]]
        fits &= self.group_ok[index.risk_factors.which[pos]]
        return fits

    def scores(self, pos: Positions) -> Floats:
        """_fit's score for the records at `pos`, summed in _fit's order (no region bonus)."""
        index = self.index
        score = self.elements[index.element_set[pos]]
        score += self.age_fit[index.age_groups.which[pos]]
        score += self.prevention_fit[index.prevention_levels.which[pos]]
        if self.dimension_fit is not None:
            score += self.dimension_fit[index.dimensions.which[pos]]
        if self.isolation_fit is not None:
            score += self.isolation_fit[index.dimensions.which[pos]]
        if self.risk_fit is not None:
            score += self.risk_fit[index.risk_factors.which[pos]]
        score += self.ladder[pos]
        return score

    def in_place(self, tier: int) -> Positions:
        """The records whose place is `tier` (a PLACE_ORDER tier), seen from the home."""
        index = self.index
        slots = np.flatnonzero(self.place == tier)
        return gather_runs(index.place_order, index.place_starts, slots)


def _set_max(
    index: CatalogueIndex,
    key: Hashable,
    table: Floats,
    which: npt.NDArray[np.int32] | None,
) -> Floats | float:
    """Per element set (column of index.element_table), the largest value among its records
    of `table` (a value per distinct set of another field, read through `which`; per
    record when `which` is None). Kept per index for `key`; once the index keeps no more
    values, the largest value of the whole table (a looser bound) instead."""

    def build() -> Floats | float:
        if index.size == 0:
            return 0.0
        order = index.element_order
        per_record = table[order] if which is None else table[which[order]]
        return np.maximum.reduceat(per_record, index.element_starts[:-1])

    return index.kept_or(("set_max", key), build, lambda: float(table.max(initial=0.0)))


def _age_tables(index: CatalogueIndex, req: MatchRequest) -> Callable[[], tuple[Flags, Floats]]:
    """Per age group set: whether it fits the person, and the age fit."""

    def build() -> tuple[Flags, Floats]:
        ages = index.age_groups
        empty = np.fromiter((not s for s in ages.sets), dtype=np.bool_, count=len(ages.sets))
        fits = ages.sets_have_any((req.age_group, "all_ages", "unknown")) | empty
        fit = np.where(
            ages.sets_have_any((req.age_group,)),
            AGE_FIT,
            np.where(ages.sets_have_any(("all_ages",)), AGE_FIT / 2, 0.0),
        )
        return fits, fit

    return build


def _group_table(index: CatalogueIndex, ask: _Ask) -> Callable[[], Flags]:
    """Per risk factor set: meant for nobody in particular or for one of the person's groups."""

    def build() -> Flags:
        risks = index.risk_factors
        targeted = risks.sets_have_any(set(risks.codes) - OPEN_TARGETS)
        fits: Flags = ~targeted | risks.sets_have_any(ask.groups)
        return fits

    return build


def _best_level(index: CatalogueIndex, fit_table: Mapping[str, float]) -> Floats:
    """Per prevention level set: the best fit of its levels in `fit_table` (or 0.0)."""
    levels = index.prevention_levels
    best = np.zeros(len(levels.sets), dtype=np.float64)
    for level, fit in fit_table.items():
        best = np.maximum(best, np.where(levels.sets_have_any((level,)), fit, 0.0))
    return best


Top = Callable[[_View, int, Flags | None], list[int]]


def _chosen(view: _View, limit: int, top: Top) -> list[Entry]:
    """The `limit` best records `top` finds that are no helpline, in the order shown.

    Only the records selected are checked for being a helpline (there are few); one that
    is leaves the selection, is remembered for this index, and the selection is redone.
    """
    if limit <= 0:
        return []
    index, ask = view.index, view.ask
    helplines = ask.req.helplines
    known = _known_helplines(index, helplines) if helplines else None
    while True:
        chosen = top(view, limit, known)
        if known is None:
            break
        found = [i for i in chosen if is_helpline(index.records[i], helplines)]
        if not found:
            break
        known[found] = True
    return sorted(_entries(view, chosen), key=_sort_key)


# Place names by the indexed path's place codes (PLACE_ORDER's tiers, _ELSEWHERE, _UNKNOWN).
_PLACE_NAMES = ("municipality", "region", "flanders", "elsewhere", "unknown")


def _entries(view: _View, chosen: list[int]) -> list[Entry]:
    """_entry of each record at `chosen`, read from the view's arrays instead of worked out
    again per record: the score is view.scores' (the same float operations as _fit's, in
    the same order) plus the region bonus (0.0 outside the region, as _entry adds none
    there), the place and the plan tier are the view's tables'."""
    index = view.index
    pos = np.asarray(chosen, dtype=np.int32)
    slots = index.place_slot[pos]
    score = view.scores(pos)
    score += view.bonus[slots]
    entries: list[Entry] = []
    for i, s, place, in_plan in zip(
        chosen,
        score.tolist(),
        view.place[slots].tolist(),
        view.plan[index.element_set[pos]].tolist(),
        strict=True,
    ):
        ini = index.records[i]
        tier = (0 if in_plan else 3) + place if place < _ELSEWHERE else 0
        entries.append((tier, -s, ini.name.casefold(), ini.id, ini, _PLACE_NAMES[place]))
    return entries


def _top_offers(view: _View, limit: int, known: Flags | None) -> list[int]:
    """The best offers (own municipality, region, Flanders): place tiers are taken in the
    order shown (plan offers first) until `limit` fitting records are in them.

    A tier of Flanders-wide offers can hold a third of the catalogue: only the records it
    still needs are looked for there, by element set in order of the best score each set
    allows (_bounded, as the inspiration), instead of scoring every one."""
    index = view.index
    found: dict[int, tuple[Positions, Flags, Flags]] = {}
    parts: list[Positions] = []
    tiers: list[int] = []
    count = 0
    flanders = PLACE_ORDER["flanders"]
    for tier in range(2 * len(PLACE_ORDER)):
        place = tier % len(PLACE_ORDER)
        if place == flanders:
            in_plan = view.plan if tier < len(PLACE_ORDER) else ~view.plan
            order, starts, counts = _flanders_by_set(index)
            sets = np.flatnonzero(view.delivers & in_plan)
            chosen = _bounded(view, limit - count, known, sets, order, starts, counts, False)
            part = np.asarray(chosen, dtype=np.int32)
        else:
            if place not in found:
                pos = view.in_place(place)
                fits = view.fits(pos)
                if known is not None:
                    fits &= ~known[pos]
                found[place] = (pos, fits, view.plan[index.element_set[pos]])
            pos, fits, plan = found[place]
            part = pos[fits & (plan if tier < len(PLACE_ORDER) else ~plan)]
        parts.append(part)
        tiers.append(tier)
        count += part.size
        if count >= limit:
            break
    pos = np.concatenate(parts)
    tier_of = np.repeat(np.asarray(tiers, dtype=np.int64), [p.size for p in parts])
    score = view.scores(pos)
    score += view.bonus[index.place_slot[pos]]
    best = pos[_top(tier_of, score, index.name_rank[pos], limit)]
    return best.tolist()  # type: ignore[no-any-return]


def _flanders_by_set(index: CatalogueIndex) -> tuple[Positions, Ints, Ints]:
    """The Flanders-wide records grouped by element set: positions, where each set's run
    starts (as index.element_order/element_starts), and each set's count."""

    def build() -> tuple[Positions, Ints, Ints]:
        slot = index.slot_flanders
        pos = index.place_order[index.place_starts[slot] : index.place_starts[slot + 1]]
        columns = index.element_set[pos]
        order = pos[np.argsort(columns, kind="stable")]
        counts = np.bincount(columns, minlength=index.element_table.shape[1])
        starts = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return order, starts, counts

    return index.derived(("flanders_by_set",), build)


# Records looked at in the first round of inspiration; each further round looks at four
# times as many.
_FIRST_ROUND = 512
# Element sets sorted by the score they allow before the first round (see _bounded). At
# 100 000 initiatives a set holds some 20 records, so these mostly cover the first round;
# sorting more sets costs every request more than the rare sort of the rest.
_FIRST_SETS = 128


def _top_elsewhere(view: _View, limit: int, known: Flags | None) -> list[int]:
    """The best inspiration (elsewhere or unknown place), by element set (_bounded)."""
    index = view.index
    counts = index.derived(("element_counts",), lambda: np.diff(index.element_starts))
    sets = np.flatnonzero(view.delivers)
    return _bounded(
        view, limit, known, sets, index.element_order, index.element_starts, counts, True
    )


def _bounded(
    view: _View,
    limit: int,
    known: Flags | None,
    sets: Ints,
    order: Positions,
    starts: Ints,
    counts: Ints,
    elsewhere: bool,
) -> list[int]:
    """The `limit` best fitting records of the element sets `sets` (grouped as `order` and
    `starts`, with `counts` records each; only those elsewhere or of unknown place when
    `elsewhere`), in the order shown: sets are taken in order of the highest score they
    allow, until the next one cannot beat the `limit`-th found.

    Only the _FIRST_SETS sets that allow most are sorted at first; the others (each allows
    no more than the last of those) only when those are not enough.
    """
    index = view.index
    most = view.most[sets]
    tail: Ints | None = None
    head = np.arange(sets.size)
    if sets.size > _FIRST_SETS:
        head = np.argpartition(-most, _FIRST_SETS - 1)[:_FIRST_SETS]
        left = np.ones(sets.size, dtype=np.bool_)
        left[head] = False
        tail = np.flatnonzero(left)
    ordered = sets[head[np.argsort(-most[head])]]
    ends = np.cumsum(counts[ordered])
    parts: list[Positions] = []
    scores: list[Floats] = []
    count, start, want = 0, 0, _FIRST_ROUND
    while True:
        if start >= ordered.size:
            if tail is None:
                break
            ordered = np.concatenate((ordered, sets[tail[np.argsort(-most[tail])]]))
            ends = np.cumsum(counts[ordered])
            tail = None
        before = int(ends[start - 1]) if start else 0
        # At most to the end of the sets sorted so far: past it, `start` would skip the
        # first set of the tail once that is sorted in.
        end = min(max(int(np.searchsorted(ends, before + want)) + 1, start + 1), ordered.size)
        pos = gather_runs(order, starts, ordered[start:end])
        if elsewhere:
            pos = pos[view.place[index.place_slot[pos]] >= _ELSEWHERE]
        keep = view.fits(pos)
        if known is not None:
            keep &= ~known[pos]
        pos = pos[keep]
        parts.append(pos)
        scores.append(view.scores(pos))
        count += pos.size
        start, want = end, want * 4
        if count >= limit:
            if start < ordered.size:
                bound = view.most[ordered[start]]
            elif tail is not None:
                bound = view.most[ordered[-1]]  # no set left allows more
            else:
                break
            every = np.concatenate(scores)
            kth = -np.partition(-every, limit - 1)[limit - 1]
            if bound < kth:
                break  # no record not yet seen scores as much as the limit-th
    if not parts:
        return []
    pos = np.concatenate(parts)
    score = np.concatenate(scores)
    tier = np.zeros(pos.size, dtype=np.int64)
    best = pos[_top(tier, score, index.name_rank[pos], limit)]
    return best.tolist()  # type: ignore[no-any-return]


# Up to this many candidates are sorted whole: fewer steps than top_positions' narrowing.
_SORTED_WHOLE = 2048


def _top(tier: Ints, score: Floats, rank: Ints, k: int) -> Ints:
    """top_positions: the positions of the k smallest (tier, -score, rank), in that order."""
    if tier.size <= _SORTED_WHOLE:
        return np.lexsort((rank, -score, tier))[:k]
    return top_positions(tier, score, rank, k)


def _known_helplines(index: CatalogueIndex, helplines: frozenset[str]) -> npt.NDArray[np.bool_]:
    """The records found to be helplines so far (grows as matching meets them; a record is
    only ever marked True, so concurrent requests cannot undo each other's marks)."""
    return index.derived(("helplines", helplines), lambda: np.zeros(index.size, dtype=np.bool_))


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
    for e in sorted(ini.elements):  # a fixed order: float sums depend on it
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
