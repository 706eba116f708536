"""The real server at the scale of all of Flanders: `python -m bench.scale_server_bench`.

For generated catalogues (bench.synthetic: the shipped catalogue's mix over real
municipalities) of 1 000, 10 000 and 100 000 initiatives, each imported into a temporary
SQLite database by the app's own bulk import (csvio.import_initiatives), the server runs
as it does in production, `python -m app serve --workers N`, in a subprocess. Eight
concurrent keep-alive connections then send, route after route: an async trivial route
(the baseline), POST /api/v1/advice, the HTML result page (POST /advies with the
overview's form answers), GET /api/v1/landscape and GET /api/v1/initiatives?limit=20, and
POST /api/v1/advice once more over a new connection per request.

The load generator is wrk (`-t 1 -c 8`, fixed seconds per route, bench/wrk_route.lua; see
bench.wrk_load) when it is installed (`make bench-deps`), else eight httpx clients in this
process (bench.workers_bench), which cost about as much CPU per request as the server
spends on the trivial route. The table says which one measured.

At the largest size the server also runs with two workers (the 2-worker / 1-worker ratio
on advice), the resident memory of each worker process is read from /proc after the load,
and the time from starting the server to its first answer to POST /api/v1/advice is
measured. The issue's goals are printed beside the figures with a verdict.

Nothing here asserts anything about time. The load generator shares the machine's CPUs
with the workers, so the ratios measured in one run are what to read, not absolute rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlmodel import Session

from app.catalogue.csvio import ALL_COLUMNS, import_initiatives, write_csv
from app.catalogue.records import InitiativeRecord
from app.core.db import init_db, make_engine
from bench.asgi_bench import ADVICE_PATH, BODIES, JSON_HEADERS
from bench.page_bench import PEOPLE
from bench.report import columns, verdict
from bench.scale import QUICK_SCALE, chosen_scale, scaled
from bench.stats import Summary, ratio, summarise
from bench.synthetic import synthetic_catalogue
from bench.workers_bench import (
    CONCURRENCY,
    TRIVIAL_PATH,
    Send,
    _advice,
    _block,
    _connections_per_process,
    _trivial,
    server,
)
from bench.wrk_load import WrkBlock, WrkRoute, run_wrk, summarise_blocks, wrk_path

SIZES = (1_000, 10_000, 100_000)
# Requests per route and set-up at scale 1 (the trivial route and advice; the slower
# pages get half).
BASE_REQUESTS = 800
MIN_REQUESTS = 2 * CONCURRENCY
# Turns each server and route takes (see measure).
ROUNDS = 4
# wrk: seconds per route and round at scale 1 (the trivial route and advice; the slower
# pages half), whole seconds, at least 1; at scales below 1 fewer rounds (see wrk_plan).
BASE_SECONDS = 4
WRK_THREADS = 1
# After a wrk run, before the workers' CPU time is read: the requests wrk left in flight
# when it stopped finish in the block that sent them.
SETTLE_S = 0.1
GENERATORS = ("auto", "wrk", "httpx")
# Initiatives imported while the servers run, and how a server counts as caught up.
ADDED = 10
FRESH_IN_A_ROW = 10
STALE_TIMEOUT_S = 180.0
RESULT_PATH = "/advies"
LANDSCAPE_PATH = "/api/v1/landscape"
LIST_PATH = "/api/v1/initiatives?limit=20"
FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}
FORMS: tuple[bytes, ...] = tuple(urlencode(p, doseq=True).encode() for p in PEOPLE)
# The same requests for wrk (bench/wrk_route.lua); "advice_new" with `Connection: close`,
# so the server closes after each answer and wrk opens a new connection for the next.
WRK_ROUTES = {
    "trivial": WrkRoute("GET", TRIVIAL_PATH),
    "advice": WrkRoute("POST", ADVICE_PATH, BODIES, JSON_HEADERS["content-type"]),
    "result": WrkRoute("POST", RESULT_PATH, FORMS, FORM_HEADERS["content-type"]),
    "landscape": WrkRoute("GET", LANDSCAPE_PATH),
    "initiatives": WrkRoute("GET", LIST_PATH),
    "advice_new": WrkRoute("POST", ADVICE_PATH, BODIES, JSON_HEADERS["content-type"], True),
}

# The goals, at 100 000 initiatives.
GOAL_ADVICE_P95_MS = 25.0
GOAL_ADVICE_RATIO = 0.5
GOAL_RESULT_P95_MS = 60.0
GOAL_LANDSCAPE_MS = 100.0
GOAL_WORKERS_RATIO = 1.6
GOAL_RSS_MB = 400.0
GOAL_FIRST_ANSWER_S = 3.0


def sizes_for(scale: float) -> tuple[int, ...]:
    """The catalogue sizes a run measures: only the small one at the quick scale, 100 000
    from scale 0.2 (as the other curves of `make bench`)."""
    if scale <= QUICK_SCALE:
        return SIZES[:1]
    return SIZES if scale >= 0.2 else SIZES[:2]


async def _result_page(client: httpx.AsyncClient, i: int) -> httpx.Response:
    return await client.post(RESULT_PATH, content=FORMS[i % len(FORMS)], headers=FORM_HEADERS)


async def _landscape(client: httpx.AsyncClient, i: int) -> httpx.Response:
    return await client.get(LANDSCAPE_PATH)


async def _list_page(client: httpx.AsyncClient, i: int) -> httpx.Response:
    return await client.get(LIST_PATH)


ROUTES = (
    ("trivial", _trivial, 1.0),
    ("advice", _advice, 1.0),
    ("result", _result_page, 0.5),
    ("landscape", _landscape, 0.5),
    ("initiatives", _list_page, 0.5),
    ("advice_new", _advice, 0.5),
)
# Routes sent over a new connection per request (no keep-alive), as many users behind a
# proxy that does not keep connections to the app open: the kernel then spreads them over
# the workers one by one, where eight keep-alive connections stay where they first landed.
NEW_CONNECTION_ROUTES = frozenset({"advice_new"})


@dataclass
class Run:
    """One server set-up on one catalogue."""

    size: int
    workers: int
    routes: dict[str, Summary]
    cpu_ms: dict[str, float]  # worker CPU time per request, per route
    spread: str  # connections per worker process, e.g. "5+3"
    rss_mb: list[float] = field(default_factory=list)
    first_answer_s: float | None = None
    stale_s: float | None = None  # after an import, until the landscape counts it
    # CPU time of the load generator per request, per route: the share of the machine the
    # clients take from the server
    client_ms: dict[str, float] = field(default_factory=dict)
    generator: str = "httpx"  # "httpx", or "wrk -tN" (bench.wrk_load)
    # Milliseconds of each page's first view after the first answer (FIRST_VIEWS): what a
    # worker still does on a page's first request (templates, lazy imports, indexes)
    first_views_ms: dict[str, float] = field(default_factory=dict)

    @property
    def advice_ratio(self) -> float:
        return ratio(self.routes["advice"].per_second, self.routes["trivial"].per_second)

    def as_dict(self) -> dict[str, Any]:
        return {
            "initiatives": self.size,
            "workers": self.workers,
            "routes": {k: v.as_dict() for k, v in self.routes.items()},
            "advice_to_trivial": self.advice_ratio,
            "worker_cpu_ms_per_request": self.cpu_ms,
            "client_cpu_ms_per_request": self.client_ms,
            "generator": self.generator,
            "connections_per_worker": self.spread,
            "worker_rss_mb": self.rss_mb,
            "first_answer_s": self.first_answer_s,
            "stale_after_import_s": self.stale_s,
            "first_views_ms": self.first_views_ms,
        }


@dataclass
class ScaleResult:
    runs: list[Run]
    imports: dict[int, float]  # size -> seconds of the bulk import
    load: list[float] = field(default_factory=list)  # 1-minute load average, as it went

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.as_dict() for r in self.runs],
            "import_seconds": {str(k): v for k, v in self.imports.items()},
            "load_average": self.load,
        }


# --- set-up --------------------------------------------------------------------------


def catalogue_text(records: Sequence[InitiativeRecord]) -> str:
    """Records in the CSV exchange format (the columns a record has)."""
    import io

    columns = [c for c in ALL_COLUMNS if c in InitiativeRecord.__slots__]
    out = io.StringIO()
    write_csv(records, out, columns)
    return out.getvalue()


def fill_database(database: Path, size: int) -> float:
    """Migrate a fresh database and import `size` generated initiatives through the app's
    bulk import; return the import's seconds."""
    text = catalogue_text(synthetic_catalogue(size))
    engine = make_engine(f"sqlite:///{database}")
    try:
        init_db(engine)
        started = time.perf_counter()
        with Session(engine) as session:
            result = import_initiatives(session, text)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    if result.created != size:
        raise RuntimeError(f"the import added {result.created} initiatives, not {size}")
    return seconds


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB; NaN when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def worker_pids(
    process: subprocess.Popen[bytes], workers: int, deadline_s: float = 60.0
) -> list[int]:
    """The processes that serve: the server itself with one worker (uvicorn alone),
    gunicorn's worker children with more, once all of them are there (gunicorn forks them
    one after the other: the first may answer before the last exists, and a worker left
    out would leave its CPU time out too)."""
    if workers == 1:
        return [process.pid]
    end = time.monotonic() + deadline_s
    while len(children := _children(process.pid)) < workers:
        if time.monotonic() > end:
            raise RuntimeError(f"the server has {len(children)} worker processes, not {workers}")
        time.sleep(0.05)
    return children


