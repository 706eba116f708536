"""Benchmark 6: advise() at the scale of all of Flanders, through the catalogue index
beside the linear loop it replaced (the baseline, in the same run).

`python -m bench.matching_bench [SCALE]` runs it alone.

Synthetic catalogues of 1 000, 10 000 and 100 000 initiatives (bench/synthetic.py); the
sixteen bench intakes round-robin. The catalogues are frozen out of the garbage
collector's reach after loading (gc.freeze), as the server does at start.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.advice.engine import advise
from app.catalogue.index import catalogue_index
from app.catalogue.records import InitiativeRecord
from app.domain.places import load_places
from bench.fixtures import load_shipped_knowledge, parsed_intakes
from bench.scale import parse_scale, scale_from_env, scaled
from bench.stats import Accumulator, Summary, ratio, split
from bench.synthetic import synthetic_catalogue

SIZES = (1_000, 10_000, 100_000)
# Below this scale (--quick, the tests) the curve stops before 100 000.
FULL_CURVE_SCALE = 0.2
# Calls at scale 1 per path and size: about 1-2 s of linear matching per size.
LINEAR_CALLS = {1_000: 320, 10_000: 48, 100_000: 16}
INDEXED_CALLS = {1_000: 1_600, 10_000: 800, 100_000: 320}
BLOCKS = 2


@dataclass(frozen=True, slots=True)
class Point:
    size: int
    linear: Summary
    indexed: Summary
    build_ms: float  # building the index once for this snapshot

    @property
    def speedup(self) -> float:
        return ratio(self.linear.mean_us, self.indexed.mean_us)

    def as_dict(self) -> dict[str, Any]:
        return {
            "initiatives": self.size,
            "linear": self.linear.as_dict(),
            "indexed": self.indexed.as_dict(),
            "index_build_ms": self.build_ms,
            "linear_to_indexed_mean": self.speedup,
        }


@dataclass(frozen=True, slots=True)
class CurveResult:
    points: list[Point]

    def as_dict(self) -> dict[str, Any]:
        return {"curve": [p.as_dict() for p in self.points]}


def _block(acc: Accumulator, op: Callable[[int], object], n: int) -> None:
    gc.collect()
    samples = [0] * n
    clock = time.perf_counter_ns
    begin = clock()
    for j in range(n):
        t0 = clock()
        op(j)
        samples[j] = clock() - t0
    acc.add_block(samples, clock() - begin)


def run(scale: float) -> CurveResult:
    knowledge = load_shipped_knowledge()
    intakes = parsed_intakes()
    k = len(intakes)
    places = load_places()
    sizes = SIZES if scale >= FULL_CURVE_SCALE else SIZES[:-1]
    points: list[Point] = []
    for size in sizes:
        snapshot = synthetic_catalogue(size)
        # The same records in a list: a list may change, so matching never indexes it
        # and visits every record (app.catalogue.matching.match_initiatives).
        as_list = list(snapshot)
        gc.collect()
        gc.freeze()
        t0 = time.perf_counter()
        catalogue_index(snapshot, places)
        build_ms = (time.perf_counter() - t0) * 1e3

        def op(catalogue: Sequence[InitiativeRecord]) -> Callable[[int], object]:
            return lambda n: advise(intakes[n % k], knowledge, catalogue, "nl", places=places)

        paths = {
            "linear": (op(as_list), Accumulator.named("linear")),
            "index": (op(snapshot), Accumulator.named("index")),
        }
        calls = {
            "linear": split(scaled(LINEAR_CALLS[size], scale, minimum=k), BLOCKS),
            "index": split(scaled(INDEXED_CALLS[size], scale, minimum=k), BLOCKS),
        }
        # Warm-up, not measured: the index derives a few arrays on first use (helplines,
        # the place tiers seen from each home); the loop's caches fill on its first call.
        for i in range(k):
            paths["index"][0](i)
        paths["linear"][0](0)
        # Blocks alternate between the two paths, so that drift affects both alike.
        for block in range(BLOCKS):
            for path in ("linear", "index") if block % 2 == 0 else ("index", "linear"):
                if block < len(calls[path]):
                    call, acc = paths[path]
                    _block(acc, call, calls[path][block])
        linear, indexed = paths["linear"][1].summary(), paths["index"][1].summary()
        points.append(Point(size, linear, indexed, build_ms))
        gc.unfreeze()
    return CurveResult(points)


def format_section(result: CurveResult, number: int = 6) -> str:
    lines = [
        f"{number}. advise() at the scale of Flanders: synthetic catalogues, catalogue index "
        "beside the linear loop (baseline)",
        f"  {'initiatives':>11}  {'linear ms':>10}  {'index ms':>9}  {'linear/index':>12}"
        f"  {'index build':>11}",
    ]
    for p in result.points:
        lines.append(
            f"  {p.size:>11,}  {p.linear.mean_us / 1e3:>10.2f}  {p.indexed.mean_us / 1e3:>9.2f}"
            f"  {p.speedup:>11.1f}×  {p.build_ms:>8.0f} ms"
        )
    first, last = result.points[0], result.points[-1]
    growth = last.size / first.size
    linear_growth = ratio(last.linear.mean_us, first.linear.mean_us)
    index_growth = ratio(last.indexed.mean_us, first.indexed.mean_us)
    lines.append(
        f"  {growth:,.0f}× the initiatives: linear {linear_growth:,.1f}× the time per advice, "
        f"index {index_growth:,.1f}×"
    )
    if len(result.points) < len(SIZES):
        lines.append(f"  (the {SIZES[-1]:,} point needs scale ≥ {FULL_CURVE_SCALE:g})")
    return "\n".join(lines)


def main() -> None:
    """`python -m bench.matching_bench [SCALE]`: run this benchmark alone."""
    scale = parse_scale(sys.argv[1]) if len(sys.argv) > 1 else scale_from_env()
    print(format_section(run(scale)), flush=True)


if __name__ == "__main__":
    main()
