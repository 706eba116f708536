"""Schemas and loader for the knowledge in rules/: elements, profiles, vocabulary, rules.

A malformed file stops start-up with a KnowledgeError that names the file, the rule (or
entry) id and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.advice.conditions import ConditionError, compile_condition
from app.domain.vocabulary import (
    AgeGroup,
    Approach,
    Coping,
    ElementGroup,
    ElementId,
    Evidence,
    ProblemNature,
    Strength,
)

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(Exception):
    """A rules file is malformed; the message names file, id and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Dutch (primary) and English."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


class Element(_Strict):
    id: ElementId
    label: Text
    evidence: Evidence
    group: ElementGroup
    description: Text
    sources: list[str] = Field(min_length=1)


class VocabEntry(_Strict):
    id: str
    label: Text
    description: Text | None = None
    sources: list[str] = Field(default_factory=list)
    group: str | None = None


class Profile(_Strict):
    id: str
    name: str | None = None
    problem_nature: ProblemNature
    wants_contact: bool
    coping: Coping
    direction: Text
    reasoning: Text
    caveats: Text
    sources: list[str] = Field(min_length=1)
    strength: Strength
    # Elements this profile's direction rules out as proposals, whatever other rules
    # say: the engine discourages them with `not_in_plan_reason` and says so.
    not_in_plan: list[ElementId] = Field(default_factory=list)
    not_in_plan_reason: Text | None = None

    @model_validator(mode="after")
    def _reason_for_exclusions(self) -> Profile:
        if self.not_in_plan and self.not_in_plan_reason is None:
            raise ValueError("not_in_plan needs a not_in_plan_reason")
        return self

    @model_validator(mode="after")
    def _id_matches_answers(self) -> Profile:
        need = "need" if self.wants_contact else "no_need"
        expected = f"{self.problem_nature}-{need}-{self.coping}"
        if self.id != expected:
            raise ValueError(f"id must be '{expected}' for these three answers")
        return self


class Contact(_Strict):
    name: str
    phone: str | None = None
    url: str | None = None
    note: Text | None = None


class SignalDef(_Strict):
    id: str
    level: Literal["danger", "warning", "info"]
    text: Text
    source: str
    contacts: list[Contact] = Field(default_factory=list)


class ServiceDef(_Strict):
    """A type of regular service and the elements it usually delivers (rules/services.yaml)."""

    id: str
    label: Text
    description: Text
    query: str = Field(min_length=1)
    elements: list[ElementId] = Field(min_length=1)
    age_groups: list[AgeGroup] = Field(default_factory=list)  # empty: every age


class ClientText(_Strict):
    """How an element is put to the person in the client's plan (rules/client.yaml)."""

    id: ElementId
    text: Text


class Phrase(_Strict):
    """A sentence the engine fills in (rules/phrases.yaml)."""

    id: str
    text: Text


class GapAction(_Strict):
    """What a local government can do about a gap, with its source."""

    text: Text
    source: str = Field(min_length=1)


class GapDef(_Strict):
    """A kind of gap in a local offer (rules/gaps.yaml)."""

    id: str
    # "missing": the offer lacks something; "unknown": the records do not say (data quality).
    group: Literal["missing", "unknown"] = "missing"
    severity: Literal["high", "medium", "info"]
    text: Text
    # The text when the counted subject is one initiative or none (singular verb).
    text_one: Text | None = None
    source: str
    action: GapAction | None = None

    @model_validator(mode="after")
    def _missing_has_action(self) -> GapDef:
        if self.group == "missing" and self.action is None:
            raise ValueError("a gap in the 'missing' group needs an action")
        return self


