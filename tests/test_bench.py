"""The benchmark keeps working (it prints figures; nothing here asserts speed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import main


def test_bench_runs_and_prints_ratios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--scale", "0.01", "--no-server", "--output", str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "advice / Intake validation" in out
    assert "advice / trivial" in out
    assert "result page / trivial page" in out
    assert "Landscape over" in out
    assert (tmp_path / "b.json").exists()
