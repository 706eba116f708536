"""Runs OpenFisca-style scenario files: an intake in, expected advice out.

Each file holds a list of scenarios:

    - name: short name
      source: "Author year"          # what the scenario checks
      input: {age_group: older, ...}  # the intake, as POSTed to /api/v1/advice
      output:                         # every key is optional
        profile: structural-no_need-passive
        course: chronic
        course_basis: problem_nature
        approach: organised
        djg6: {total: 4, band: moderate}
        first: social_cognitive_training          # best element
        top3_include: [..]                        # within the first three
        top5_include: [..]
        top3_exclude: [..]                        # not within the first three
        elements_include: [..]                    # advised at all
        elements_exclude: [..]                    # not advised (may be discouraged)
        discouraged_include: [..]
        discouraged_exclude: [..]
        ranked_before: [[a, b], ...]              # a ranks above b (both advised)
        combination_include: [..]
        signals_include: [..]
        signals_exclude: [..]
        first_signal: crisis-suicide
        initiatives_include: [name, ..]           # among the matched initiatives
        initiatives_exclude: [name, ..]
        first_initiative_in: Gent                 # municipality of the best match
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from app.advice.engine import advise
from app.advice.knowledge import load_knowledge
from app.advice.models import Advice
from app.core.config import REPO_ROOT
from app.domain.intake import Intake

_KNOWLEDGE = None
_CATALOGUE = None

KNOWN_KEYS = {
    "profile",
    "course",
    "course_basis",
    "approach",
    "djg6",
    "first",
    "top3_include",
    "top5_include",
    "top3_exclude",
    "elements_include",
    "elements_exclude",
    "discouraged_include",
    "discouraged_exclude",
    "ranked_before",
    "combination_include",
    "signals_include",
    "signals_exclude",
    "first_signal",
    "initiatives_include",
    "initiatives_exclude",
    "first_initiative_in",
}


def _compute(intake: dict[str, Any]) -> Advice:
    global _KNOWLEDGE, _CATALOGUE
    if _KNOWLEDGE is None:
        from tests.conftest import shipped_records

        _KNOWLEDGE = load_knowledge(REPO_ROOT / "rules")
        _CATALOGUE = shipped_records()
    assert _CATALOGUE is not None
    return advise(Intake.model_validate(intake), _KNOWLEDGE, _CATALOGUE)


class ScenarioFailure(AssertionError):
    pass


def check(advice: Advice, expected: dict[str, Any]) -> list[str]:
    """Return the list of unmet expectations (empty when the scenario holds)."""
    unknown = set(expected) - KNOWN_KEYS
    if unknown:
        return [f"unknown expectation key(s): {sorted(unknown)}"]
    problems: list[str] = []
    ranked = [e.id for e in advice.elements]
    avoid = [d.id for d in advice.discouraged]
    signals = [s.id for s in advice.signals]
    names = [i.name for i in advice.initiatives]

    def want(cond: bool, msg: str) -> None:
        if not cond:
            problems.append(msg)

    for key, actual in (
        ("profile", advice.profile.id),
        ("course", advice.course),
        ("course_basis", advice.course_basis),
        ("approach", advice.approach.id),
    ):
        if key in expected:
            want(actual == expected[key], f"{key}: expected {expected[key]!r}, got {actual!r}")
    if "djg6" in expected:
        got = advice.scales.get("djg6", {})
        for k, v in expected["djg6"].items():
            want(got.get(k) == v, f"djg6.{k}: expected {v!r}, got {got.get(k)!r}")
    if "first" in expected:
        want(
            ranked[:1] == [expected["first"]],
            f"first: expected {expected['first']}, got {ranked[:3]}",
        )
    for key, n in (("top3_include", 3), ("top5_include", 5)):
        for el in expected.get(key, []):
            want(el in ranked[:n], f"{key}: {el} not in {ranked[:n]}")
    for el in expected.get("top3_exclude", []):
        want(el not in ranked[:3], f"top3_exclude: {el} in {ranked[:3]}")
    for el in expected.get("elements_include", []):
        want(el in ranked, f"elements_include: {el} not advised ({ranked})")
    for el in expected.get("elements_exclude", []):
        want(
            el not in ranked,
            f"elements_exclude: {el} is advised ({ranked})",
        )
    for el in expected.get("discouraged_include", []):
        want(el in avoid, f"discouraged_include: {el} not discouraged ({avoid})")
    for el in expected.get("discouraged_exclude", []):
        want(el not in avoid, f"discouraged_exclude: {el} is discouraged")
    for a, b in expected.get("ranked_before", []):
        ok = a in ranked and (b not in ranked or ranked.index(a) < ranked.index(b))
        want(ok, f"ranked_before: {a} should rank above {b} ({ranked})")
    combo = advice.combination.elements if advice.combination else []
    for el in expected.get("combination_include", []):
        want(el in combo, f"combination_include: {el} not in {combo}")
    for s in expected.get("signals_include", []):
        want(s in signals, f"signals_include: {s} not in {signals}")
    for s in expected.get("signals_exclude", []):
        want(s not in signals, f"signals_exclude: {s} is shown")
    if "first_signal" in expected:
        want(signals[:1] == [expected["first_signal"]], f"first_signal: got {signals[:1]}")
    for name in expected.get("initiatives_include", []):
        want(name in names, f"initiatives_include: {name!r} not in {names}")
    for name in expected.get("initiatives_exclude", []):
        want(name not in names, f"initiatives_exclude: {name!r} is matched")
    if "first_initiative_in" in expected:
        first = advice.initiatives[0].municipality if advice.initiatives else None
        want(first == expected["first_initiative_in"], f"first_initiative_in: got {first!r}")
    return problems


class ScenarioItem(pytest.Item):
    def __init__(self, *, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        advice = _compute(self.spec["input"])
        problems = check(advice, self.spec.get("output", {}))
        if problems:
            raise ScenarioFailure("\n".join(problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            return (
                f"scenario {self.name!r} ({self.spec.get('source', 'no source')}) failed:\n"
                f"{excinfo.value}"
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"scenario: {self.name}"


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise pytest.UsageError(f"{self.path}: expected a list of scenarios")
        for spec in data:
            for required in ("name", "source", "input", "output"):
                if required not in spec:
                    raise pytest.UsageError(f"{self.path}: scenario without '{required}'")
            yield ScenarioItem.from_parent(self, name=spec["name"], spec=spec)
