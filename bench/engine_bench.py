"""Benchmark 1: the advice engine alone, beside validating the Intake model alone."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.advice.engine import advise
from app.domain.intake import Intake
from bench.fixtures import (
    INTAKES,
    load_catalogue_records,
    load_shipped_knowledge,
    parsed_intakes,
)
from bench.scale import scaled
from bench.stats import Accumulator, Summary, ratio, split

GOAL_US = 1000.0
BASE_ITERATIONS = 6000
BASE_WARMUP = 200
# The measured calls are split into blocks that alternate between advice and baseline,
# so that slow drift (CPU frequency, other load) affects both alike.
BLOCKS = 4


@dataclass(frozen=True, slots=True)
class EngineResult:
    advice: Summary
    baseline: Summary
    intakes: int
    rules: int
    initiatives: int

    @property
    def ratio_mean(self) -> float:
        """How many Intake validations one advice costs (mean over mean)."""
        return ratio(self.advice.mean_us, self.baseline.mean_us)

    @property
    def goal_met(self) -> bool:
        return self.advice.mean_us < GOAL_US

    def as_dict(self) -> dict[str, Any]:
        return {
            "advice": self.advice.as_dict(),
            "baseline_intake_validate": self.baseline.as_dict(),
            "ratio_advice_to_validate_mean": self.ratio_mean,
            "goal_us_per_advice": GOAL_US,
            "goal_met": self.goal_met,
            "intakes": self.intakes,
            "rules": self.rules,
            "initiatives": self.initiatives,
        }


def _block(acc: Accumulator, op: Callable[[int], object], start: int, n: int) -> None:
    """Call op(start..start+n-1), timing each call and the whole loop."""
    gc.collect()
    samples = [0] * n
    clock = time.perf_counter_ns
    begin = clock()
    for j in range(n):
        t0 = clock()
        op(start + j)
        samples[j] = clock() - t0
    acc.add_block(samples, clock() - begin)


def run(scale: float) -> EngineResult:
    knowledge = load_shipped_knowledge()
    catalogue = tuple(load_catalogue_records())
    intakes = parsed_intakes()
    raw = list(INTAKES)
    k = len(intakes)
    n = scaled(BASE_ITERATIONS, scale, minimum=k)
    warmup = scaled(BASE_WARMUP, scale, minimum=k)

    # Both walk the same sixteen intakes round-robin; the advice is in the default language.
    def do_advice(i: int) -> object:
        return advise(intakes[i % k], knowledge, catalogue, lang="nl")

    def do_validate(i: int) -> object:
        return Intake.model_validate(raw[i % k])

    for i in range(warmup):
        do_advice(i)
        do_validate(i)

    advice = Accumulator.named("advise()")
    baseline = Accumulator.named("Intake.model_validate()")
    done = 0
    for index, size in enumerate(split(n, BLOCKS)):
        if index % 2 == 0:
            _block(baseline, do_validate, done, size)
            _block(advice, do_advice, done, size)
        else:
            _block(advice, do_advice, done, size)
            _block(baseline, do_validate, done, size)
        done += size
    return EngineResult(
        advice=advice.summary(),
        baseline=baseline.summary(),
        intakes=k,
        rules=len(knowledge.rules),
        initiatives=len(catalogue),
    )
