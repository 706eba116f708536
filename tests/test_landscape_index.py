"""The landscape index (issue 10) gives exactly what a pass over the records gives: the
same selection, facet counts, gaps, crosstabs, municipality reach and benchmark, for random
catalogues (300 to 3 000 records, places from data/municipalities.csv) and random filters."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app.catalogue.matching import place_of
from app.catalogue.records import InitiativeRecord
from app.domain.places import load_places
from app.landscape.facets import FACETS, Filters, facet_ids, values_of
from app.landscape.gaps import DIMENSIONS, find_gaps, gaps_from_counts
from app.landscape.index import LandscapeIndex, Tiers, landscape_index
from app.landscape.municipality import (
    benchmark,
    benchmark_from_counts,
    by_name,
    load_inventory,
    reach,
)
from app.landscape.service import (
    Cell,
    all_facet_counts,
    crosstab,
    landscape,
    landscape_from_counts,
)
from app.web import landscape_pages
from app.web.demand_pages import _offer

LIST_FACETS = ("elements", "prevention_levels", "dimensions", "age_groups", "risk_factors")
LIST_FACETS += ("course", "approach")
SINGLE_FACETS = ("geographic_level", "primary_actor", "effect_ladder")


def _municipality_text(rng: random.Random) -> str | None:
    """A place as the catalogue may hold it: a name, a former name, odd case and spaces,
    a postcode, nothing, or something that is no Flemish municipality."""
    m = rng.choice(load_places().all())
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.1:
        return "Nergensdorp"
    if roll < 0.15 and m.former:
        return rng.choice(m.former)
    if roll < 0.2:
        return f"  {m.name.upper()} "
    if roll < 0.25:
        return m.postcodes[0]
    return m.name


def random_catalogue(size: int, seed: int) -> tuple[InitiativeRecord, ...]:
    rng = random.Random(seed)
    # A few municipalities hold most offers, so that a place filter selects something.
    places = [_municipality_text(rng) for _ in range(40)]

    def some(facet: str, most: int) -> frozenset[str]:
        ids = facet_ids(facet)
        return frozenset(rng.sample(ids, rng.randint(0, min(most, len(ids)))))

    def one(facet: str) -> str | None:
        return None if rng.random() < 0.15 else rng.choice(facet_ids(facet))

    return tuple(
        InitiativeRecord(
            id=i,
            name=rng.choice(("Buurtcafé", "praatgroep", "Wandelclub", "Ätelier", "bezoek"))
            + f" {rng.randint(1, 50)}",
            description=None,
            website=None,
            municipality=rng.choice(places),
            geographic_level=one("geographic_level"),
            primary_actor=one("primary_actor"),
            elements=some("elements", 6),
            prevention_levels=some("prevention_levels", 2),
            dimensions=some("dimensions", 3),
            age_groups=some("age_groups", 3),
            course=some("course", 2),
            risk_factors=some("risk_factors", 2),
            approach=some("approach", 2),
            effect_ladder=one("effect_ladder"),
        )
        for i in range(1, size + 1)
    )


def random_filters(rng: random.Random, records: Sequence[InitiativeRecord]) -> Filters:
    facets = {
        facet: frozenset(
            rng.sample(facet_ids(facet), min(rng.randint(1, 3), len(facet_ids(facet))))
        )
        for facet in rng.sample(list(FACETS), rng.choice((0, 0, 1, 1, 2, 3)))
    }
    municipality = None
    if rng.random() < 0.3:
        raw = rng.choice(records).municipality or "Nergensdorp"
        municipality = " ".join(raw.split())
        municipality = municipality.lower() if rng.random() < 0.5 else municipality
    bound = lambda: rng.randint(0, 6) if rng.random() < 0.25 else None  # noqa: E731
    return Filters(municipality, facets, bound(), bound())


def random_cell(rng: random.Random) -> Cell:
    facet = rng.choice(list(FACETS))
    return Cell(facet, rng.choice(facet_ids(facet)))


def _old_dimension_figures(records: Sequence[InitiativeRecord]) -> tuple[list[str], int]:
    """The dimension gap's figures as find_gaps computed them before the index."""
    wanted = frozenset(DIMENSIONS)
    coded = [values_of(r, "dimensions") & wanted for r in records]
    absent = [d for d in DIMENSIONS if not any(d in c for c in coded)]
    return absent, sum(1 for c in coded if not c)


def _label(section: str, id_: str) -> str:
    return f"{section}:{id_}"


CATALOGUES = [(300, 1), (700, 2), (1500, 3), (3000, 4)]


@pytest.mark.parametrize(("size", "seed"), CATALOGUES)
def test_filtered_counts_equal_a_pass_over_the_records(size: int, seed: int) -> None:
    records = random_catalogue(size, seed)
    index = LandscapeIndex(records)
    rng = random.Random(seed * 1000)
    selected_some = 0
    for _ in range(60):
        filters = random_filters(rng, records)
        expected = filters.apply(records)
        mask = index.mask(filters)
        assert index.take(mask) == expected
        assert index.count(mask) == len(expected)
        selected_some += 0 < len(expected) < size
        counts = index.facet_counts(mask)
        assert counts == all_facet_counts(expected)
        assert landscape_from_counts(len(expected), counts) == landscape(expected)
        unspecified = index.unspecified_dimensions(mask)
        absent, old_unspecified = _old_dimension_figures(expected)
        assert unspecified == old_unspecified
        gaps = gaps_from_counts(len(expected), counts, unspecified, _label)
        assert gaps == find_gaps(expected, _label)
        for gap in gaps:
            if gap.kind in ("dimension-uncovered", "dimensions-none-specified"):
                assert gap.figures["dimensions"] == absent
        for _ in range(3):
            row, col = random_cell(rng), random_cell(rng)
            assert index.crosstab(mask, row, col) == crosstab(expected, row, col)
        start = rng.randint(0, max(0, len(expected) - 1))
        assert index.take(mask, start, start + 25) == expected[start : start + 25]
    assert selected_some > 10  # the filters were not all trivial


