"""wrk as the load generator of the real-server benchmark (bench.scale_server_bench).

The httpx clients of the bench process spend about as much CPU per request as the server
does on a trivial route (0.7 ms a trivial request, 1.1–1.2 ms an advice, on the same two
CPUs): ratios against the trivial route then measure the clients. wrk (C, one epoll loop
per thread) sends the same requests for a few hundredths of a millisecond each.

`run_wrk` sends one route for a fixed number of seconds over `connections` connections
with bench/wrk_route.lua and returns what the script's done() printed: request count,
errors, latency percentiles, the latency distribution as quantiles, and wrk's own CPU time.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import Summary

SCRIPT = Path(__file__).with_name("wrk_route.lua")
RESULT_PREFIX = "WRK-RESULT "
# Latencies above this count as timeouts (wrk's default is 2 s; the list page can take
# longer while the machine is busy).
TIMEOUT_S = 10


class WrkError(RuntimeError):
    """wrk failed, or reported errors: the figures would be void."""


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass(frozen=True, slots=True)
class WrkRoute:
    """A request wrk sends: bodies (if any) in turn, a new connection each time if `close`."""

    method: str
    path: str
    bodies: tuple[bytes, ...] = ()
    content_type: str | None = None
    close: bool = False


@dataclass(frozen=True, slots=True)
class WrkBlock:
    """What one wrk run reported (latencies in microseconds)."""

    requests: int
    duration_s: float
    errors: dict[str, int]
    cpu_s: float  # wrk's CPU time (all threads) until the end of the load
    latency_us: dict[str, float]
    quantiles_us: tuple[int, ...]  # the distribution, each value weighing requests / len

    @classmethod
    def parse(cls, stdout: str) -> WrkBlock:
        line = next((ln for ln in stdout.splitlines() if ln.startswith(RESULT_PREFIX)), None)
        if line is None:
            raise WrkError(f"wrk printed no {RESULT_PREFIX.strip()} line: {stdout[-500:]}")
        data: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
        return cls(
            requests=int(data["requests"]),
            duration_s=data["duration_us"] / 1e6,
            errors={k: int(v) for k, v in data["errors"].items()},
            cpu_s=float(data["cpu_s"]),
            latency_us={k: float(v) for k, v in data.get("latency_us", {}).items()},
            quantiles_us=tuple(int(v) for v in data.get("quantiles_us", ())),
        )


def wrk_command(
    url: str,
    route: WrkRoute,
    seconds: int,
    connections: int,
    threads: int,
    bodies_file: Path | None,
) -> list[str]:
    wrk = wrk_path()
    if wrk is None:
        raise WrkError("wrk is not installed (make bench-deps)")
    command = [
        wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
        "--timeout", f"{TIMEOUT_S}s", "-s", str(SCRIPT), url,
        "--", route.method, route.path, "close" if route.close else "keep-alive",
    ]  # fmt: skip
    if route.bodies:
        assert bodies_file is not None and route.content_type is not None
        command += [route.content_type, str(bodies_file)]
    return command


def run_wrk(
    url: str,
    route: WrkRoute,
    seconds: int,
    connections: int,
    threads: int = 1,
    during: Callable[[], None] | None = None,
) -> WrkBlock:
    """Send `route` to `url` for `seconds` (whole seconds: wrk's -d) over `connections`
    connections. `during`, if given, is called once while the load runs (half a second in,
    or half-way through a one-second run), e.g. to see how the connections are spread."""
    if seconds < 1:
        raise ValueError("wrk runs for whole seconds, at least 1")
    for body in route.bodies:
        if b"\n" in body or b"\r" in body:
            raise ValueError("a body for wrk_route.lua must be one line")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        bodies_file = None
        if route.bodies:
            bodies_file = Path(tmp) / "bodies.txt"
            bodies_file.write_bytes(b"".join(body + b"\n" for body in route.bodies))
        command = wrk_command(url, route, seconds, connections, threads, bodies_file)
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        watcher = None
        if during is not None:

            def watch() -> None:
                time.sleep(min(0.5, seconds / 2))
                if process.poll() is None:
                    during()

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
        try:
            stdout, stderr = process.communicate(timeout=seconds + TIMEOUT_S + 30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise WrkError(f"wrk did not finish: {' '.join(command)}") from None
        if watcher is not None:
            watcher.join()
    if process.returncode != 0:
        raise WrkError(f"wrk exited with {process.returncode}: {stderr.strip()[-500:]}")
    block = WrkBlock.parse(stdout)
    failed = {k: v for k, v in block.errors.items() if v}
    if failed or block.requests == 0:
        raise WrkError(
            f"{route.method} {route.path}: wrk reported {block.requests} requests, errors "
            f"{failed or 'none'} (status = answers above 399)"
        )
    return block


def _weighted_percentile(points: Sequence[tuple[float, float]], fraction: float) -> float:
    """Value at `fraction` of the total weight of sorted (value, weight) points."""
    total = sum(w for _v, w in points)
    target = fraction * total
    seen = 0.0
    for value, weight in points:
        seen += weight
        if seen >= target:
            return value
    return points[-1][0] if points else math.nan


def summarise_blocks(label: str, blocks: Sequence[WrkBlock]) -> Summary:
    """One Summary from several wrk runs of a route: requests per second over their summed
    durations; mean, minimum and maximum exact; median and p95 from the pooled quantiles
    (each run's quantiles weighted by its request count: to within 0.1 % of the rank when
    a run has more than 1 000 requests, exact otherwise)."""
    count = sum(b.requests for b in blocks)
    if count == 0:
        raise ValueError(f"{label}: no requests")
    wall_s = sum(b.duration_s for b in blocks)
    points = sorted(
        (float(v), b.requests / len(b.quantiles_us))
        for b in blocks
        if b.quantiles_us
        for v in b.quantiles_us
    )
    mean = sum(b.latency_us["mean"] * b.requests for b in blocks) / count
    return Summary(
        label=label,
        count=count,
        wall_s=wall_s,
        per_second=count / wall_s if wall_s > 0 else math.inf,
        mean_us=mean,
        median_us=_weighted_percentile(points, 0.5),
        p95_us=_weighted_percentile(points, 0.95),
        min_us=min(b.latency_us["min"] for b in blocks),
        max_us=max(b.latency_us["max"] for b in blocks),
    )