# --- measurement -----------------------------------------------------------------------


def first_answer(url: str, deadline_s: float = 120.0) -> None:
    """Wait for the first 200 answer to POST /api/v1/advice."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            response = httpx.post(
                f"{url}{ADVICE_PATH}", content=BODIES[0], headers=JSON_HEADERS, timeout=30
            )
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > end:
            raise RuntimeError("the server never answered POST /api/v1/advice")
        time.sleep(0.02)


def _timed(send: Send, samples: list[int]) -> Send:
    """`send`, with each request's time appended to `samples`."""

    async def timed(client: httpx.AsyncClient, i: int) -> httpx.Response:
        t0 = time.perf_counter_ns()
        response = await send(client, i)
        samples.append(time.perf_counter_ns() - t0)
        return response

    return timed


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user + system) the processes have used so far; NaN when unreadable."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()  # fields from the third (state) on
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


Measured = tuple[
    list[dict[str, Summary]], list[dict[str, float]], list[str], list[dict[str, float]]
]


def choose_generator(requested: str = "auto") -> str:
    """ "wrk" when asked for or, with "auto", when it is installed; else "httpx"."""
    if requested not in GENERATORS:
        raise ValueError(f"generator must be one of {', '.join(GENERATORS)}, not {requested!r}")
    if requested == "wrk" and wrk_path() is None:
        raise RuntimeError("wrk is not installed: run `make bench-deps`, or --generator httpx")
    if requested == "auto":
        return "wrk" if wrk_path() is not None else "httpx"
    return requested


