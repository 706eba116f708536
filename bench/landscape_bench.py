"""Benchmark 5: the landscape (DOMAIN.md §7) over a large catalogue beside the report's 133.

The 133 initiatives of tests/fixtures/report133.csv (classified like the report's, Thomas
More 2023, part 2) are cycled to BASE_RECORDS synthetic records (scaled, at least
MIN_RECORDS): copy k of row r keeps r's classification and gets its own id, name and one of
300 synthetic municipalities. Each operation is timed on both catalogues:

- landscape() + gaps over everything (the pure functions, as GET /api/v1/landscape runs them)
- landscape() with a filter (elements=meeting&age_groups=older)
- crosstab(elements:meeting × age_groups:older)
- GET /api/v1/landscape end to end, in-process (httpx.ASGITransport), with the app's
  catalogue snapshot replaced by the records (seeding 100 000 rows into SQLite would time
  the database, not the landscape)

Nothing asserts time; the goal (< GOAL_MS per operation on the large catalogue) is printed.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from app.catalogue.csvio import parse_records
from app.catalogue.records import InitiativeRecord
from app.landscape.api_support import labeller
from app.landscape.facets import Filters
from app.landscape.gaps import find_gaps, render_gaps
from app.landscape.service import Cell, all_facet_counts, crosstab, landscape
from app.main import create_app
from bench.asgi_bench import BenchRequestError, check
from bench.fixtures import REPO_ROOT, app_settings, load_shipped_knowledge
from bench.report import table, verdict
from bench.scale import parse_scale, scale_from_env, scaled
from bench.stats import Accumulator, Summary, ratio, split

REPORT133_CSV = REPO_ROOT / "tests" / "fixtures" / "report133.csv"
GOAL_MS = 200.0
BASE_RECORDS = 100_000
MIN_RECORDS = 1000
# Timed calls per operation: few on the large catalogue, more on the 133 rows.
BASE_LARGE_CALLS = 10
BASE_SMALL_CALLS = 400
BLOCKS = 2
MIN_LARGE_CALLS = BLOCKS
MIN_SMALL_CALLS = 20
MUNICIPALITIES = 300
FILTER = (("elements", "meeting"), ("age_groups", "older"))
LANDSCAPE_PATH = "/api/v1/landscape"

OPERATIONS = (
    ("landscape", "landscape() + gaps"),
    ("filtered", "landscape(elements=meeting&age_groups=older)"),
    ("crosstab", "crosstab(meeting × older)"),
    ("http", f"GET {LANDSCAPE_PATH}"),
)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One operation on the large catalogue beside the same on the 133 rows."""

    key: str
    large: Summary
    small: Summary

    @property
    def ratio(self) -> float:
        """large mean ÷ small mean."""
        return ratio(self.large.mean_us, self.small.mean_us)

    @property
    def large_ms(self) -> float:
        return self.large.mean_us / 1000

    @property
    def small_ms(self) -> float:
        return self.small.mean_us / 1000

    @property
    def goal_met(self) -> bool:
        return self.large_ms < GOAL_MS

    def as_dict(self) -> dict[str, Any]:
        return {
            "large": self.large.as_dict(),
            "small": self.small.as_dict(),
            "mean_ms_large": self.large_ms,
            "mean_ms_small": self.small_ms,
            "ratio_large_to_small_mean": self.ratio,
            "goal_ms": GOAL_MS,
            "goal_met": self.goal_met,
        }


@dataclass(frozen=True, slots=True)
class LandscapeResult:
    records: int
    base_records: int
    operations: tuple[Comparison, ...]

    @property
    def goal_met(self) -> bool:
        return all(c.goal_met for c in self.operations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "base_records": self.base_records,
            "goal_ms": GOAL_MS,
            "goal_met": self.goal_met,
            "operations": {c.key: c.as_dict() for c in self.operations},
        }


class StaticCatalogue:
    """Stands in for CatalogueSnapshot: `get()` returns fixed records."""

    def __init__(self, records: Sequence[InitiativeRecord]) -> None:
        self.records = records

    def get(self) -> Sequence[InitiativeRecord]:
        return self.records


