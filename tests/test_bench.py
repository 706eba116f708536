"""The benchmark keeps working (it prints figures; nothing here asserts speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    out_file = tmp_path / "scale.json"
    r = subprocess.run(
        [sys.executable, "-m", "bench.scale_server_bench", "--quick", "--json", str(out_file)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = next(line for line in lines if "advice req/s" in line)
    for column in ("trivial req/s", "vs trivial", "advice p95", "result p95", "landscape p95"):
        assert column in header
    rows = [line.split() for line in lines if line.strip().startswith("1,000")]
    assert [row[1] for row in rows] == ["1", "2"]  # one and two workers (and their connections)
    for goal in ("advice p95", "% of the trivial route", "2 workers", "RSS per worker",
                 "first advice"):  # fmt: skip
        assert any(goal in line and ("→ met" in line or "→ NOT met" in line) for line in lines)
    assert sum("/api/v1/landscape lagged /api/v1/initiatives" in line for line in lines) == 2
    figures = json.loads(out_file.read_text(encoding="utf-8"))
    assert [(run["initiatives"], run["workers"]) for run in figures["runs"]] == [
        (1000, 1),
        (1000, 2),
    ]
    assert all(len(run["worker_rss_mb"]) == run["workers"] for run in figures["runs"])