async def measure(urls: Sequence[str], pids: Sequence[Sequence[int]], requests: int) -> Measured:
    """Every route on every server with the httpx clients of this process, in ROUNDS
    rounds that take turns (server by server, route by route), so that a change in the
    machine's load falls on all of them alike. One figure per server and route, from all
    its rounds; the CPU time its worker processes spent per request (ms), which the
    machine's other load hardly changes; how its clients' connections were spread over its
    processes (from `ss`); and this process's CPU time per request."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        [httpx.AsyncClient(base_url=url, limits=limits, timeout=60) for _ in range(CONCURRENCY)]
        for url in urls
    ]
    single = httpx.Limits(max_connections=1, max_keepalive_connections=0)
    fresh = [
        [httpx.AsyncClient(base_url=url, limits=single, timeout=60) for _ in range(CONCURRENCY)]
        for url in urls
    ]
    samples = [{name: [] for name, _s, _f in ROUTES} for _ in urls]  # type: ignore[var-annotated]
    walls = [dict.fromkeys(samples[0], 0.0) for _ in urls]
    cpu = [dict.fromkeys(samples[0], 0.0) for _ in urls]
    load_cpu = [dict.fromkeys(samples[0], 0.0) for _ in urls]
    try:
        for k, group in enumerate(clients):
            for name, send, _share in ROUTES:
                using = fresh[k] if name in NEW_CONNECTION_ROUTES else group
                await _block("warm-up", using, send, CONCURRENCY * 4)
        spread = [_connections_per_process(int(url.rsplit(":", 1)[1])) for url in urls]
        for _round in range(ROUNDS):
            for k, group in enumerate(clients):
                for name, send, share in ROUTES:
                    using = fresh[k] if name in NEW_CONNECTION_ROUTES else group
                    n = max(CONCURRENCY, round(requests * share / ROUNDS))
                    before = cpu_seconds(pids[k])
                    mine = time.process_time()
                    block = await _block(name, using, _timed(send, samples[k][name]), n)
                    walls[k][name] += block.wall_s
                    cpu[k][name] += cpu_seconds(pids[k]) - before
                    load_cpu[k][name] += time.process_time() - mine
    finally:
        for group in (*clients, *fresh):
            for client in group:
                await client.aclose()
    summaries = [
        {name: summarise(name, got[name], round(wall[name] * 1e9)) for name in got}
        for got, wall in zip(samples, walls, strict=True)
    ]
    per_request = [
        {name: 1000 * spent[name] / len(got[name]) for name in got}
        for got, spent in zip(samples, cpu, strict=True)
    ]
    client_per_request = [
        {name: 1000 * spent[name] / len(got[name]) for name in got}
        for got, spent in zip(samples, load_cpu, strict=True)
    ]
    return summaries, per_request, spread, client_per_request


async def _warm_up(urls: Sequence[str]) -> None:
    """Every route (every body) on every server, with httpx, each answer checked for a 200:
    wrk counts only answers above 399 as errors. The clients close before wrk starts."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    for url in urls:
        clients = [
            httpx.AsyncClient(base_url=url, limits=limits, timeout=60) for _ in range(CONCURRENCY)
        ]
        try:
            for _name, send, _share in ROUTES:
                await _block("warm-up", clients, send, CONCURRENCY * 4)
        finally:
            for client in clients:
                await client.aclose()


