"""A synthetic catalogue at the scale of all of Flanders, for the matching curve and the
server benchmarks.

It follows the shipped catalogue (data/initiatives.csv, the file an empty database is
seeded with): each classification (elements, age groups, prevention levels, dimensions,
risk factors, approach, geographic level, primary actor, effect ladder) is drawn with the
frequencies it has there, and so is the number of values a record carries. Every id of
the vocabulary also gets a small pseudo-count (FLOOR, a quarter of one shipped initiative),
so that an id the few shipped initiatives happen to lack still occurs now and then: a
catalogue of all of Flanders would hold it, and matching should not find nothing for it.

Places are real: every offer that is not Flanders-wide lies in a municipality of
data/municipalities.csv, larger ones (more postcodes) holding more. Descriptions are the
shipped ones, so that records weigh what real ones weigh; about one in a thousand offers is
a crisis or listening line. The same size and seed always give the same catalogue.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from app.catalogue.csvio import parse_records
from app.catalogue.records import InitiativeRecord
from app.core.config import REPO_ROOT
from app.domain.places import load_places
from app.domain.vocabulary import (
    Approach,
    EffectLadder,
    ElementId,
    GeographicLevel,
    InitiativeDimension,
    PreventionLevel,
    PrimaryActor,
    RiskFactor,
    TargetAgeGroup,
)

SHIPPED_CSV = REPO_ROOT / "data" / "initiatives.csv"
HELPLINES = (("Tele-Onthaal", "106"), ("Zelfmoordlijn 1813", "1813"), ("Awel", "102"))
KINDS = ("Buurtcafé", "Praatgroep", "Wandelclub", "Vrijwilligerswerk", "Bezoekdienst", "Atelier")
# Pseudo-count of every vocabulary id (in shipped initiatives): ids absent from the shipped
# catalogue still occur, rarely.
FLOOR = 0.25
# Ids that stand alone: a record that carries one carries no other id of that field.
ALONE = frozenset({"all_ages", "none"})
SET_FIELDS = (
    "elements",
    "age_groups",
    "prevention_levels",
    "dimensions",
    "risk_factors",
    "approach",
)
VOCABULARY: dict[str, tuple[str, ...]] = {
    "elements": tuple(e.value for e in ElementId),
    "age_groups": tuple(a.value for a in TargetAgeGroup),
    "prevention_levels": tuple(p.value for p in PreventionLevel),
    "dimensions": tuple(d.value for d in InitiativeDimension),
    "risk_factors": tuple(r.value for r in RiskFactor),
    "approach": tuple(a.value for a in Approach),
    "geographic_level": tuple(g.value for g in GeographicLevel),
    "primary_actor": tuple(a.value for a in PrimaryActor),
    "effect_ladder": tuple(e.value for e in EffectLadder),
}


@dataclass(frozen=True, slots=True)
class Mix:
    """One field's frequencies in the shipped catalogue (with FLOOR for every id)."""

    values: tuple[str, ...]
    cum_weights: tuple[float, ...]
    # how many values a record carries, and how often (set fields only)
    sizes: tuple[int, ...] = ()
    size_cum_weights: tuple[int, ...] = ()

    def one(self, rng: random.Random) -> str:
        # As rng.choices(values, cum_weights=...)[0], without its overhead.
        return self.values[bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])]

    def some(self, rng: random.Random) -> frozenset[str]:
        """A set with the shipped catalogue's size and value frequencies: values drawn by
        weight without replacement (a value drawn again is drawn anew)."""
        if not self.sizes:
            return frozenset()
        total = self.size_cum_weights[-1]
        k = min(
            self.sizes[bisect_right(self.size_cum_weights, rng.random() * total)], len(self.values)
        )
        chosen: list[str] = []
        while len(chosen) < k:
            value = self.one(rng)
            if value in chosen:
                continue
            if value in ALONE:
                if chosen:
                    continue  # "all ages" or "no risk factor" beside another id: not so
                chosen.append(value)
                break
            chosen.append(value)
        return frozenset(chosen)


def _mix(observed: Sequence[str], vocabulary: Sequence[str], sizes: Sequence[int] = ()) -> Mix:
    counts = Counter(observed)
    values = tuple(dict.fromkeys([*vocabulary, *sorted(counts)]))  # vocabulary order first
    size_counts = Counter(sizes)
    ordered_sizes = tuple(sorted(size_counts))
    return Mix(
        values=values,
        cum_weights=tuple(accumulate(counts[v] + FLOOR for v in values)),
        sizes=ordered_sizes,
        size_cum_weights=tuple(accumulate(size_counts[s] for s in ordered_sizes)),
    )


@lru_cache(maxsize=1)
def shipped_records() -> tuple[InitiativeRecord, ...]:
    """The shipped catalogue, parsed as the seeding parses it."""
    return parse_records(SHIPPED_CSV.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def shipped_mix() -> dict[str, Mix]:
    """Per field, the frequencies of the shipped catalogue."""
    shipped = shipped_records()
    mixes: dict[str, Mix] = {}
    for name in SET_FIELDS:
        sets: list[frozenset[str]] = [getattr(r, name) for r in shipped]
        observed = [v for s in sets for v in sorted(s)]
        mixes[name] = _mix(observed, VOCABULARY[name], [len(s) for s in sets])
    for name in ("geographic_level", "primary_actor", "effect_ladder"):
        observed = [getattr(r, name) or "unknown" for r in shipped]
        mixes[name] = _mix(observed, VOCABULARY[name])
    return mixes


def synthetic_catalogue(size: int, seed: int = 10) -> tuple[InitiativeRecord, ...]:
    """`size` initiatives with ids 1..size, the same for the same size and seed."""
    rng = random.Random(seed)
    mix = shipped_mix()
    shipped = shipped_records()
    descriptions = [r.description for r in shipped]
    with_website = sum(1 for r in shipped if r.website) / len(shipped)
    municipalities = load_places().all()
    # Larger municipalities (more postcodes) hold more initiatives.
    weights = [len(m.postcodes) for m in municipalities]
    places = rng.choices(municipalities, weights=weights, k=size)
    out: list[InitiativeRecord] = []
    for n in range(1, size + 1):
        level = mix["geographic_level"].one(rng)
        name = f"{rng.choice(KINDS)} {n}"
        phone = None
        if n % 997 == 0:
            line, phone = HELPLINES[n % len(HELPLINES)]
            name = f"{line} {n}"  # one initiative per name and place, as an import wants
        description = rng.choice(descriptions)
        out.append(
            InitiativeRecord(
                id=n,
                name=name,
                description=description,
                website=f"https://initiatief{n}.example.be"
                if rng.random() < with_website
                else None,
                municipality=None if level == "flanders" else places[n - 1].name,
                geographic_level=level,
                primary_actor=mix["primary_actor"].one(rng),
                elements=mix["elements"].some(rng),
                prevention_levels=mix["prevention_levels"].some(rng),
                dimensions=mix["dimensions"].some(rng),
                age_groups=mix["age_groups"].some(rng),
                course=frozenset(),
                risk_factors=mix["risk_factors"].some(rng),
                approach=mix["approach"].some(rng),
                effect_ladder=mix["effect_ladder"].one(rng),
                phone=phone,
            )
        )
    return tuple(out)
