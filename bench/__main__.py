"""`python -m bench` (make bench): throughput of the advice engine and API beside baselines.

Nothing here asserts anything about time; it prints figures, ratios and the goals, and
writes the same figures to bench/results/latest.json.

Iteration counts scale with BENCH_SCALE (default 1.0), --quick (0.05) or --scale.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    advice_floor_bench,
    asgi_bench,
    engine_bench,
    landscape_bench,
    landscape_index_bench,
    matching_bench,
    page_bench,
    scale_server_bench,
    server_bench,
)
from bench.report import LATEST, environment, header, table, verdict, write_json
from bench.scale import QUICK_SCALE, ScaleError, chosen_scale


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the advice engine and the API; print figures and ratios.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"tiny run (scale {QUICK_SCALE}), e.g. for tests",
    )
    parser.add_argument(
        "--scale",
        metavar="FACTOR",
        help="multiply every iteration count by FACTOR (overrides BENCH_SCALE and --quick)",
    )
    parser.add_argument(
        "--no-server",
        action="store_true",
        help="skip the measurement against a real uvicorn server",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=LATEST,
        metavar="PATH",
        help=f"where to write the JSON figures (default: {LATEST})",
    )
    return parser


def _scale(args: argparse.Namespace) -> float:
    return chosen_scale(args.scale, args.quick)


def _print(text: str = "") -> None:
    print(text, flush=True)


def _engine_section(result: engine_bench.EngineResult) -> str:
    a, b = result.advice, result.baseline
    return "\n".join(
        [
            f"1. Advice engine alone: advise() over {result.intakes} intakes, "
            f"{result.rules} rules, {result.initiatives} initiatives",
            table([a, b], "ops", {b.label: "(baseline)"}),
            f"  advice / Intake validation (mean): {result.ratio_mean:,.1f}×",
            f"  mean per advice: {a.mean_us:,.1f} µs   goal: < {engine_bench.GOAL_US:.0f} µs "
            f"per advice → {verdict(result.goal_met)}",
        ]
    )


def _http_section(title: str, result: asgi_bench.HttpResult) -> str:
    a, t = result.advice, result.trivial
    return "\n".join(
        [
            title,
            table([t, a], "req", {t.label: "(baseline)"}),
            f"  advice / trivial (req/s): {result.ratio * 100:.1f} %   goal: ≥ "
            f"{asgi_bench.GOAL_RATIO * 100:.0f} % → {verdict(result.goal_met)}",
        ]
    )


def _page_section(result: page_bench.PageResult) -> str:
    r, t = result.result_page, result.trivial
    lines = [
        "4. HTML pages, in-process (httpx.ASGITransport), sequential",
        table([t, r], "req", {t.label: "(baseline)"}),
        f"  result page / trivial page (mean time): {result.ratio:,.1f}×",
        "  weight per page, gzip, with htmx + app.js + app.css "
        f"(goal < {page_bench.WEIGHT_LIMIT // 1024} KB):",
    ]
    for page, size in result.weights.items():
        lines.append(f"    {page:<22} {size / 1024:6.1f} KB")
    lines.append(
        f"  heaviest: {result.heaviest / 1024:.1f} KB → "
        f"{verdict(result.heaviest < page_bench.WEIGHT_LIMIT)}"
    )
    return "\n".join(lines)


def _server_section(
    results: dict[str, Any],
    key: str,
    title: str,
    measure: Callable[[], Any] | None,
    format_section: Callable[[Any], str],
) -> None:
    """An optional measurement against real servers: skipped with --no-server (`measure`
    None), and reported with why when it fails, keeping the rest of the run."""
    if measure is None:
        results[key] = {"skipped": "--no-server"}
        _print(f"{title}\n  skipped (--no-server)")
    else:
        try:
            found = measure()
        except Exception as exc:  # optional measurement: report why, keep the rest
            results[key] = {"skipped": f"{type(exc).__name__}: {exc}"}
            _print(f"{title}\n  skipped: {type(exc).__name__}: {exc}")
        else:
            results[key] = found.as_dict()
            _print(format_section(found))
    _print()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        scale = _scale(args)
    except ScaleError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    env = environment(scale)
    results: dict[str, Any] = {"environment": env}
    _print(header(env))
    _print()

    engine = engine_bench.run(scale)
    results["engine"] = engine.as_dict()
    _print(_engine_section(engine))
    _print()

    try:
        asgi = asyncio.run(asgi_bench.run(scale))
    except asgi_bench.BenchRequestError as exc:
        print(f"bench: the API did not answer as expected: {exc}", file=sys.stderr)
        return 1
    results["asgi"] = {"transport": "httpx.ASGITransport (in-process)", **asgi.as_dict()}
    _print(
        _http_section("2. Through the ASGI app, in-process (httpx.ASGITransport), sequential", asgi)
    )
    _print()

    title = (
        f"3. Real uvicorn server on 127.0.0.1 (thread in this process), "
        f"{server_bench.CONCURRENCY} concurrent clients"
    )
    if args.no_server:
        results["server"] = {"skipped": "--no-server"}
        _print(f"{title}\n  skipped (--no-server)")
    else:
        try:
            server = server_bench.run(scale)
        except Exception as exc:  # optional measurement: report why, keep the rest
            results["server"] = {"skipped": f"{type(exc).__name__}: {exc}"}
            _print(f"{title}\n  skipped: {type(exc).__name__}: {exc}")
        else:
            results["server"] = {"transport": "uvicorn + httpx over TCP", **server.as_dict()}
            _print(_http_section(title, server))
            _print("  (server and clients share one interpreter: read the ratio, not the rate)")
    _print()

    try:
        pages = asyncio.run(page_bench.run(scale))
    except asgi_bench.BenchRequestError as exc:
        print(f"bench: a page did not answer as expected: {exc}", file=sys.stderr)
        return 1
    results["pages"] = pages.as_dict()
    _print(_page_section(pages))
    _print()

    try:
        lands = landscape_bench.run(scale)
    except asgi_bench.BenchRequestError as exc:
        print(f"bench: the landscape did not answer as expected: {exc}", file=sys.stderr)
        return 1
    results["landscape"] = lands.as_dict()
    _print(landscape_bench.format_section(lands))
    _print()

    curve = matching_bench.run(scale)
    results["matching_curve"] = curve.as_dict()
    _print(matching_bench.format_section(curve))
    _print()

    index_rows = landscape_index_bench.run_scaled(scale)
    results["landscape_index"] = index_rows
    _print(landscape_index_bench.format_section(index_rows))
    _print()

    _server_section(
        results,
        "scale_server",
        "8. The real server (`python -m app serve`) on generated catalogues",
        None if args.no_server else lambda: scale_server_bench.run(scale),
        scale_server_bench.format_section,
    )
    _server_section(
        results,
        "advice_floor",
        "9. Where an advice's time goes (bench.floor_app, the real server, wrk)",
        None if args.no_server else lambda: advice_floor_bench.run(scale),
        advice_floor_bench.format_section,
    )

    path = write_json(results, args.output)
    _print(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
