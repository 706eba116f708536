"""Timing summaries from per-operation samples in nanoseconds (time.perf_counter_ns)."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Summary:
    """Figures for one measured operation; latencies in microseconds."""

    label: str
    count: int
    wall_s: float
    per_second: float
    mean_us: float
    median_us: float
    p95_us: float
    min_us: float
    max_us: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[int], fraction: float) -> float:
    """Linear-interpolated percentile of already sorted values (fraction in 0..1)."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(sorted_values[low])
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


def summarise(label: str, samples_ns: list[int], wall_ns: int) -> Summary:
    """Summarise per-operation samples; throughput is count / wall-clock of the loop."""
    if not samples_ns:
        raise ValueError(f"{label}: no samples")
    ordered = sorted(samples_ns)
    wall_s = wall_ns / 1e9
    return Summary(
        label=label,
        count=len(ordered),
        wall_s=wall_s,
        per_second=len(ordered) / wall_s if wall_s > 0 else math.inf,
        mean_us=statistics.fmean(ordered) / 1e3,
        median_us=percentile(ordered, 0.5) / 1e3,
        p95_us=percentile(ordered, 0.95) / 1e3,
        min_us=ordered[0] / 1e3,
        max_us=ordered[-1] / 1e3,
    )


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


@dataclass(slots=True)
class Accumulator:
    """Samples and wall-clock time gathered over one or more measured blocks."""

    label: str
    samples_ns: list[int]
    wall_ns: int = 0

    @classmethod
    def named(cls, label: str) -> Accumulator:
        return cls(label=label, samples_ns=[])

    def add_block(self, samples_ns: list[int], wall_ns: int) -> None:
        self.samples_ns.extend(samples_ns)
        self.wall_ns += wall_ns

    def summary(self) -> Summary:
        return summarise(self.label, self.samples_ns, self.wall_ns)


def split(total: int, parts: int) -> list[int]:
    """total as `parts` near-equal positive block sizes (fewer blocks if total is small)."""
    parts = max(1, min(parts, total))
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