def wrk_plan(scale: float) -> tuple[int, dict[str, int]]:
    """Rounds, and whole seconds per route and round, of a wrk measurement at `scale`:
    ROUNDS rounds of BASE_SECONDS (half for the slower pages) at scale 1. The total time
    follows the scale; below 1 in fewer rounds first (one at the quick scale: 1 s a route),
    as wrk runs for whole seconds, at least 1."""
    rounds = max(1, min(ROUNDS, round(ROUNDS * scale)))
    seconds = {
        name: max(1, round(BASE_SECONDS * share * scale * ROUNDS / rounds))
        for name, _s, share in ROUTES
    }
    return rounds, seconds


def _spread_of_blocks(spreads: Sequence[str]) -> str:
    """The connections per process of each keep-alive advice run ("4+4,5+3,..."), once when
    they were all the same."""
    return spreads[0] if len(set(spreads)) == 1 else ",".join(spreads)


def measure_wrk(
    urls: Sequence[str], pids: Sequence[Sequence[int]], scale: float, threads: int = WRK_THREADS
) -> Measured:
    """As `measure`, with wrk (`-t threads -c CONCURRENCY`) sending each route for a fixed
    number of seconds (wrk_plan). Every wrk run opens its own connections, so with two
    workers the kernel spreads them anew each time: the spread shown is that of each
    keep-alive advice run, seen with `ss` half a second into it. The load generator's CPU
    time is wrk's own (os.clock() in its done(), all threads, until the load ended)."""
    asyncio.run(_warm_up(urls))
    rounds, seconds = wrk_plan(scale)
    blocks: list[dict[str, list[WrkBlock]]] = [{name: [] for name in seconds} for _ in urls]
    cpu = [dict.fromkeys(seconds, 0.0) for _ in urls]
    spreads: list[list[str]] = [[] for _ in urls]
    for _round in range(rounds):
        for k, url in enumerate(urls):
            port = int(url.rsplit(":", 1)[1])

            def look(k: int = k, port: int = port) -> None:
                spreads[k].append(_connections_per_process(port))

            for name, _send, _share in ROUTES:
                before = cpu_seconds(pids[k])
                block = run_wrk(
                    url,
                    WRK_ROUTES[name],
                    seconds[name],
                    CONCURRENCY,
                    threads,
                    during=look if name == "advice" else None,
                )
                time.sleep(SETTLE_S)
                cpu[k][name] += cpu_seconds(pids[k]) - before
                blocks[k][name].append(block)
    summaries = [{name: summarise_blocks(name, got[name]) for name in got} for got in blocks]
    per_request = [
        {name: 1000 * spent[name] / sum(b.requests for b in got[name]) for name in got}
        for got, spent in zip(blocks, cpu, strict=True)
    ]
    client_per_request = [
        {
            name: 1000 * sum(b.cpu_s for b in got[name]) / sum(b.requests for b in got[name])
            for name in got
        }
        for got in blocks
    ]
    return summaries, per_request, [_spread_of_blocks(s) for s in spreads], client_per_request


