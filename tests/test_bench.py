"""The benchmark keeps working (it prints figures; nothing here asserts speed)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from app.core.config import REPO_ROOT


def test_bench_runs_and_prints_ratios(tmp_path: Path) -> None:
    # A subprocess, as `make bench` runs it (and free of any event loop a test left).
    out_file = tmp_path / "b.json"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "0.01",
            "--no-server",
            "--output",
            str(out_file),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "advice / Intake validation" in r.stdout
    assert "advice / trivial" in r.stdout
    assert "result page / trivial page" in r.stdout
    assert "Landscape over" in r.stdout
    assert "advise() at the scale of Flanders" in r.stdout
    assert "Landscape from the bitset index" in r.stdout
    figures = json.loads(out_file.read_text(encoding="utf-8"))
    assert {"engine", "asgi", "pages", "landscape", "matching_curve"} <= set(figures)
    curve = figures["matching_curve"]["curve"]
    assert [p["initiatives"] for p in curve] == [1000, 10000]  # 100 000 from scale 0.2
    assert {r["size"] for r in figures["landscape_index"]} == {1000, 10000}


def test_scale_server_bench_prints_its_table(tmp_path: Path) -> None:
    # The real server as a subprocess on a generated catalogue, at the quick scale: only
    # the smallest size, a few requests per route. Figures are printed, never asserted.
    # With the httpx clients (the fallback when wrk is missing), which take a few requests
    # where wrk takes a second a route; the wrk path has its own test below.
    out_file = tmp_path / "scale.json"
    command = [sys.executable, "-m", "bench.scale_server_bench", "--quick", "--generator", "httpx"]
    r = subprocess.run(
        [*command, "--json", str(out_file)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = next(line for line in lines if "advice req/s" in line)
    for column in ("trivial req/s", "vs trivial", "advice p95", "result p95", "landscape p95",
                   "generator"):  # fmt: skip
        assert column in header
    rows = [line.split() for line in lines if line.strip().startswith("1,000")]
    assert [row[1] for row in rows] == ["1", "2"]  # one and two workers (and their connections)
    assert [row[-1] for row in rows] == ["httpx", "httpx"]
    assert any(line.strip().startswith("generator httpx:") for line in lines)
    for goal in ("advice p95", "% of the trivial route", "2 workers", "RSS per worker",
                 "first advice"):  # fmt: skip
        assert any(goal in line and ("→ met" in line or "→ NOT met" in line) for line in lines)
    assert sum("/api/v1/landscape lagged /api/v1/initiatives" in line for line in lines) == 2
    views = [line for line in lines if "first views after the first advice" in line]
    assert len(views) == 2 and all("/landschap" in line and "/aanbod" in line for line in views)
    figures = json.loads(out_file.read_text(encoding="utf-8"))
    assert [(run["initiatives"], run["workers"]) for run in figures["runs"]] == [
        (1000, 1),
        (1000, 2),
    ]
    assert all(len(run["worker_rss_mb"]) == run["workers"] for run in figures["runs"])
    assert {run["generator"] for run in figures["runs"]} == {"httpx"}


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request 200 and notes what came: method, path, body, headers, and the
    connection's number (one handler per connection)."""

    protocol_version = "HTTP/1.1"  # keep-alive unless the request says `Connection: close`
    seen: ClassVar[list[tuple[str, str, bytes, dict[str, str], int]]] = []
    connections: ClassVar[Iterator[int]] = itertools.count()

    def setup(self) -> None:
        super().setup()
        self.connection_no = next(self.connections)

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.seen.append((self.command, self.path, body, headers, self.connection_no))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        if headers.get("connection") == "close":  # as uvicorn: say so, then close
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # wrk closes its connections when its time is up, mid-answer


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make bench-deps)")
def test_wrk_sends_the_bench_requests_and_reports_them() -> None:
    # The wrk path of bench.scale_server_bench (bench/wrk_route.lua through measure_wrk), at
    # the quick scale (one round, 1 s a route) against a server that records the requests.
    from bench.asgi_bench import BODIES
    from bench.scale_server_bench import FORMS, ROUTES, measure_wrk, wrk_plan

    assert wrk_plan(1.0) == (4, {"trivial": 4, "advice": 4, "result": 2, "landscape": 2,
                                 "initiatives": 2, "advice_new": 2})  # fmt: skip
    _Recorder.seen = []
    httpd = _QuietServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        summaries, cpu, _spread, client = measure_wrk([url], [[os.getpid()]], 0.05)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert set(summaries[0]) == {name for name, _s, _share in ROUTES}
    for name, summary in summaries[0].items():
        assert summary.count > 0 and summary.per_second > 0, name
        assert 0 < summary.min_us <= summary.median_us <= summary.p95_us <= summary.max_us, name
        assert cpu[0][name] >= 0 and client[0][name] > 0, name
    by_wrk = [s for s in _Recorder.seen if s[3].get("user-agent", "").startswith("wrk")]
    advice = [s for s in by_wrk if s[1] == "/api/v1/advice"]
    kept = [s for s in advice if s[3]["connection"] == "keep-alive"]
    closed = [s for s in advice if s[3]["connection"] == "close"]
    # The bodies in turn (eight connections: they may arrive out of turn, never more
    # than eight apart); the headers httpx sends (the server compresses alike).
    sent = Counter(s[2] for s in kept)
    assert set(sent) == set(BODIES) and max(sent.values()) - min(sent.values()) <= 8
    assert {s[3]["content-type"] for s in advice} == {"application/json"}
    assert {s[3]["accept-encoding"] for s in by_wrk} == {"gzip, deflate, br"}
    # Keep-alive: eight connections carry them all; `Connection: close`: one per request.
    assert len({s[4] for s in kept}) <= 8 < len(kept)
    assert len({s[4] for s in closed}) == len(closed) > 8
    forms = [s for s in by_wrk if s[1] == "/advies"]
    assert {s[0] for s in forms} == {"POST"}
    assert {s[2] for s in forms} == set(FORMS)
    assert {s[3]["content-type"] for s in forms} == {"application/x-www-form-urlencoded"}
    gets = {s[1] for s in by_wrk if s[0] == "GET"}
    assert gets == {"/intake/scale/score", "/api/v1/landscape", "/api/v1/initiatives?limit=20"}


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make bench-deps)")
def test_advice_floor_bench_prints_each_stage_and_the_ceiling() -> None:
    # bench.floor_app as a real server on a small generated catalogue, one second a route.
    # The bench itself refuses to report when a stand-in's answer differs from the advice's.
    command = [sys.executable, "-m", "bench.advice_floor_bench", "--quick", "--size", "300"]
    r = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    stages = [
        "GET /intake/scale/score (baseline)",
        "validate the intake, send a fixed advice",
        "+ the hop off the event loop",
        "+ the advice rules (no catalogue)",
        "POST /api/v1/advice: + matching, its own answer",
    ]
    rows = [next(line for line in lines if line.strip().startswith(stage)) for stage in stages]
    assert "100 %" in rows[0]
    # The stand-ins send the advice's own answer: the same size ends every advice row.
    sizes = {" ".join(row.split()[-2:]) for row in rows[1:]}
    assert len(sizes) == 1 and sizes.pop().endswith(" KB")
    assert "on 300 generated initiatives" in r.stdout
    assert "the most any advice with this answer could reach" in r.stdout
