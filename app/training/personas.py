"""The persona library of trainer mode: fictional people with a story and an intake.

The personas live in data/personas.yaml so that a trainer or domain expert can review
and extend them without Python. Each intake is validated with the app's own `Intake`
model when the file is read: a persona whose intake the advice API would refuse stops
the program with the file, the persona and the field named.

The texts are Dutch, with an English version per persona (its `en` block: title, story,
learning points and questions; names, intake and sources are shared). The loader refuses
a persona without a complete English version, so a page never needs a fallback.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.core.config import REPO_ROOT
from app.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from app.domain.intake import Intake, profile_id

PERSONAS_FILE = REPO_ROOT / "data" / "personas.yaml"

# Ids appear in addresses (/training/persona/{id}): lower-case words joined by hyphens.
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TEXT_KEYS = {"title", "story", "learning_points", "questions"}
# The other languages' blocks (`en`) hold the text keys only.
_TRANSLATED = tuple(lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE)
_KEYS = {"id", "name", "intake", *_TEXT_KEYS, *_TRANSLATED}
_LANGUAGE_NAMES = {"en": "English"}
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PersonaError(ValueError):
    """data/personas.yaml is malformed; the message names the file, persona and field."""


@dataclass(frozen=True, slots=True)
class LearningPoint:
    """One thing a class should take away from a persona, with its (author, year) source."""

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class PersonaText:
    """What a persona says in one language: caption, story, learning points, questions."""

    title: str
    story: str
    learning_points: tuple[LearningPoint, ...]
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Persona:
    """A fictional person: story, intake answers, learning points and worksheet questions,
    with the texts in `lang` (see `in_language`)."""

    id: str
    name: str
    intake_model: Intake
    texts: Mapping[str, PersonaText]
    _intake: Mapping[str, Any]
    lang: str = DEFAULT_LANGUAGE

    def in_language(self, lang: str) -> Persona:
        """The same persona with its texts in `lang` (Dutch for a language it lacks)."""
        return replace(self, lang=lang if lang in self.texts else DEFAULT_LANGUAGE)

    @property
    def title(self) -> str:
        return self.texts[self.lang].title

    @property
    def title_after_name(self) -> str:
        """The caption as it reads after the name in a heading ("Yonas, nieuwkomer die ...")."""
        return self.title[:1].lower() + self.title[1:]

    @property
    def story(self) -> str:
        return self.texts[self.lang].story

    @property
    def learning_points(self) -> tuple[LearningPoint, ...]:
        return self.texts[self.lang].learning_points

    @property
    def questions(self) -> tuple[str, ...]:
        return self.texts[self.lang].questions

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


def _points(where: str, raw: object, sources: tuple[str, ...] | None) -> list[LearningPoint]:
    """Dutch points carry `text` and `source`; a translation's points only `text`, in the
    same order, and share the Dutch sources (`sources`)."""
    if not isinstance(raw, list) or not raw:
        raise PersonaError(f"{where}: 'learning_points' must be a non-empty list")
    if sources is not None and len(raw) != len(sources):
        raise PersonaError(
            f"{where}: 'learning_points' has {len(raw)} point(s), the Dutch version "
            f"{len(sources)}: translate every point, in the same order"
        )
    keys = {"text", "source"} if sources is None else {"text"}
    needs = " and ".join(f"'{k}'" for k in sorted(keys))
    points = []
    for n, point in enumerate(raw, 1):
        if not isinstance(point, dict) or set(point) != keys:
            raise PersonaError(f"{where}: learning point {n} needs exactly {needs}")
        field = f"learning_points.{n}"
        source = (
            sources[n - 1]
            if sources is not None
            else _text(where, point["source"], f"{field}.source")
        )
        points.append(LearningPoint(_text(where, point["text"], f"{field}.text"), source))
    return points


def _texts(where: str, raw: dict[str, Any], dutch: PersonaText | None = None) -> PersonaText:
    """The text keys of a persona (Dutch) or of one of its translations (given `dutch`)."""
    sources = tuple(p.source for p in dutch.learning_points) if dutch else None
    questions = raw["questions"]
    if not isinstance(questions, list) or not questions:
        raise PersonaError(f"{where}: 'questions' must be a non-empty list")
    if dutch and len(questions) != len(dutch.questions):
        raise PersonaError(
            f"{where}: 'questions' has {len(questions)} question(s), the Dutch version "
            f"{len(dutch.questions)}: translate every question, in the same order"
        )
    return PersonaText(
        title=_text(where, raw["title"], "title"),
        story=_text(where, raw["story"], "story"),
        learning_points=tuple(_points(where, raw["learning_points"], sources)),
        questions=tuple(_text(where, q, f"questions.{n}") for n, q in enumerate(questions, 1)),
    )


def _translation(where: str, raw: dict[str, Any], lang: str, dutch: PersonaText) -> PersonaText:
    name = _LANGUAGE_NAMES.get(lang, lang)
    block = raw.get(lang)
    where = f"{where}: {lang}"
    if not isinstance(block, dict):
        raise PersonaError(
            f"{where}: the {name} version must be a mapping with {', '.join(sorted(_TEXT_KEYS))}"
        )
    unknown = sorted(set(block) - _TEXT_KEYS)
    if unknown:
        raise PersonaError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = sorted(_TEXT_KEYS - set(block))
    if missing:
        raise PersonaError(f"{where}: the {name} version lacks {', '.join(missing)}")
    return _texts(where, block, dutch)


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
        names = [
            f"{k} (the {_LANGUAGE_NAMES.get(k, k)} version)" if k in _TRANSLATED else k
            for k in missing
        ]
        raise PersonaError(f"{where}: missing key(s) {', '.join(names)}")
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
    dutch = _texts(where, raw)
    texts = {DEFAULT_LANGUAGE: dutch}
    texts.update((lang, _translation(where, raw, lang, dutch)) for lang in _TRANSLATED)
    return Persona(
        id=pid,
        name=_text(where, raw["name"], "name"),
        intake_model=intake,
        texts=texts,
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


@lru_cache(maxsize=len(LANGUAGES))
def _load(lang: str) -> tuple[Persona, ...]:
    if lang == DEFAULT_LANGUAGE:
        return read_personas(PERSONAS_FILE)
    return tuple(p.in_language(lang) for p in _load(DEFAULT_LANGUAGE))


def load_personas(lang: str = DEFAULT_LANGUAGE) -> tuple[Persona, ...]:
    """All personas of data/personas.yaml in file order, their texts in `lang` (read once,
    then cached)."""
    return _load(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def persona_by_id(persona_id: str, lang: str = DEFAULT_LANGUAGE) -> Persona | None:
    """The persona with this id, its texts in `lang`, or None."""
    return next((p for p in load_personas(lang) if p.id == persona_id), None)