def _landscape_n(url: str) -> int:
    """The landscape's count, over a fresh connection (so that with several workers the
    kernel may hand it to any of them)."""
    response = httpx.get(f"{url}{LANDSCAPE_PATH}", timeout=30)
    response.raise_for_status()
    return int(response.json()["n"])


def stale_window(database: Path, size: int, urls: Sequence[str]) -> list[float]:
    """Import ADDED new initiatives while the servers run; per server, the seconds from the
    import's commit to the last answer of /api/v1/landscape that did not count them yet
    (/api/v1/initiatives counts them from the commit: it reads the database). A server
    counts as caught up after FRESH_IN_A_ROW fresh answers in a row."""
    text = catalogue_text(synthetic_catalogue(size + ADDED)[size:])
    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            import_initiatives(session, text)
    finally:
        engine.dispose()
    committed = time.monotonic()
    expected = size + ADDED
    listed = httpx.get(f"{urls[0]}{LIST_PATH}", timeout=30).json()["total"]
    if listed != expected:
        raise RuntimeError(f"/api/v1/initiatives counts {listed}, not {expected}")
    windows = [0.0] * len(urls)
    fresh = [0] * len(urls)
    deadline = committed + STALE_TIMEOUT_S
    while min(fresh) < FRESH_IN_A_ROW:
        if time.monotonic() > deadline:
            raise RuntimeError("the landscape never counted the imported initiatives")
        for k, url in enumerate(urls):
            if fresh[k] >= FRESH_IN_A_ROW:
                continue
            asked = time.monotonic()
            if _landscape_n(url) == expected:
                fresh[k] += 1
            else:
                fresh[k] = 0
                windows[k] = asked - committed
        time.sleep(0.01)
    return windows


# Pages viewed once each right after the first answer, on one connection (one worker).
FIRST_VIEWS: tuple[tuple[str, str, str], ...] = (
    ("result page", "POST", RESULT_PATH),
    ("/landschap", "GET", "/landschap"),
    ("/aanbod", "GET", "/aanbod"),
    ("/aanbod?q=soep", "GET", "/aanbod?q=soep"),
)


def first_views(url: str) -> dict[str, float]:
    """Milliseconds of each of FIRST_VIEWS, viewed once, in order, on one connection."""
    times: dict[str, float] = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        for label, method, path in FIRST_VIEWS:
            body = FORMS[0] if method == "POST" else None
            headers = FORM_HEADERS if method == "POST" else None
            started = time.perf_counter()
            response = client.request(method, path, content=body, headers=headers)
            times[label] = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{method} {path} answered {response.status_code}")
    return times


def start_server(
    stack: ExitStack, database: Path, workers: int
) -> tuple[str, list[int], float, dict[str, float]]:
    """Start `python -m app serve --workers N`; return its URL, the processes that serve,
    the seconds from starting it to its first answer to POST /api/v1/advice, and the
    first views of some pages after that (first_views)."""
    command = [
        sys.executable, "-m", "app", "serve", "--port", "{port}", "--workers", str(workers),
    ]  # fmt: skip
    started = time.monotonic()
    url, process = stack.enter_context(server(command, database))
    first_answer(url)
    first = time.monotonic() - started
    return url, worker_pids(process, workers), first, first_views(url)


def run(
    scale: float,
    sizes: Sequence[int] | None = None,
    generator: str = "auto",
    wrk_threads: int = WRK_THREADS,
) -> ScaleResult:
    """Measure at `scale`; `generator` "auto" (wrk if installed, else httpx), "wrk" or
    "httpx"."""
    sizes = tuple(sizes or sizes_for(scale))
    use = choose_generator(generator)
    label = f"wrk -t{wrk_threads}" if use == "wrk" else "httpx"
    requests = scaled(BASE_REQUESTS, scale, minimum=MIN_REQUESTS)
    runs: list[Run] = []
    imports: dict[int, float] = {}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for size in sizes:
            database = Path(tmp) / f"scale-{size}.db"
            imports[size] = fill_database(database, size)
            largest = size == sizes[-1]
            setups = (1, 2) if largest else (1,)
            with ExitStack() as stack:
                # One after the other, so that each start-up has the machine to itself.
                started = [start_server(stack, database, w) for w in setups]
                urls = [url for url, _p, _s, _v in started]
                pids = [p for _u, p, _s, _v in started]
                if use == "wrk":
                    routes, cpu, spread, client = measure_wrk(urls, pids, scale, wrk_threads)
                else:
                    routes, cpu, spread, client = asyncio.run(measure(urls, pids, requests))
                rss = [[rss_mb(pid) for pid in pids] for _url, pids, _s, _v in started]
                stale = stale_window(database, size, urls) if largest else [None] * len(urls)
                for k, workers in enumerate(setups):
                    first = started[k][2] if largest else None
                    runs.append(
                        Run(
                            size,
                            workers,
                            routes[k],
                            cpu[k],
                            spread[k],
                            rss[k],
                            first,
                            stale[k],
                            client[k],
                            label,
                            started[k][3] if largest else {},
                        )
                    )
            load.append(os.getloadavg()[0])
    return ScaleResult(runs, imports, load)


