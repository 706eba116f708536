"""The report's facts are ours to use, its sentences are not: no text we ship may repeat
a run of eight words of the source report."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import pytest
import yaml

from app.core.config import REPO_ROOT

REPORT = REPO_ROOT.parent / "shared" / "seed" / "000_b5ee9f57acd9ced1.txt"
RUN = 8


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text.casefold())


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in ("source", "sources"):  # citations are facts, not sentences
                yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _shipped_texts() -> Iterator[tuple[str, str]]:
    for path in sorted((REPO_ROOT / "rules").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for text in _strings(data):
            yield str(path.relative_to(REPO_ROOT)), text
    for path in sorted((REPO_ROOT / "templates").rglob("*.html")):
        yield (
            str(path.relative_to(REPO_ROOT)),
            re.sub(r"<[^>]+>|\{[%#].*?[%#]\}", " ", path.read_text(encoding="utf-8")),
        )
    with (REPO_ROOT / "data" / "initiatives.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for column in ("description", "goal"):
                yield f"data/initiatives.csv:{row['name']}", row[column]


@pytest.mark.skipif(not REPORT.exists(), reason="the source report (../shared/seed) is not here")
def test_no_eight_word_run_of_the_report() -> None:
    report_runs = _runs(_words(REPORT.read_text(encoding="utf-8")))
    copied = []
    for where, text in _shipped_texts():
        shared = _runs(_words(text)) & report_runs
        if shared:
            copied.append(f"{where}: '{' '.join(sorted(shared)[0])}'")
    assert not copied, "texts that repeat the report word for word:\n" + "\n".join(copied)
