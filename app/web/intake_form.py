"""The intake wizard's answers: read from the URL, validated per step, messages in Dutch.

Answers live only in the query string and in the forms of the pages (never stored
server-side unless the user explicitly saves an anonymous record).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from app.core.i18n import gettext_ as _
from app.domain.intake import Intake
from app.domain.vocabulary import (
    AgeGroup,
    Coping,
    Course,
    CrisisSign,
    Dimension,
    DjgAnswer,
    ProblemNature,
    RiskFactor,
)

DJG6_FIELDS = tuple(f"djg6_{n}" for n in range(1, 7))
MULTI_FIELDS = ("dimensions", "risk_factors", "crisis_signs")


@dataclass(frozen=True)
class Step:
    id: str
    fields: tuple[str, ...]
    required: tuple[str, ...] = ()


STEPS: tuple[Step, ...] = (
    Step("context", ("age_group", "municipality"), ("age_group",)),
    Step(
        "questions",
        ("problem_nature", "wants_contact", "coping"),
        ("problem_nature", "wants_contact", "coping"),
    ),
    Step("course", ("duration_months", "course")),
    Step("dimensions", ("dimensions", "socially_isolated")),
    Step("risks", ("risk_factors", "crisis_signs")),
    Step("scale", DJG6_FIELDS),
    Step("review", ()),
)
STEP_IDS = tuple(s.id for s in STEPS)
STEP_BY_ID = {s.id: s for s in STEPS}
ALL_FIELDS = tuple(f for s in STEPS for f in s.fields)

CHOICES: dict[str, frozenset[str]] = {
    "age_group": frozenset(a.value for a in AgeGroup),
    "problem_nature": frozenset(p.value for p in ProblemNature),
    "wants_contact": frozenset({"true", "false"}),
    "coping": frozenset(c.value for c in Coping),
    "course": frozenset({"", *(c.value for c in Course)}),
    "socially_isolated": frozenset({"", "true", "false"}),
    "dimensions": frozenset(d.value for d in Dimension),
    "risk_factors": frozenset(r.value for r in RiskFactor),
    "crisis_signs": frozenset(c.value for c in CrisisSign),
    **{f: frozenset({"", *(a.value for a in DjgAnswer)}) for f in DJG6_FIELDS},
}
MAX_MUNICIPALITY = 80
MAX_DURATION = 1200


@dataclass(frozen=True)
class Answers:
    """The raw answers as given (kept verbatim so that nothing typed is lost)."""

    values: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Answers:
        collected: dict[str, list[str]] = {}
        for key, value in pairs:
            if key in ALL_FIELDS:
                collected.setdefault(key, []).append(value.strip()[:200])
        return cls({k: tuple(v) for k, v in collected.items()})

    def get(self, field: str) -> str:
        vals = self.values.get(field, ())
        return vals[0] if vals else ""

    def getlist(self, field: str) -> tuple[str, ...]:
        return tuple(v for v in self.values.get(field, ()) if v)

    def replace(self, **changes: str | Iterable[str]) -> Answers:
        new = dict(self.values)
        for key, value in changes.items():
            new[key] = (value,) if isinstance(value, str) else tuple(value)
        return Answers(new)

    def pairs(self, exclude: Iterable[str] = ()) -> list[tuple[str, str]]:
        """(name, value) pairs in a stable order, e.g. for hidden inputs and URLs."""
        skip = set(exclude)
        out: list[tuple[str, str]] = []
        for field in ALL_FIELDS:
            if field in skip:
                continue
            values = self.getlist(field) if field in MULTI_FIELDS else (self.get(field),)
            out.extend((field, v) for v in values if v)
        return out

    def query(self, **extra: str) -> str:
        return urlencode(self.pairs() + list(extra.items()))


def _step_errors(answers: Answers, step: Step) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field in step.fields:
        if field in MULTI_FIELDS:
            bad = [v for v in answers.getlist(field) if v not in CHOICES[field]]
            if bad:
                errors[field] = _("Kies alleen uit de aangeboden mogelijkheden.")
            continue
        value = answers.get(field)
        if field in step.required and not value:
            errors[field] = (
                _("Kies een leeftijdsgroep.") if field == "age_group" else _("Kies een antwoord.")
            )
        elif field == "municipality":
            if len(value) > MAX_MUNICIPALITY:
                errors[field] = _("De gemeente mag hoogstens 80 tekens tellen.")
        elif field == "duration_months":
            if value and not value.isdigit():
                errors[field] = _("Geef de duur als een geheel aantal maanden (0 of meer).")
            elif value and int(value) > MAX_DURATION:
                errors[field] = _("Geef een duur van hoogstens 1200 maanden (100 jaar).")
        elif field in CHOICES and value not in CHOICES[field]:
            errors[field] = _("Kies een van de aangeboden antwoorden.")
    if step.id == "risks":
        risks = answers.getlist("risk_factors")
        if "none" in risks and len(risks) > 1:
            errors["risk_factors"] = _(
                "'Geen specifieke risicofactoren' kan niet samen met andere risicofactoren."
            )
    if step.id == "scale":
        given = [f for f in DJG6_FIELDS if answers.get(f)]
        if given and len(given) < len(DJG6_FIELDS):
            for f in DJG6_FIELDS:
                if not answers.get(f):
                    errors[f] = _(
                        "Beantwoord alle zes uitspraken, of laat de schaal helemaal leeg."
                    )
    return errors


def validate_step(answers: Answers, step_id: str) -> dict[str, str]:
    """Field → Dutch message for every problem in one step."""
    return _step_errors(answers, STEP_BY_ID[step_id])


def first_invalid_step(answers: Answers) -> tuple[str, dict[str, str]] | None:
    for step in STEPS:
        errors = _step_errors(answers, step)
        if errors:
            return step.id, errors
    return None


def to_intake(answers: Answers) -> Intake:
    """Build the Intake; call only when every step validates."""
    djg6 = [answers.get(f) for f in DJG6_FIELDS]
    duration = answers.get("duration_months")
    isolated = answers.get("socially_isolated")
    data: dict[str, object] = {
        "age_group": answers.get("age_group"),
        "problem_nature": answers.get("problem_nature"),
        "wants_contact": answers.get("wants_contact") == "true",
        "coping": answers.get("coping"),
        "course": answers.get("course") or None,
        "duration_months": int(duration) if duration else None,
        "dimensions": list(answers.getlist("dimensions")),
        "socially_isolated": None if not isolated else isolated == "true",
        "risk_factors": list(answers.getlist("risk_factors")),
        "djg6": djg6 if all(djg6) else None,
        "municipality": answers.get("municipality") or None,
        "crisis_signs": list(answers.getlist("crisis_signs")),
    }
    return Intake.model_validate(data)


def neighbours(step_id: str) -> tuple[str | None, str | None]:
    i = STEP_IDS.index(step_id)
    prev = STEP_IDS[i - 1] if i > 0 else None
    nxt = STEP_IDS[i + 1] if i + 1 < len(STEP_IDS) else None
    return prev, nxt
