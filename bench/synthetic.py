"""A synthetic catalogue at the scale of all of Flanders, for the matching curve.

Realistic rather than adversarial: every offer has 1-4 elements, most are local and spread
over all municipalities (larger towns hold more), about one in twenty is Flanders-wide,
some are meant for one target group or age group, a few are crisis lines.
"""

from __future__ import annotations

import random

from app.catalogue.records import InitiativeRecord
from app.domain.places import load_places
from app.domain.vocabulary import (
    AgeGroup,
    ElementId,
    InitiativeDimension,
    PreventionLevel,
    RiskFactor,
)

HELPLINES = (("Tele-Onthaal", "106"), ("Zelfmoordlijn 1813", "1813"), ("Awel", "102"))
KINDS = ("Buurtcafé", "Praatgroep", "Wandelclub", "Vrijwilligerswerk", "Bezoekdienst", "Atelier")


def synthetic_catalogue(size: int, seed: int = 10) -> tuple[InitiativeRecord, ...]:
    """`size` initiatives with ids 1..size, the same for the same size and seed."""
    rng = random.Random(seed)
    municipalities = load_places().all()
    # Larger municipalities (more postcodes) hold more initiatives.
    weights = [len(m.postcodes) for m in municipalities]
    elements = [e.value for e in ElementId if e is not ElementId.other]
    ages = [a.value for a in AgeGroup]
    risks = [r.value for r in RiskFactor if r.value not in ("none", "other")]
    dimensions = [d.value for d in InitiativeDimension if d.value != "unknown"]
    levels = [p.value for p in PreventionLevel if p.value != "unknown"]
    out: list[InitiativeRecord] = []
    places = rng.choices(municipalities, weights=weights, k=size)
    for n in range(1, size + 1):
        flanders = rng.random() < 0.05
        name = f"{rng.choice(KINDS)} {n}"
        phone = None
        if n % 997 == 0:
            name, phone = HELPLINES[n % len(HELPLINES)]
        out.append(
            InitiativeRecord(
                id=n,
                name=name,
                description=None,
                website=None,
                municipality=None if flanders else places[n - 1].name,
                geographic_level="flanders" if flanders else "local",
                primary_actor="other",
                elements=frozenset(rng.sample(elements, rng.randint(1, 4))),
                prevention_levels=frozenset(rng.sample(levels, rng.randint(1, 2))),
                dimensions=frozenset(rng.sample(dimensions, rng.randint(1, 2))),
                age_groups=frozenset(
                    ["all_ages"] if rng.random() < 0.5 else rng.sample(ages, rng.randint(1, 2))
                ),
                course=frozenset(),
                risk_factors=frozenset(rng.sample(risks, 1) if rng.random() < 0.2 else ()),
                approach=frozenset({"organised"}),
                effect_ladder=rng.choice(["0", "1", "2", "3", "unknown"]),
                phone=phone,
            )
        )
    return tuple(out)