# --- report ----------------------------------------------------------------------------


def _ms(summary: Summary) -> float:
    return summary.p95_us / 1000


def format_table(result: ScaleResult) -> str:
    head = (
        "initiatives", "workers (conns)", "trivial req/s", "advice req/s", "vs trivial",
        "advice p95", "result p95", "landscape p95", "list p95", "CPU ms trivial/advice/result",
        "advice new conn req/s", "client CPU ms trivial/advice", "generator",
    )  # fmt: skip
    rows = []
    for r in result.runs:
        t = r.routes
        rows.append(
            (
                f"{r.size:,}",
                f"{r.workers} ({r.spread})",
                f"{t['trivial'].per_second:,.0f}",
                f"{t['advice'].per_second:,.0f}",
                f"{r.advice_ratio * 100:.0f} %",
                f"{_ms(t['advice']):.1f} ms",
                f"{_ms(t['result']):.1f} ms",
                f"{_ms(t['landscape']):.1f} ms",
                f"{_ms(t['initiatives']):.1f} ms",
                "/".join(f"{r.cpu_ms[k]:.1f}" for k in ("trivial", "advice", "result")),
                f"{t['advice_new'].per_second:,.0f}",
                "/".join(f"{r.client_ms.get(k, math.nan):.2f}" for k in ("trivial", "advice")),
                r.generator,
            )
        )
    return columns(head, rows)


def goal_lines(result: ScaleResult) -> list[str]:
    """Each goal of the issue beside the figure at the largest size, with a verdict."""
    size = max(r.size for r in result.runs)
    one = next(r for r in result.runs if r.size == size and r.workers == 1)
    two = next((r for r in result.runs if r.size == size and r.workers == 2), None)
    t = one.routes
    lines = [f"  goals (the issue's, for 100 000 initiatives), at {size:,} initiatives:"]

    def goal(text: str, met: bool) -> None:
        lines.append(f"    {text} → {verdict(met)}")

    advice_p95 = _ms(t["advice"])
    goal(f"advice p95 {advice_p95:.1f} ms (goal < {GOAL_ADVICE_P95_MS:.0f} ms)",
         advice_p95 < GOAL_ADVICE_P95_MS)  # fmt: skip
    goal(
        f"advice {one.advice_ratio * 100:.0f} % of the trivial route's req/s "
        f"(goal ≥ {GOAL_ADVICE_RATIO * 100:.0f} %)",
        one.advice_ratio >= GOAL_ADVICE_RATIO,
    )
    result_p95 = _ms(t["result"])
    goal(f"result page p95 {result_p95:.1f} ms (goal < {GOAL_RESULT_P95_MS:.0f} ms)",
         result_p95 < GOAL_RESULT_P95_MS)  # fmt: skip
    land_p95 = _ms(t["landscape"])
    goal(f"/api/v1/landscape p95 {land_p95:.1f} ms (goal < {GOAL_LANDSCAPE_MS:.0f} ms)",
         land_p95 < GOAL_LANDSCAPE_MS)  # fmt: skip
    if two is not None:
        workers_ratio = ratio(two.routes["advice"].per_second, t["advice"].per_second)
        goal(
            f"advice with 2 workers {workers_ratio:.2f}× that with 1, {CONCURRENCY} keep-alive "
            f"connections spread {two.spread} "
            f"(goal ≥ {GOAL_WORKERS_RATIO:.1f}×; {os.cpu_count()} CPUs shared with the clients)",
            workers_ratio >= GOAL_WORKERS_RATIO,
        )
        fresh_ratio = ratio(two.routes["advice_new"].per_second, t["advice_new"].per_second)
        goal(
            f"advice with 2 workers {fresh_ratio:.2f}× that with 1, a new connection per "
            f"request (goal ≥ {GOAL_WORKERS_RATIO:.1f}×)",
            fresh_ratio >= GOAL_WORKERS_RATIO,
        )
    for r in (one, two):
        if r is None or not r.rss_mb:
            continue
        shown = ", ".join(f"{mb:.0f} MB" for mb in r.rss_mb)
        goal(
            f"RSS per worker, {r.workers} worker{'s' if r.workers > 1 else ''}: {shown} "
            f"(goal < {GOAL_RSS_MB:.0f} MB)",
            all(mb < GOAL_RSS_MB for mb in r.rss_mb),
        )
    for r in (one, two):
        if r is None or r.first_answer_s is None:
            continue
        goal(
            f"first advice {r.first_answer_s:.1f} s after starting the server with {r.workers} "
            f"worker{'s' if r.workers > 1 else ''} (goal ≤ {GOAL_FIRST_ANSWER_S:.0f} s)",
            r.first_answer_s <= GOAL_FIRST_ANSWER_S,
        )
    for r in (one, two):
        if r is None or not r.first_views_ms:
            continue
        shown = ", ".join(f"{page} {ms:.0f} ms" for page, ms in r.first_views_ms.items())
        lines.append(
            f"    first views after the first advice, {r.workers} "
            f"worker{'s' if r.workers > 1 else ''} (no goal): {shown}"
        )
    for r in (one, two):
        if r is None or r.stale_s is None:
            continue
        lines.append(
            f"    after an import of {ADDED} initiatives, /api/v1/landscape lagged "
            f"/api/v1/initiatives by {r.stale_s:.1f} s with {r.workers} "
            f"worker{'s' if r.workers > 1 else ''} (every server rebuilds at once)"
        )
    return lines