def load_report133() -> tuple[InitiativeRecord, ...]:
    """The fixture as records with ids 1..133, as the snapshot would hold them."""
    return parse_records(REPORT133_CSV.read_text(encoding="utf-8"))


def enlarge(base: Sequence[InitiativeRecord], n: int) -> tuple[InitiativeRecord, ...]:
    """n records cycling through base; copy k of a row has its own id, name and municipality
    (the classification is shared, so shares stay near the report's)."""
    out: list[InitiativeRecord] = []
    size = len(base)
    for i in range(n):
        copy, row = divmod(i, size)
        record = base[row]
        municipality = record.municipality
        if copy and municipality is not None:
            municipality = f"Gemeente {(row * 7 + copy) % MUNICIPALITIES:03d}"
        out.append(
            replace(
                record, id=i + 1, name=f"{record.name} (kopie {copy})", municipality=municipality
            )
        )
    return tuple(out)


def _block(acc: Accumulator, op: Callable[[], object], n: int) -> None:
    gc.collect()
    samples = [0] * n
    clock = time.perf_counter_ns
    begin = clock()
    for j in range(n):
        t0 = clock()
        op()
        samples[j] = clock() - t0
    acc.add_block(samples, clock() - begin)


def _pure_operations(
    records: Sequence[InitiativeRecord],
) -> dict[str, Callable[[], object]]:
    knowledge = load_shipped_knowledge()
    label = labeller(knowledge, "nl")
    filters = Filters.parse(FILTER)
    row, col = Cell.parse("elements:meeting", "row"), Cell.parse("age_groups:older", "col")

    def everything() -> object:
        counts = all_facet_counts(records)  # counted once, as GET /api/v1/landscape does
        return {
            **landscape(records, counts),
            "gaps": render_gaps(find_gaps(records, label, counts), knowledge.gaps, "nl"),
        }

    return {
        "landscape": everything,
        "filtered": lambda: landscape(filters.apply(records)),
        "crosstab": lambda: crosstab(records, row, col),
    }


def _sanity(small: Sequence[InitiativeRecord], large: Sequence[InitiativeRecord]) -> None:
    """The figures must be the report's on the 133 rows, and sensible on the large set."""
    ops = _pure_operations(small)
    body = ops["landscape"]()
    assert isinstance(body, dict)
    if body["n"] != 133 or body["facets"]["elements"]["meeting"]["percent"] != 71.4:
        raise BenchRequestError("the report133 fixture no longer gives the report's figures")
    table6 = ops["crosstab"]()
    assert isinstance(table6, dict)
    if table6["counts"] != [[64, 31], [13, 25]] or table6["chi2"] != 12.242:
        raise BenchRequestError(f"crosstab(meeting × older) answered {table6['counts']}")
    big = landscape(large)
    if big["n"] != len(large):
        raise BenchRequestError("landscape() over the large catalogue lost records")


def _measure(
    key: str,
    label: str,
    ops_large: Callable[[], object],
    ops_small: Callable[[], object],
    large_calls: int,
    small_calls: int,
) -> Comparison:
    for _ in range(2):  # warm-up
        ops_small()
    ops_large()
    large = Accumulator.named(f"{label} [large]")
    small = Accumulator.named(f"{label} [133]")
    # Both counts are at least BLOCKS, so each splits into BLOCKS blocks; the order of the
    # two alternates, so that slow drift affects both alike.
    blocks = zip(split(large_calls, BLOCKS), split(small_calls, BLOCKS), strict=True)
    for index, (n_large, n_small) in enumerate(blocks):
        if index % 2 == 0:
            _block(small, ops_small, n_small)
            _block(large, ops_large, n_large)
        else:
            _block(large, ops_large, n_large)
            _block(small, ops_small, n_small)
    return Comparison(key=key, large=large.summary(), small=small.summary())