class Effect(_Strict):
    """One effect of a rule: exactly one of raise, lower, discourage, approach, signal."""

    raise_: ElementId | None = Field(default=None, alias="raise")
    lower: ElementId | None = None
    discourage: ElementId | None = None
    approach: Approach | None = None
    signal: str | None = None
    weight: float | None = Field(default=None, gt=0, le=10)
    # A pinned raise always enters the plan, first (used for safety, e.g. a crisis).
    pin: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Effect:
        kinds = [
            k
            for k in ("raise_", "lower", "discourage", "approach", "signal")
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError(
                "an effect needs exactly one of raise, lower, discourage, approach, signal"
            )
        needs_weight = kinds[0] in ("raise_", "lower", "approach")
        if needs_weight and self.weight is None:
            raise ValueError("raise, lower and approach need a weight")
        if not needs_weight and self.weight is not None:
            raise ValueError("discourage and signal take no weight")
        if self.pin and kinds[0] != "raise_":
            raise ValueError("only a raise can be pinned")
        return self

    @property
    def kind(self) -> str:
        for k in ("raise_", "lower", "discourage", "approach", "signal"):
            if getattr(self, k) is not None:
                return k.rstrip("_")
        raise AssertionError("validated effect without kind")


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    when: dict[str, Any] = Field(default_factory=dict)
    effects: list[Effect] = Field(min_length=1)
    rationale: Text
    source: str = Field(min_length=1)
    strength: Strength


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    matches: Callable[[Mapping[str, object]], bool]
    file: str


@dataclass(frozen=True)
class Knowledge:
    """Everything the engine knows, validated and indexed."""

    elements: dict[ElementId, Element]
    profiles: dict[str, Profile]
    vocabulary: dict[str, dict[str, VocabEntry]]
    signals: dict[str, SignalDef]
    rules: tuple[CompiledRule, ...]
    gaps: dict[str, GapDef] = field(default_factory=dict)
    services: tuple[ServiceDef, ...] = ()
    service_search_url: str = ""
    client_texts: dict[ElementId, Text] = field(default_factory=dict)
    # sentences the engine puts together (rules/phrases.yaml)
    phrases: dict[str, Text] = field(default_factory=dict)
    # lower-cased names and phone numbers of crisis and listening lines (rules/signals.yaml)
    helplines: frozenset[str] = frozenset()
    element_order: dict[ElementId, int] = field(default_factory=dict)
    # Memo of rendered reasons (rule id, effect, weight, language), of derived indexes and
    # of per-language tables (prepared rules, phrases, labels); filled lazily. Keyed on the
    # knowledge and a language only, never on anything of an intake.
    reason_cache: dict[tuple[Any, ...], Any] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def rules_by_id(self) -> dict[str, CompiledRule]:
        """Rule id → compiled rule (built once)."""
        cached: dict[str, CompiledRule] | None = self.reason_cache.get(("rules_by_id",))
        if cached is None:
            cached = {r.rule.id: r for r in self.rules}
            self.reason_cache[("rules_by_id",)] = cached
        return cached

    def phrase(self, id_: str, lang: str = "nl") -> str:
        """One sentence of rules/phrases.yaml in the language asked for."""
        return self.phrases[id_].get(lang)

    def phrases_for(self, lang: str, prefix: str = "") -> Mapping[str, str]:
        """Every phrase whose id starts with `prefix`, in one language (built once; shared,
        so read only)."""
        key = ("phrases_for", lang, prefix)
        cached: Mapping[str, str] | None = self.reason_cache.get(key)
        if cached is None:
            cached = {k: v.get(lang) for k, v in self.phrases.items() if k.startswith(prefix)}
            self.reason_cache[key] = cached
        return cached

    def element_labels(self, lang: str) -> Mapping[str, str]:
        """Element id → its label in one language (built once; shared, so read only)."""
        key = ("element_labels", lang)
        cached: Mapping[str, str] | None = self.reason_cache.get(key)
        if cached is None:
            cached = {e.value: el.label.get(lang) for e, el in self.elements.items()}
            self.reason_cache[key] = cached
        return cached

    def label(self, section: str, id_: str, lang: str = "nl") -> str:
        entry = self.vocabulary.get(section, {}).get(id_)
        return entry.label.get(lang) if entry else id_


_OFFER_PHRASES = (
    "offers",
    "age",
    "all_ages",
    "tertiary",
    "secondary",
    "primary",
    "dimension",
    "isolation",
    "risk",
    "ladder",
    "same_place",
    "region",
    "flanders",
    "elsewhere",
    "unknown_place",
    "caution",
)
REQUIRED_PHRASES = frozenset(
    {"combination", "resolution", "plan_fits", "fact_crisis", "fact_several_risks"}
    | {"fact_isolated", "fact_not_isolated"}
    | {f"fact_scale_{band}" for band in ("severe", "moderate", "not_lonely")}
    | {f"offer_{k}" for k in _OFFER_PHRASES}
)

REQUIRED_VOCABULARY = (
    "age_groups",
    "problem_nature",
    "wants_contact",
    "coping",
    "course",
    "dimensions",
    "risk_factors",
    "prevention_levels",
    "approach",
    "effect_ladder",
    "geographic_level",
    "primary_actor",
    "evidence",
)


# libyaml's loader where PyYAML was built with it (the wheels are): the same safe subset,
# about ten times faster; the rules are read at every start and by every CLI command.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: file is missing") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise KnowledgeError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.object[exc.start : exc.end]!r})"
        ) from None


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = "raise" if part == "raise_" else part
            out += f".{name}" if out else name
    return out or "(entry)"


def _validate_entries(path: Path, raw: Any, key: str, model: type[M], kind: str) -> list[M]:
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise KnowledgeError(f"{path}: expected a top-level '{key}:' list")
    out: list[M] = []
    seen: set[str] = set()
    for n, item in enumerate(raw[key]):
        ident = item.get("id") if isinstance(item, dict) else None
        where = f"{kind} '{ident}'" if ident is not None else f"{kind} #{n + 1}"
        try:
            obj = model.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise KnowledgeError(
                f"{path}: {where}: field '{_field_path(err['loc'])}': {err['msg']}"
            ) from None
        if ident is not None:
            if str(ident) in seen:
                raise KnowledgeError(f"{path}: {where}: field 'id': duplicate id")
            seen.add(str(ident))
        out.append(obj)
    return out


