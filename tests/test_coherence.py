"""Coherence by construction: invariants of the advice over the whole intake space.

Every profile x age x course x dimension x municipality (with and without a scale score,
isolation and crisis signs along the way) against the shipped catalogue plus a synthetic
one that holds what a real catalogue may hold: helplines, offers for specific groups,
offers in every kind of place, offers made only of discouraged elements.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from app.advice.engine import PLAN_MAX, PLAN_MIN, advise
from app.advice.knowledge import Knowledge
from app.advice.models import Advice
from app.catalogue.matching import OPEN_TARGETS, PLACE_ORDER
from app.catalogue.records import InitiativeRecord
from app.domain.intake import Intake
from app.domain.places import load_places
from app.domain.vocabulary import ElementId

AGES = [8, 15, 20, 40, 67, 82]
MUNICIPALITIES = [None, "Geel", "Leuven", "Gent", "Tessenderlo-Ham", "Brussel"]
DIMENSIONS: list[list[str]] = [[], ["social"], ["emotional"], ["existential"], ["collective"]]
COURSES = [None, "transient", "chronic"]
HELPLINE_PHONES = {"1813", "106", "102"}


def _record(n: int, **kw: object) -> InitiativeRecord:
    base: dict[str, object] = {
        "id": 10_000 + n,
        "name": f"Synthetisch aanbod {n}",
        "description": None,
        "website": None,
        "municipality": None,
        "geographic_level": "local",
        "primary_actor": "other",
        "elements": frozenset(),
        "prevention_levels": frozenset({"tertiary"}),
        "dimensions": frozenset({"general"}),
        "age_groups": frozenset({"all_ages"}),
        "course": frozenset(),
        "risk_factors": frozenset(),
        "approach": frozenset({"organised"}),
        "effect_ladder": "unknown",
    }
    base.update(kw)
    return InitiativeRecord(**base)  # type: ignore[arg-type]


def synthetic_catalogue() -> tuple[InitiativeRecord, ...]:
    """Offers of every element, in every test municipality and without a place."""
    out: list[InitiativeRecord] = [
        _record(0, name="Tele-Onthaal", phone="106", elements=frozenset({"social_support"})),
        _record(1, name="Zelfmoordlijn 1813", elements=frozenset({"psychological_intervention"})),
        _record(
            2, name="Awel", geographic_level="flanders", elements=frozenset({"social_support"})
        ),
        _record(3, name="Luisterlijn", phone="1 8 1 3", elements=frozenset({"meeting"})),
    ]
    n = 10
    places = [m for m in MUNICIPALITIES if m] + [None]
    for element, place in itertools.product(list(ElementId), places):
        n += 1
        out.append(
            _record(
                n,
                municipality=place,
                elements=frozenset({element.value}),
                risk_factors=frozenset({"caregiver"} if n % 7 == 0 else set()),
                age_groups=frozenset([["older"], ["youth"], ["all_ages"]][n % 3]),
            )
        )
    out.append(_record(n + 1, geographic_level="flanders", elements=frozenset({"meeting"})))
    out.append(
        _record(n + 2, elements=frozenset({"meeting", "social_activities"}), municipality="Geel")
    )
    return tuple(out)


def intakes() -> Iterator[Intake]:
    profiles = itertools.product(
        ["situational", "structural"], [True, False], ["active", "passive"]
    )
    for n, ((nature, wants, coping), age, course, dims, place) in enumerate(
        itertools.product(profiles, AGES, COURSES, DIMENSIONS, MUNICIPALITIES)
    ):
        yield Intake(
            age=age,
            problem_nature=nature,
            wants_contact=wants,
            coping=coping,
            course=course,
            dimensions=dims,
            municipality=place,
            socially_isolated=[None, True, False][n % 3],
            risk_factors=[[], ["caregiver"], ["partner_loss", "living_alone"]][n % 3],
            djg6=[None, ["ja"] * 3 + ["nee"] * 3, ["nee"] * 3 + ["ja"] * 3][n % 3],
            crisis_signs=["suicidal_thoughts"] if n % 11 == 0 else [],
        )


@pytest.fixture(scope="module")
def full_catalogue(catalogue: tuple[InitiativeRecord, ...]) -> tuple[InitiativeRecord, ...]:
    return catalogue + synthetic_catalogue()


def check(
    advice: Advice, intake: Intake, knowledge: Knowledge, by_id: dict[int, InitiativeRecord]
) -> None:
    advised = [e.id for e in advice.elements]
    avoid = {d.id for d in advice.discouraged}
    # the plan: 3-5 elements, the head of the ranking, best first, never discouraged
    assert PLAN_MIN <= len(advice.plan) <= PLAN_MAX
    assert advice.plan == advised[: len(advice.plan)]
    assert [p.id for p in advice.plan_items] == advice.plan
    assert all(p.why and p.client_text for p in advice.plan_items)
    scores = [e.score for e in advice.elements]
    assert scores == sorted(scores, reverse=True)
    assert not set(advised) & avoid
    # the profile's direction constrains the plan
    profile = knowledge.profiles[advice.profile.id]
    assert not {e.value for e in profile.not_in_plan} & set(advised)
    # a plan line says something of its own
    whys = [p.why for p in advice.plan_items]
    assert len(whys) == len(set(whys))
    # offers: deliver an advised element, fit age and group, never only discouraged
    # DOMAIN.md §6: the risk factors, small_network when isolated, older_age from 75;
    # general vulnerability with any specific risk factor (the project's reading).
    groups = set(intake.risk_factors) - OPEN_TARGETS
    if intake.socially_isolated:
        groups.add("small_network")
    if intake.age is not None and intake.age >= 75:
        groups.add("older_age")
    if groups:
        groups.add("general_vulnerability")
    tiers = []
    for offer in [*advice.initiatives, *advice.inspiration]:
        ini = by_id[offer.id]
        assert offer.elements and set(offer.elements) <= set(advised)
        assert set(offer.elements) <= ini.elements
        assert not ini.elements <= avoid, "an offer made only of discouraged elements"
        assert set(offer.cautions) == ini.elements & avoid
        assert bool(offer.caution_text) == bool(offer.cautions)
        targets = ini.risk_factors - OPEN_TARGETS
        assert not targets or targets & groups
        assert (
            not ini.age_groups
            or intake.age_group.value in ini.age_groups
            or ini.age_groups & {"all_ages", "unknown"}
        )
        # helplines live only in signals
        assert "".join((ini.phone or "").split()) not in HELPLINE_PHONES
        assert not {"tele-onthaal", "zelfmoordlijn", "awel"} & set(offer.name.casefold().split())
    for offer in advice.initiatives:
        assert offer.place in PLACE_ORDER
        tiers.append((not offer.plan_elements, PLACE_ORDER[offer.place]))
    assert tiers == sorted(tiers), "plan offers first, then own municipality, region, Flanders"
    assert all(o.place in ("elsewhere", "unknown") for o in advice.inspiration)
    if intake.municipality is None:
        assert all(o.place == "flanders" for o in advice.initiatives)
    # no local offer: said, with regular services
    assert advice.coverage is not None
    if advice.coverage.uncovered:
        assert advice.coverage.services
        for s in advice.coverage.services:
            assert s.url and s.url.startswith("https://")
    # safety
    signal_ids = [s.id for s in advice.signals]
    if intake.crisis_signs:
        assert advice.signals[0].level == "danger"
        assert advice.plan[0] == "psychological_intervention"
    severe = advice.scales.get("djg6", {}).get("band") == "severe"
    if (severe or "existential" in advice.dimensions) and not intake.crisis_signs:
        assert "ask-suicidality" in signal_ids
    # reasons said once
    shared = [s.rule for s in advice.shared_reasons]
    assert len(shared) == len(set(shared))
    assert not set(whys) & {s.text for s in advice.shared_reasons}, "said once, not again"
    for s in advice.shared_reasons:
        assert len(s.elements) >= 2


def test_invariants_over_the_intake_space(
    knowledge: Knowledge, full_catalogue: tuple[InitiativeRecord, ...]
) -> None:
    by_id = {r.id: r for r in full_catalogue}
    places = load_places()
    count = 0
    for intake in intakes():
        advice = advise(intake, knowledge, full_catalogue, places=places)
        check(advice, intake, knowledge, by_id)
        count += 1
    assert count == 8 * len(AGES) * len(COURSES) * len(DIMENSIONS) * len(MUNICIPALITIES)


def test_advice_is_deterministic(
    knowledge: Knowledge, full_catalogue: tuple[InitiativeRecord, ...]
) -> None:
    for n, intake in enumerate(intakes()):
        if n % 37:
            continue
        first = advise(intake, knowledge, full_catalogue).model_dump_json()
        again = advise(intake, knowledge, tuple(reversed(full_catalogue))).model_dump_json()
        assert first == again
