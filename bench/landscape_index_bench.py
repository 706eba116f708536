"""Issue 10: the landscape from the bitset index beside a pass over the records.

`python -m bench.landscape_index_bench [--sizes 1000,10000,100000] [--repeat N]`

For synthetic catalogues (bench.synthetic, places from data/municipalities.csv) of each
size, in the same run:

- old: what GET /api/v1/landscape and GET /landschap computed before the index, by direct
  calls of the pass-over-the-records functions (Filters.apply, all_facet_counts, find_gaps,
  crosstab, overview, reach, benchmark, by_name). The old page also rendered every regional
  and Flanders-wide initiative of a municipality; that rendering is not counted, so the
  old page figures are a lower bound.
- new (direct): the same figures from app.landscape.index.
- new (HTTP): the request end to end through TestClient, template and JSON included, with
  the app's catalogue snapshot replaced by the records.

Each figure is the median of the timed calls, in ms. The index is built once per snapshot;
its build time is printed apart. Nothing asserts time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.advice.knowledge import Knowledge
from app.catalogue.records import InitiativeRecord
from app.domain.places import Municipality, load_places
from app.landscape.api_support import labeller
from app.landscape.facets import Filters
from app.landscape.gaps import find_gaps, gaps_from_counts, render_gaps
from app.landscape.index import LandscapeIndex, landscape_index
from app.landscape.municipality import (
    benchmark,
    benchmark_from_counts,
    by_name,
    load_inventory,
    reach,
    where_label,
)
from app.landscape.service import Cell, all_facet_counts, crosstab, landscape, landscape_from_counts
from app.landscape.view import indexed_overview, matrix_rows, overview
from app.main import create_app
from bench.fixtures import app_settings
from bench.synthetic import synthetic_catalogue

SIZES = (1_000, 10_000, 100_000)
FILTER = Filters(facets={"elements": frozenset({"meeting"}), "age_groups": frozenset({"older"})})
ROW, COL = Cell("elements", "meeting"), Cell("age_groups", "older")
PLACE = "Antwerpen"
LIST_LIMIT = 100
PAGE_SIZE = 25


class StaticCatalogue:
    """Stands in for CatalogueSnapshot: `get()` returns fixed records."""

    def __init__(self, records: Sequence[InitiativeRecord]) -> None:
        self._records = records

    def get(self) -> Sequence[InitiativeRecord]:
        return self._records


# The old paths, as the routes ran them before the index --------------------------------


def old_api(records: Sequence[InitiativeRecord], filters: Filters, knowledge: Knowledge) -> object:
    selected = filters.apply(records)
    counts = all_facet_counts(selected)
    gaps = find_gaps(selected, labeller(knowledge, "nl"), counts)
    return {**landscape(selected, counts), "gaps": render_gaps(gaps, knowledge.gaps, "nl")}


def old_page(
    records: Sequence[InitiativeRecord],
    filters: Filters,
    place: Municipality | None,
    knowledge: Knowledge,
) -> object:
    places = load_places()
    label = labeller(knowledge, "nl")
    if place is None:
        selected, found = filters.apply(records), None
    else:
        found = reach(filters.apply(records), place, places)
        selected = found.own
    out: list[object] = [crosstab(selected, ROW, COL), overview(selected, knowledge, "nl")]
    out.append(matrix_rows(selected[:PAGE_SIZE], knowledge, "nl"))
    if place is not None and found is not None:
        whole = reach(records, place, places)
        inventory = load_inventory()
        out.append(benchmark(whole.own, whole.reachable, inventory, label, "nl"))
        out.append(by_name(found.own))
        out.append([(r, where_label(r, places)) for r in by_name(found.regional)])
        out.append(by_name(found.flanders))
    return out


# The new paths, as the routes run them now ------------------------------------------------


def new_api(records: Sequence[InitiativeRecord], filters: Filters, knowledge: Knowledge) -> object:
    index = landscape_index(records)
    mask = index.mask(filters)
    n = index.count(mask)
    counts = index.facet_counts(mask)
    gaps = gaps_from_counts(
        n, counts, index.unspecified_dimensions(mask), labeller(knowledge, "nl")
    )
    return {**landscape_from_counts(n, counts), "gaps": render_gaps(gaps, knowledge.gaps, "nl")}


def new_page(
    records: Sequence[InitiativeRecord],
    filters: Filters,
    place: Municipality | None,
    knowledge: Knowledge,
) -> object:
    places = load_places()
    index = landscape_index(records)
    label = labeller(knowledge, "nl")
    if place is None:
        mask, tiers = index.mask(filters), None
    else:
        pool = index.mask(filters)
        tiers = index.tiers(place, places)
        own, regional, flanders = tiers.own & pool, tiers.regional & pool, tiers.flanders & pool
        mask = own
    out: list[object] = [index.crosstab(mask, ROW, COL)]
    out.append(indexed_overview(index, mask, knowledge, "nl"))
    out.append(matrix_rows(index.take(mask, 0, PAGE_SIZE), knowledge, "nl"))
    if place is not None and tiers is not None:
        every = tiers.own | tiers.regional | tiers.flanders
        out.append(
            benchmark_from_counts(
                (index.count(tiers.own), index.facet_counts(tiers.own)),
                (index.count(every), index.facet_counts(every)),
                load_inventory(),
                label,
                "nl",
            )
        )
        out.append(index.by_name(own, LIST_LIMIT))
        out.append([(r, where_label(r, places)) for r in index.by_name(regional, LIST_LIMIT)])
        out.append(index.by_name(flanders, LIST_LIMIT))
    return out


def _median_ms(op: Callable[[], object], repeat: int) -> float:
    op()  # warm up (and build what is built once)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        op()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _get(client: TestClient, url: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        return response

    return call


def run(sizes: Sequence[int], repeat: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    place = load_places().find(PLACE)
    assert place is not None
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(app_settings(Path(tmp) / "bench.db"))
        with TestClient(app) as client:
            knowledge = app.state.knowledge
            for size in sizes:
                records = synthetic_catalogue(size)
                start = time.perf_counter()
                LandscapeIndex(records)
                build_ms = (time.perf_counter() - start) * 1000
                app.state.catalogue = StaticCatalogue(records)
                landscape_index(records)
                old_repeat = max(3, repeat // max(1, size // 10_000))
                cases = [
                    (
                        "/api/v1/landscape",
                        lambda r=records: old_api(r, Filters(), knowledge),
                        lambda r=records: new_api(r, Filters(), knowledge),
                        "/api/v1/landscape",
                    ),
                    (
                        "/api/v1/landscape (filtered)",
                        lambda r=records: old_api(r, FILTER, knowledge),
                        lambda r=records: new_api(r, FILTER, knowledge),
                        "/api/v1/landscape?elements=meeting&age_groups=older",
                    ),
                    (
                        "/landschap",
                        lambda r=records: old_page(r, Filters(), None, knowledge),
                        lambda r=records: new_page(r, Filters(), None, knowledge),
                        "/landschap",
                    ),
                    (
                        f"/landschap?municipality={PLACE}",
                        lambda r=records: old_page(r, Filters(), place, knowledge),
                        lambda r=records: new_page(r, Filters(), place, knowledge),
                        f"/landschap?municipality={PLACE}",
                    ),
                ]
                for name, old, new, url in cases:
                    rows.append(
                        {
                            "size": size,
                            "operation": name,
                            "old_ms": _median_ms(old, old_repeat),
                            "new_ms": _median_ms(new, repeat),
                            "http_ms": _median_ms(_get(client, url), repeat),
                            "build_ms": build_ms,
                        }
                    )
    return rows


def _check_same(size: int) -> None:
    """The old and new paths give the same landscape (a guard, not a test)."""
    records = synthetic_catalogue(size)
    for filters in (Filters(), FILTER, replace(FILTER, min_elements=2)):
        index = landscape_index(records)
        mask = index.mask(filters)
        if index.facet_counts(mask) != all_facet_counts(filters.apply(records)):
            raise RuntimeError("the index and the pass over the records disagree")


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        f"{'initiatives':>11}  {'operation':<36} {'old ms':>9} {'new ms':>8} "
        f"{'speed-up':>8} {'new HTTP ms':>11}",
    ]
    for r in rows:
        lines.append(
            f"{r['size']:>11,}  {r['operation']:<36} {r['old_ms']:>9.1f} {r['new_ms']:>8.2f} "
            f"{r['old_ms'] / r['new_ms']:>7.0f}x {r['http_ms']:>11.1f}"
        )
    builds = dict.fromkeys((r["size"], r["build_ms"]) for r in rows)
    lines.append(
        "index build, once per catalogue snapshot: "
        + ", ".join(f"{size:,}: {ms:.0f} ms" for size, ms in builds)
    )
    lines.append(
        "old = the pass over the records the routes ran before (baseline, same run; the old "
        "page's rendering of every reachable initiative is not counted); new = the index; "
        "new HTTP = the request end to end (TestClient). Goal: < 100 ms at 100 000."
    )
    return "\n".join(lines)


def run_scaled(scale: float) -> list[dict[str, Any]]:
    """For `make bench`: 100 000 initiatives from scale 0.2 (as the matching curve)."""
    sizes = SIZES if scale >= 0.2 else SIZES[:2]
    return run(sizes, max(3, round(15 * scale)))


def format_section(rows: Sequence[dict[str, Any]], number: int = 7) -> str:
    return (
        f"{number}. Landscape from the bitset index (issue 10) beside a pass over the "
        f"records, ms per request (median)\n{format_rows(rows)}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.landscape_index_bench")
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    _check_same(min(sizes))
    print(format_rows(run(sizes, args.repeat)))


if __name__ == "__main__":
    main()
