"""Plain-text tables for the terminal and the JSON file with the same figures."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.stats import Summary

PACKAGES = ("fastapi", "starlette", "pydantic", "pydantic-core", "sqlalchemy", "uvicorn", "httpx")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LATEST = RESULTS_DIR / "latest.json"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _usable_cpus() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def environment(scale: float) -> dict[str, Any]:
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": _usable_cpus(),
        "scale": scale,
        "packages": {name: _version(name) for name in PACKAGES},
    }


def header(env: Mapping[str, Any]) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    cpus = f"{env['cpu_count']}"
    if env["cpu_usable"] is not None and env["cpu_usable"] != env["cpu_count"]:
        cpus += f" ({env['cpu_usable']} usable)"
    lines = [
        "Eenzaamheidswijzer benchmarks",
        "=" * 29,
        f"date      {env['date']}",
        f"python    {env['python']} ({env['implementation']}) {env['executable']}",
        f"platform  {env['platform']}",
        f"cpus      {cpus}",
        f"scale     {env['scale']:g}  (BENCH_SCALE / --scale / --quick)",
        f"packages  {packages}",
    ]
    return "\n".join(lines)


def _num(value: float, decimals: int = 1) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    return f"{value:,.{decimals}f}"


def table(rows: Iterable[Summary], unit: str, notes: Mapping[str, str] | None = None) -> str:
    """One row per Summary: count, rate, latency mean/median/p95/max in µs."""
    notes = notes or {}
    head = ("operation", "n", f"{unit}/s", "mean µs", "median µs", "p95 µs", "max µs", "")
    body = [
        (
            s.label,
            f"{s.count:,}",
            _num(s.per_second, 0),
            _num(s.mean_us),
            _num(s.median_us),
            _num(s.p95_us),
            _num(s.max_us),
            notes.get(s.label, ""),
        )
        for s in rows
    ]
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        middle = [c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True)]
        return "  " + "  ".join([first, *middle, cells[-1]]).rstrip()

    rule = "  " + "-" * (sum(widths[:-1]) + 2 * (len(widths) - 2))
    return "\n".join([line(head), rule, *(line(r) for r in body)])


def columns(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain table: the first column left-aligned, the others right-aligned, a rule under
    the head."""
    body = [tuple(r) for r in rows]
    widths = [max(len(r[i]) for r in (tuple(head), *body)) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        return "  " + "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  " + "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([line(head), rule, *(line(r) for r in body)])


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _finite(value: Any) -> Any:
    """NaN and infinity are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_json(data: Mapping[str, Any], path: Path = LATEST) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    text = json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False)
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