async def _http_samples(
    small: Sequence[InitiativeRecord],
    large: Sequence[InitiativeRecord],
    large_calls: int,
    small_calls: int,
) -> Comparison:
    """GET /api/v1/landscape on both catalogues through one app (lifespan running)."""
    small_catalogue, large_catalogue = StaticCatalogue(small), StaticCatalogue(large)
    label = dict(OPERATIONS)["http"]
    large_acc = Accumulator.named(f"{label} [large]")
    small_acc = Accumulator.named(f"{label} [133]")
    with tempfile.TemporaryDirectory(prefix="bench-landscape-") as tmp:
        app = create_app(app_settings(Path(tmp) / "bench.db"))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

                async def block(acc: Accumulator, catalogue: StaticCatalogue, n: int) -> None:
                    app.state.catalogue = catalogue
                    gc.collect()
                    samples = [0] * n
                    clock = time.perf_counter_ns
                    begin = clock()
                    for j in range(n):
                        t0 = clock()
                        response = await client.get(LANDSCAPE_PATH)
                        samples[j] = clock() - t0
                        check(response)
                    acc.add_block(samples, clock() - begin)

                for catalogue, expected in ((small_catalogue, 133), (large_catalogue, len(large))):
                    app.state.catalogue = catalogue
                    response = await client.get(LANDSCAPE_PATH)  # warm-up and sanity
                    check(response)
                    if response.json().get("n") != expected:
                        raise BenchRequestError(f"GET {LANDSCAPE_PATH} did not count {expected}")
                blocks = zip(split(large_calls, BLOCKS), split(small_calls, BLOCKS), strict=True)
                for index, (n_large, n_small) in enumerate(blocks):
                    if index % 2 == 0:
                        await block(small_acc, small_catalogue, n_small)
                        await block(large_acc, large_catalogue, n_large)
                    else:
                        await block(large_acc, large_catalogue, n_large)
                        await block(small_acc, small_catalogue, n_small)
    return Comparison(key="http", large=large_acc.summary(), small=small_acc.summary())


def run(scale: float) -> LandscapeResult:
    small = load_report133()
    n = scaled(BASE_RECORDS, scale, minimum=MIN_RECORDS)
    large = enlarge(small, n)
    _sanity(small, large)
    large_calls = scaled(BASE_LARGE_CALLS, scale, minimum=MIN_LARGE_CALLS)
    small_calls = scaled(BASE_SMALL_CALLS, scale, minimum=MIN_SMALL_CALLS)
    ops_small, ops_large = _pure_operations(small), _pure_operations(large)
    labels = dict(OPERATIONS)
    comparisons = [
        _measure(key, labels[key], ops_large[key], ops_small[key], large_calls, small_calls)
        for key in ("landscape", "filtered", "crosstab")
    ]
    comparisons.append(asyncio.run(_http_samples(small, large, large_calls, small_calls)))
    return LandscapeResult(records=n, base_records=len(small), operations=tuple(comparisons))


def format_section(result: LandscapeResult, number: int = 5) -> str:
    """The printed text: a timing table and, per operation, large vs 133 and the goal."""
    rows: list[Summary] = []
    for c in result.operations:
        rows += [c.small, c.large]
    notes = {c.small.label: "(baseline)" for c in result.operations}
    labels = dict(OPERATIONS)
    width = max(len(label) for label in labels.values())
    lines = [
        f"{number}. Landscape over {result.records:,} initiatives (cycled from the "
        f"{result.base_records}-row report fixture) beside the {result.base_records} rows",
        table(rows, "ops", notes),
        f"  mean per operation, {result.records:,} vs {result.base_records} initiatives "
        f"(goal: < {GOAL_MS:.0f} ms at {result.records:,}):",
    ]
    for c in result.operations:
        lines.append(
            f"    {labels[c.key]:<{width}}  {c.large_ms:9,.2f} ms vs {c.small_ms:7,.3f} ms"
            f"  = {c.ratio:8,.1f}×  → {verdict(c.goal_met)}"
        )
    return "\n".join(lines)


def main() -> None:
    """`python -m bench.landscape_bench [SCALE]`: run this benchmark alone."""
    scale = parse_scale(sys.argv[1]) if len(sys.argv) > 1 else scale_from_env()
    print(format_section(run(scale)), flush=True)


if __name__ == "__main__":
    main()