def _load_vocabulary(path: Path) -> dict[str, dict[str, VocabEntry]]:
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: expected a mapping of vocabulary sections")
    vocab: dict[str, dict[str, VocabEntry]] = {}
    for section in REQUIRED_VOCABULARY:
        if section not in raw:
            raise KnowledgeError(f"{path}: section '{section}' is missing")
    for section in raw:
        entries = _validate_entries(path, raw, section, VocabEntry, f"{section} entry")
        vocab[section] = {str(e.id): e for e in entries}
    return vocab


def _compile_rules(
    path: Path, rules: list[Rule], signals: Mapping[str, SignalDef], profiles: Mapping[str, Profile]
) -> list[CompiledRule]:
    compiled = []
    for rule in rules:
        for n, effect in enumerate(rule.effects):
            if effect.signal is not None and effect.signal not in signals:
                raise KnowledgeError(
                    f"{path}: rule '{rule.id}': field 'effects[{n}].signal': "
                    f"unknown signal '{effect.signal}'"
                )
        try:
            matches = compile_condition(rule.when, profile_ids=frozenset(profiles))
        except ConditionError as exc:
            raise KnowledgeError(
                f"{path}: rule '{rule.id}': field 'when.{exc.field}': {exc}"
            ) from None
        compiled.append(CompiledRule(rule=rule, matches=matches, file=path.name))
    return compiled


def load_knowledge(rules_dir: Path) -> Knowledge:
    """Load and validate every file under rules_dir; raise KnowledgeError on the first fault."""
    elements_path = rules_dir / "elements.yaml"
    elements = _validate_entries(
        elements_path, _read_yaml(elements_path), "elements", Element, "element"
    )
    missing = set(ElementId) - {e.id for e in elements}
    if missing:
        raise KnowledgeError(f"{elements_path}: elements missing: {', '.join(sorted(missing))}")

    profiles_path = rules_dir / "profiles.yaml"
    profiles = _validate_entries(
        profiles_path, _read_yaml(profiles_path), "profiles", Profile, "profile"
    )
    if len(profiles) != 8:
        raise KnowledgeError(f"{profiles_path}: expected the eight profiles, found {len(profiles)}")

    vocabulary = _load_vocabulary(rules_dir / "vocabulary.yaml")

    signals_path = rules_dir / "signals.yaml"
    signals_raw = _read_yaml(signals_path)
    signals = {
        s.id: s
        for s in _validate_entries(signals_path, signals_raw, "signals", SignalDef, "signal")
    }
    helplines = frozenset(
        value.casefold()
        for h in _validate_entries(signals_path, signals_raw, "helplines", Contact, "helpline")
        for value in (h.name, h.phone)
        if value
    )

    gaps_path = rules_dir / "gaps.yaml"
    gaps = {
        g.id: g for g in _validate_entries(gaps_path, _read_yaml(gaps_path), "gaps", GapDef, "gap")
    }

    services_path = rules_dir / "services.yaml"
    services_raw = _read_yaml(services_path)
    services = _validate_entries(services_path, services_raw, "services", ServiceDef, "service")
    search_url = services_raw.get("search_url") if isinstance(services_raw, dict) else None
    if not isinstance(search_url, str) or "{query}" not in search_url:
        raise KnowledgeError(f"{services_path}: field 'search_url': needs a {{query}} placeholder")

    client_path = rules_dir / "client.yaml"
    client_texts = {
        c.id: c.text
        for c in _validate_entries(
            client_path, _read_yaml(client_path), "client_texts", ClientText, "client text"
        )
    }
    missing_texts = set(ElementId) - set(client_texts)
    if missing_texts:
        raise KnowledgeError(
            f"{client_path}: client texts missing: {', '.join(sorted(missing_texts))}"
        )

    phrases_path = rules_dir / "phrases.yaml"
    phrases = {
        p.id: p.text
        for p in _validate_entries(
            phrases_path, _read_yaml(phrases_path), "phrases", Phrase, "phrase"
        )
    }
    missing_phrases = REQUIRED_PHRASES - set(phrases)
    if missing_phrases:
        raise KnowledgeError(
            f"{phrases_path}: phrases missing: {', '.join(sorted(missing_phrases))}"
        )

    profile_map = {p.id: p for p in profiles}
    rule_files = sorted((rules_dir / "rules").glob("*.yaml"))
    if not rule_files:
        raise KnowledgeError(f"{rules_dir / 'rules'}: no rule files")
    compiled: list[CompiledRule] = []
    seen: dict[str, str] = {}
    for path in rule_files:
        rules = _validate_entries(path, _read_yaml(path), "rules", Rule, "rule")
        for rule in rules:
            if rule.id in seen:
                raise KnowledgeError(
                    f"{path}: rule '{rule.id}': field 'id': already defined in {seen[rule.id]}"
                )
            seen[rule.id] = path.name
        compiled.extend(_compile_rules(path, rules, signals, profile_map))

    return Knowledge(
        elements={e.id: e for e in elements},
        profiles=profile_map,
        vocabulary=vocabulary,
        signals=signals,
        rules=tuple(compiled),
        gaps=gaps,
        services=tuple(services),
        service_search_url=search_url,
        client_texts=client_texts,
        helplines=helplines,
        phrases=phrases,
        element_order={e.id: n for n, e in enumerate(elements)},
    )