def generator_lines(result: ScaleResult) -> list[str]:
    """What sent the requests, and how."""
    used = sorted({r.generator for r in result.runs})
    lines = []
    for generator in used:
        if generator.startswith("wrk"):
            lines.append(
                f"  generator {generator}: wrk (a subprocess, {CONCURRENCY} connections, "
                "bench/wrk_route.lua) for fixed seconds per route; client CPU ms = wrk's own "
                "CPU time per request; advice new conn sends `Connection: close`, so the server "
                "closes after each answer and wrk connects anew (its latency leaves out the "
                "connect); each wrk run opens its own connections (conns = those of each "
                "keep-alive advice run)"
            )
        else:
            lines.append(
                f"  generator httpx: {CONCURRENCY} httpx clients with one keep-alive connection "
                "each, in this process (the fallback when wrk is missing: make bench-deps); "
                "client CPU ms = this process's CPU time per request; advice new conn = a "
                "client without keep-alive"
            )
    return lines


def format_section(result: ScaleResult, number: int = 8) -> str:
    imports = ", ".join(f"{size:,}: {s:.2f} s" for size, s in result.imports.items())
    generators = ", ".join(sorted({r.generator for r in result.runs}))
    return "\n".join(
        [
            f"{number}. The real server (`python -m app serve`, subprocess) on generated "
            f"catalogues, {CONCURRENCY} concurrent connections ({generators}); p95 per route",
            format_table(result),
            *goal_lines(result),
            f"  bulk import of the catalogue (not served): {imports}",
            "  CPU ms = CPU time of the server's worker processes per request; client CPU ms = "
            "that of the load generator (on the same CPUs); machine load "
            f"(1-minute average, {os.cpu_count()} CPUs) during the run: "
            + " → ".join(f"{x:.1f}" for x in result.load),
            *generator_lines(result),
            f"  baseline: GET {TRIVIAL_PATH} (async, trivial), same server, same run; "
            f"result = POST {RESULT_PATH} (form), list = GET {LIST_PATH}; advice new conn = "
            "POST /api/v1/advice over a new connection per request",
        ]
    )


def _median(values: Sequence[float]) -> float:
    finite = [v for v in values if v == v]  # NaN (unreadable) left out
    return statistics.median(finite) if finite else float("nan")


