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
