"""The persona library of trainer mode: fictional people with a story and an intake.

The personas live in data/personas.yaml so that a trainer or domain expert can review
and extend them without Python. Each intake is validated with the app's own `Intake`
model when the file is read: a persona whose intake the advice API would refuse stops
the program with the file, the persona and the field named.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.core.config import REPO_ROOT
from app.domain.intake import Intake, profile_id

PERSONAS_FILE = REPO_ROOT / "data" / "personas.yaml"

# Ids appear in addresses (/training/persona/{id}): lower-case words joined by hyphens.
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEYS = {"id", "name", "title", "story", "intake", "learning_points", "questions"}
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PersonaError(ValueError):
    """data/personas.yaml is malformed; the message names the file, persona and field."""


@dataclass(frozen=True, slots=True)
class LearningPoint:
    """One thing a class should take away from a persona, with its (author, year) source."""

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Persona:
    """A fictional person: story, intake answers, learning points and worksheet questions."""

    id: str
    name: str
    title: str
    story: str
    intake_model: Intake
    learning_points: tuple[LearningPoint, ...]
    questions: tuple[str, ...]
    _intake: Mapping[str, Any]

    @property
    def intake(self) -> dict[str, Any]:
        """The intake as a body for POST /api/v1/advice (a fresh copy each time)."""
        return copy.deepcopy(dict(self._intake))

    @property
    def profile_id(self) -> str:
        """The Machielse & Ariaans (2020) profile this intake yields, by the engine's code."""
        return profile_id(self.intake_model)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The story's paragraphs, each as one line of text."""
        return tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", self.story) if p.strip())


def _text(where: str, value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PersonaError(f"{where}: '{field}' must be a non-empty text")
    return value.strip()


def _persona(path: Path, index: int, raw: object) -> Persona:
    where = f"{path}: persona {index + 1}"
    if not isinstance(raw, dict):
        raise PersonaError(f"{where}: must be a mapping")
    if isinstance(raw.get("id"), str):
        where = f"{path}: persona '{raw['id']}'"
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise PersonaError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = sorted(_KEYS - set(raw))
    if missing:
        raise PersonaError(f"{where}: missing key(s) {', '.join(missing)}")
    pid = _text(where, raw["id"], "id")
    if not _ID.match(pid):
        raise PersonaError(f"{where}: 'id' must be lower-case words joined by hyphens")
    body = raw["intake"]
    if not isinstance(body, dict):
        raise PersonaError(f"{where}: 'intake' must be a mapping")
    try:
        intake = Intake.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"]) or "intake"
        raise PersonaError(f"{where}: intake.{field}: {first['msg']}") from None
    points = raw["learning_points"]
    if not isinstance(points, list) or not points:
        raise PersonaError(f"{where}: 'learning_points' must be a non-empty list")
    learning = []
    for n, point in enumerate(points, 1):
        if not isinstance(point, dict) or set(point) != {"text", "source"}:
            raise PersonaError(f"{where}: learning point {n} needs exactly 'text' and 'source'")
        learning.append(
            LearningPoint(
                text=_text(where, point["text"], f"learning_points.{n}.text"),
                source=_text(where, point["source"], f"learning_points.{n}.source"),
            )
        )
    questions = raw["questions"]
    if not isinstance(questions, list) or not questions:
        raise PersonaError(f"{where}: 'questions' must be a non-empty list")
    return Persona(
        id=pid,
        name=_text(where, raw["name"], "name"),
        title=_text(where, raw["title"], "title"),
        story=_text(where, raw["story"], "story"),
        intake_model=intake,
        learning_points=tuple(learning),
        questions=tuple(_text(where, q, f"questions.{n}") for n, q in enumerate(questions, 1)),
        _intake=copy.deepcopy(body),
    )


def read_personas(path: Path) -> tuple[Persona, ...]:
    """Read and validate a personas file; raises PersonaError naming what is wrong."""
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise PersonaError(f"{path}: file is missing") from None
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("personas"), list):
        raise PersonaError(f"{path}: expected a top-level 'personas' list")
    personas = tuple(_persona(path, i, raw) for i, raw in enumerate(data["personas"]))
    seen: set[str] = set()
    for p in personas:
        if p.id in seen:
            raise PersonaError(f"{path}: persona id '{p.id}' appears twice")
        seen.add(p.id)
    return personas


@lru_cache(maxsize=1)
def load_personas() -> tuple[Persona, ...]:
    """All personas of data/personas.yaml, in file order (read once, then cached)."""
    return read_personas(PERSONAS_FILE)


def persona_by_id(persona_id: str) -> Persona | None:
    """The persona with this id, or None."""
    return next((p for p in load_personas() if p.id == persona_id), None)