def median_result(results: Sequence[ScaleResult]) -> ScaleResult:
    """One result whose every figure is the median of the runs' (per size and workers)."""
    first = results[0]
    runs: list[Run] = []
    for n, run_ in enumerate(first.runs):
        same = [r.runs[n] for r in results]
        routes = {
            name: Summary(
                label=summary.label,
                count=summary.count,
                **{
                    key: _median([getattr(r.routes[name], key) for r in same])
                    for key in (
                        "wall_s",
                        "per_second",
                        "mean_us",
                        "median_us",
                        "p95_us",
                        "min_us",
                        "max_us",
                    )
                },
            )
            for name, summary in run_.routes.items()
        }
        cpu = {k: _median([r.cpu_ms[k] for r in same]) for k in run_.cpu_ms}
        rss = [_median([r.rss_mb[i] for r in same if i < len(r.rss_mb)])
               for i in range(max(len(r.rss_mb) for r in same))]  # fmt: skip
        first_s = [r.first_answer_s for r in same if r.first_answer_s is not None]
        stale = [r.stale_s for r in same if r.stale_s is not None]
        client = {k: _median([r.client_ms.get(k, math.nan) for r in same]) for k in run_.client_ms}
        views = {
            k: _median([r.first_views_ms.get(k, math.nan) for r in same])
            for k in run_.first_views_ms
        }
        runs.append(
            Run(
                run_.size,
                run_.workers,
                routes,
                cpu,
                "/".join(r.spread for r in same),
                rss,
                _median(first_s) if first_s else None,
                _median(stale) if stale else None,
                client,
                run_.generator,
                views,
            )
        )
    imports = {k: _median([r.imports[k] for r in results]) for k in first.imports}
    return ScaleResult(runs, imports, [x for r in results for x in r.load])


def spread_lines(results: Sequence[ScaleResult]) -> list[str]:
    """The lowest and highest of the key figures over the runs (beside their medians)."""
    size = max(r.size for r in results[0].runs)

    def at(result: ScaleResult, workers: int) -> Run | None:
        return next((r for r in result.runs if r.size == size and r.workers == workers), None)

    figures: dict[str, list[float]] = {}
    for result in results:
        one, two = at(result, 1), at(result, 2)
        assert one is not None
        t = one.routes
        found = {
            "advice p95 ms": _ms(t["advice"]),
            "advice % of trivial": one.advice_ratio * 100,
            "result p95 ms": _ms(t["result"]),
            "landscape p95 ms": _ms(t["landscape"]),
            "worker CPU ms per advice": one.cpu_ms["advice"],
            "worker CPU ms per result page": one.cpu_ms["result"],
        }
        if two is not None:
            found["2 workers ÷ 1, keep-alive"] = ratio(
                two.routes["advice"].per_second, t["advice"].per_second
            )
            found["2 workers ÷ 1, new connections"] = ratio(
                two.routes["advice_new"].per_second, t["advice_new"].per_second
            )
        for key, value in found.items():
            figures.setdefault(key, []).append(value)
    lines = [f"  over {len(results)} runs at {size:,} initiatives (median [lowest–highest]):"]
    for key, values in figures.items():
        lines.append(
            f"    {key}: {_median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"
            f"  (runs: {', '.join(f'{v:.2f}' for v in values)})"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_server_bench", description=__doc__)
    parser.add_argument("--scale", help="BENCH_SCALE: requests per route, sizes measured")
    parser.add_argument("--quick", action="store_true", help=f"scale {QUICK_SCALE}")
    parser.add_argument("--sizes", help="catalogue sizes, e.g. 100000 (default: by scale)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--generator",
        choices=GENERATORS,
        default="auto",
        help="load generator: wrk (make bench-deps), httpx clients in this process, or auto "
        "(wrk when installed; the default)",
    )
    parser.add_argument(
        "--wrk-threads",
        type=int,
        default=WRK_THREADS,
        help=f"wrk's -t (default {WRK_THREADS}: one epoll loop drives all connections)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure this many times; the table then shows each figure's median, and the "
        "key figures' lowest and highest",
    )
    args = parser.parse_args(argv)
    scale = chosen_scale(args.scale, args.quick)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    results = []
    for n in range(max(1, args.repeat)):
        results.append(run(scale, sizes, args.generator, args.wrk_threads))
        if args.repeat > 1:
            print(f"run {n + 1} of {args.repeat}:", flush=True)
            print(format_table(results[-1]), flush=True)
    result = median_result(results) if len(results) > 1 else results[0]
    print(format_section(result), flush=True)
    if len(results) > 1:
        print("\n".join(spread_lines(results)), flush=True)
    if args.json is not None:
        figures = result.as_dict()
        if len(results) > 1:
            figures["each_run"] = [r.as_dict() for r in results]
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
