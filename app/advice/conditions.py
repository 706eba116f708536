"""The small condition language of the rules files, compiled to predicates.

`when:` is a mapping of fact name to matcher; all entries must hold. Matchers:
- scalar facts (age_group, course, profile, ...): a value (equal) or a list (one of);
  `{not: value-or-list}`.
- boolean facts: true / false.
- numeric facts: a number, or `{gte|gt|lte|lt: n}` (combined with and).
- set facts (dimensions, risk_factors, crisis_signs): a value (contains), a list (contains
  any), `{all: [...]}`, `{none: [...]}`, `{empty: true|false}`.
Special keys: `any: [mapping, ...]` holds when one of them holds; `not: mapping`.
An unknown fact (None, e.g. no scale answered) never matches a positive matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from app.domain.vocabulary import (
    AgeGroup,
    Coping,
    Course,
    CourseBasis,
    CrisisSign,
    Dimension,
    DjgBand,
    ProblemNature,
    RiskFactor,
)

Predicate = Callable[[Mapping[str, object]], bool]


class ConditionError(ValueError):
    """A condition names an unknown fact, value or operator."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


SCALAR_FACTS: dict[str, type[StrEnum] | None] = {
    "age_group": AgeGroup,
    "problem_nature": ProblemNature,
    "coping": Coping,
    "course": Course,
    "course_basis": CourseBasis,
    "djg6_band": DjgBand,
    "profile": None,  # checked against the profile ids
}
BOOL_FACTS = {"wants_contact", "socially_isolated"}
NUMBER_FACTS = {
    "duration_months",
    "age",
    "risk_factor_count",
    "djg6_total",
    "djg6_emotional",
    "djg6_social",
}
SET_FACTS: dict[str, type[StrEnum]] = {
    "dimensions": Dimension,
    "risk_factors": RiskFactor,
    "crisis_signs": CrisisSign,
}
FACTS = set(SCALAR_FACTS) | BOOL_FACTS | NUMBER_FACTS | set(SET_FACTS)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_values(
    field: str, values: list[Any], enum: type[StrEnum] | None, profile_ids: frozenset[str]
) -> frozenset[str]:
    allowed = {m.value for m in enum} if enum is not None else set(profile_ids)
    for v in values:
        if not isinstance(v, str) or v not in allowed:
            raise ConditionError(field, f"unknown value {v!r}")
    return frozenset(values)


def _scalar(name: str, spec: Any, enum: type[StrEnum] | None, ids: frozenset[str]) -> Predicate:
    if isinstance(spec, dict):
        if set(spec) != {"not"}:
            raise ConditionError(name, f"unknown operator(s) {sorted(set(spec) - {'not'})}")
        excluded = _check_values(name, _as_list(spec["not"]), enum, ids)
        return lambda f: f[name] is not None and f[name] not in excluded
    allowed = _check_values(name, _as_list(spec), enum, ids)
    return lambda f: f[name] in allowed


def _boolean(name: str, spec: Any) -> Predicate:
    if not isinstance(spec, bool):
        raise ConditionError(name, "expects true or false")
    return lambda f: f[name] is spec


_NUM_OPS: dict[str, Callable[[float, float], bool]] = {
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "lte": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}


def _number(name: str, spec: Any) -> Predicate:
    if isinstance(spec, bool):
        raise ConditionError(name, "expects a number or {gte|gt|lte|lt: n}")
    if isinstance(spec, int | float):
        return lambda f: f[name] == spec
    if not isinstance(spec, dict) or not spec:
        raise ConditionError(name, "expects a number or {gte|gt|lte|lt: n}")
    checks = []
    for op, bound in spec.items():
        if op not in _NUM_OPS:
            raise ConditionError(name, f"unknown operator {op!r}")
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise ConditionError(name, f"{op} needs a number")
        checks.append((_NUM_OPS[op], bound))

    def pred(f: Mapping[str, object]) -> bool:
        v = f[name]
        return isinstance(v, int | float) and all(fn(v, b) for fn, b in checks)

    return pred


def _set_value(f: Mapping[str, object], name: str) -> frozenset[object]:
    value = f[name]
    return value if isinstance(value, frozenset) else frozenset()


def _set_op(name: str, op: str, arg: Any, enum: type[StrEnum], ids: frozenset[str]) -> Predicate:
    if op == "empty":
        if not isinstance(arg, bool):
            raise ConditionError(name, "empty expects true or false")

        def is_empty(f: Mapping[str, object]) -> bool:
            return (len(_set_value(f, name)) == 0) is arg

        return is_empty
    if op not in ("all", "any", "none"):
        raise ConditionError(name, f"unknown operator {op!r}")
    vals: frozenset[object] = frozenset(_check_values(name, _as_list(arg), enum, ids))

    def has_all(f: Mapping[str, object]) -> bool:
        return vals <= _set_value(f, name)

    def has_any(f: Mapping[str, object]) -> bool:
        return not vals.isdisjoint(_set_value(f, name))

    def has_none(f: Mapping[str, object]) -> bool:
        return vals.isdisjoint(_set_value(f, name))

    return {"all": has_all, "any": has_any, "none": has_none}[op]


def _set(name: str, spec: Any, enum: type[StrEnum], ids: frozenset[str]) -> Predicate:
    if not isinstance(spec, dict):
        return _set_op(name, "any", spec, enum, ids)
    preds = [_set_op(name, op, arg, enum, ids) for op, arg in spec.items()]
    return _all_of(preds)


# The loops below are plain for-loops, not all()/any() over a generator: every rule's
# condition runs for every intake, and a generator costs more than the checks it makes.


def _all_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    checks = tuple(preds)

    def all_hold(f: Mapping[str, object]) -> bool:
        for p in checks:  # noqa: SIM110 (see above)
            if not p(f):
                return False
        return True

    return all_hold


def _any_of(preds: list[Predicate]) -> Predicate:
    checks = tuple(preds)

    def one_holds(f: Mapping[str, object]) -> bool:
        for p in checks:  # noqa: SIM110 (see above)
            if p(f):
                return True
        return False

    return one_holds


def _negate(pred: Predicate) -> Predicate:
    def negated(f: Mapping[str, object]) -> bool:
        return not pred(f)

    return negated


def _always(_f: Mapping[str, object]) -> bool:
    return True


def compile_condition(when: Mapping[str, Any], profile_ids: frozenset[str]) -> Predicate:
    """Compile a `when:` mapping into a predicate over the fact mapping."""
    if not isinstance(when, Mapping):
        raise ConditionError("", "expects a mapping of facts")
    preds: list[Predicate] = []
    for name, spec in when.items():
        if name == "any":
            if not isinstance(spec, list) or not spec:
                raise ConditionError("any", "expects a non-empty list of conditions")
            preds.append(_any_of([compile_condition(s, profile_ids) for s in spec]))
        elif name == "not":
            preds.append(_negate(compile_condition(spec, profile_ids)))
        elif name in SCALAR_FACTS:
            preds.append(_scalar(name, spec, SCALAR_FACTS[name], profile_ids))
        elif name in BOOL_FACTS:
            preds.append(_boolean(name, spec))
        elif name in NUMBER_FACTS:
            preds.append(_number(name, spec))
        elif name in SET_FACTS:
            preds.append(_set(name, spec, SET_FACTS[name], profile_ids))
        else:
            raise ConditionError(str(name), f"unknown fact {name!r}")
    return _all_of(preds) if preds else _always