@pytest.mark.parametrize(("size", "seed"), CATALOGUES[:3])
def test_municipality_reach_and_benchmark_equal_a_pass_over_the_records(
    size: int, seed: int
) -> None:
    records = random_catalogue(size, seed)
    index = LandscapeIndex(records)
    places = load_places()
    inventory = load_inventory()
    rng = random.Random(seed)
    homes = [h for h in (places.find(r.municipality) for r in records[:200]) if h is not None]
    for home in [*homes[:15], rng.choice(places.all())]:
        filters = replace(random_filters(rng, records), municipality=None)
        pool = index.mask(filters)
        tiers = index.tiers(home, places)
        found = reach(filters.apply(records), home, places)
        mine = Tiers(tiers.own & pool, tiers.regional & pool, tiers.flanders & pool)
        assert index.take(mine.own) == found.own
        assert index.take(mine.regional) == found.regional
        assert index.take(mine.flanders) == found.flanders
        assert index.by_name(mine.regional) == by_name(found.regional)
        assert index.by_name(mine.own, 5) == by_name(found.own)[:5]
        whole = reach(records, home, places)
        every = tiers.own | tiers.regional | tiers.flanders
        assert benchmark_from_counts(
            (index.count(tiers.own), index.facet_counts(tiers.own)),
            (index.count(every), index.facet_counts(every)),
            inventory,
            _label,
            "nl",
        ) == benchmark(whole.own, whole.reachable, inventory, _label, "nl")


def test_values_outside_the_vocabulary_and_empty_catalogues() -> None:
    odd = replace(random_catalogue(1, 9)[0], elements=frozenset({"not-an-element"}))
    index = LandscapeIndex((odd,))
    wanted = Filters(facets={"elements": frozenset({"not-an-element"})})
    assert index.take(index.mask(wanted)) == wanted.apply((odd,)) == [odd]
    assert index.facet_counts(index.all) == all_facet_counts([odd])
    empty = LandscapeIndex(())
    assert empty.facet_counts(empty.all) == all_facet_counts([])
    assert empty.take(empty.mask(wanted)) == []


def test_a_snapshot_is_indexed_once_and_a_new_one_again() -> None:
    first = random_catalogue(300, 5)
    assert landscape_index(first) is landscape_index(first)
    second = tuple(first)[:-1]
    assert landscape_index(second) is not landscape_index(first)
    assert landscape_index(second).n == 299


def test_the_page_lists_at_most_a_hundred_per_tier_but_counts_them_all(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = load_places()
    westerlo = places.find("Westerlo")
    assert westerlo is not None
    neighbour = next(
        m for m in places.all() if m.arrondissement == westerlo.arrondissement and m != westerlo
    )
    base = random_catalogue(1, 11)[0]
    records = tuple(
        replace(
            base,
            id=i,
            name=f"Initiatief {i:04d}",
            municipality=(westerlo if i % 3 else neighbour).name,
            geographic_level="local",
        )
        for i in range(1, 601)
    )
    monkeypatch.setattr(landscape_pages, "catalogue_records", lambda request: records)
    html = client.get("/landschap", params={"municipality": "Westerlo"}).text
    assert "In Westerlo zelf</h3>" not in html
    assert "In Westerlo zelf: 400</h3>" in html
    assert '<dd id="count-regional">200</dd>' in html
    assert "De eerste 100 van 400, op naam." in html
    assert "De eerste 100 van 200, op naam." in html
    assert html.count("<li>Initiatief ") == 200  # 100 own + 100 regional (with a place)
    assert "Initiatief 0001" in html  # by name: the first ones
    # The matrix stays paged: 25 rows of the 400 own initiatives.
    assert "Pagina 1 van 16" in html


@pytest.mark.parametrize(("size", "seed"), CATALOGUES[:2])
def test_the_demand_page_counts_the_reachable_offer_as_a_pass_does(size: int, seed: int) -> None:
    records = random_catalogue(size, seed)
    places = load_places()
    rng = random.Random(seed)
    for home in [None, *(places.find(r.municipality) for r in records[:8])]:
        filters = replace(random_filters(rng, records), municipality=None)
        index, mask, reach_counts = _offer(records, filters, home)
        kept = filters.apply(records)
        if home is not None:
            where = [place_of(r, home, places) for r in kept]
            kept = [r for r, w in zip(kept, where, strict=True) if w in reach_counts]
            assert reach_counts == {t: where.count(t) for t in reach_counts}
        assert index.take(mask) == kept
        assert index.facet_counts(mask)["age_groups"] == all_facet_counts(kept)["age_groups"]
