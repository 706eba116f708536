"""Iteration counts, scaled by BENCH_SCALE (or --quick / --scale) so tests can run tiny."""

from __future__ import annotations

import math
import os

ENV_VAR = "BENCH_SCALE"
QUICK_SCALE = 0.05


class ScaleError(ValueError):
    """BENCH_SCALE or --scale is not a positive, finite number."""


def parse_scale(raw: str | float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ScaleError(f"scale must be a number, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ScaleError(f"scale must be a positive, finite number, got {raw!r}")
    return value


def scale_from_env() -> float:
    raw = os.environ.get(ENV_VAR, "").strip()
    return parse_scale(raw) if raw else 1.0


def chosen_scale(scale: str | None, quick: bool) -> float:
    """The scale of a run: --scale, else the quick scale for --quick, else BENCH_SCALE (1.0
    when unset)."""
    if scale is not None:
        return parse_scale(scale)
    return QUICK_SCALE if quick else scale_from_env()


def scaled(base: int, scale: float, minimum: int = 1) -> int:
    """base × scale, rounded, never below minimum."""
    return max(minimum, round(base * scale))
