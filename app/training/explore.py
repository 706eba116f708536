"""Trainers explore the advice: the eight profiles, intakes side by side, a projector view.

Everything here runs the engine on fictional training cases (data/personas.yaml); the
state of a comparison is persona ids and a few what-if answers, never a full intake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from app.advice.compare import AdviceDiff, compare
from app.advice.engine import advise
from app.advice.knowledge import Knowledge, Profile
from app.advice.models import Advice
from app.catalogue.records import InitiativeRecord
from app.core.i18n import gettext_ as _
from app.domain.intake import Intake
from app.domain.vocabulary import AgeGroup, Coping, Course, ProblemNature
from app.training.personas import Persona
from app.web.dates import duration_words
from app.web.plan import scale_words

# --- The eight profiles -----------------------------------------------------------------

# The profile overview runs every profile on the same plain intake, so what differs between
# the eight plans comes from the three answers alone (and the course they imply when none
# is given: structural problems count as chronic, DOMAIN.md §2).
PROFILE_BASE_INTAKE: dict[str, Any] = {"age_group": AgeGroup.adults.value}
# How many plan elements and offers the trainer pages show.
TOP_ELEMENTS = 5

QUESTIONS = ("problem_nature", "wants_contact", "coping")


def need_word(wants_contact: bool) -> str:
    return "need" if wants_contact else "no_need"


def profile_answers(profile_id_: str) -> dict[str, str]:
    """The three answers of a profile id, as the compare page's what-if values."""
    nature, need, coping = profile_id_.split("-")
    return {"problem_nature": nature, "wants_contact": need, "coping": coping}


@dataclass(frozen=True)
class Neighbour:
    """The profile that differs in one answer, and a comparison of the two."""

    question: str
    profile_id: str
    compare_url: str | None


@dataclass(frozen=True)
class ProfileView:
    profile: Profile
    advice: Advice  # of the base intake with this profile's three answers
    personas: list[Persona]
    neighbours: list[Neighbour]


def flip(profile: Profile, question: str) -> str:
    """The id of the profile that differs from `profile` in the answer to `question`."""
    nature, wants, coping = (
        profile.problem_nature.value,
        profile.wants_contact,
        profile.coping.value,
    )
    if question == "problem_nature":
        nature = "structural" if nature == "situational" else "situational"
    elif question == "wants_contact":
        wants = not wants
    else:
        coping = "passive" if coping == "active" else "active"
    return f"{nature}-{need_word(wants)}-{coping}"


def profile_overview(
    knowledge: Knowledge, personas: Sequence[Persona], lang: str
) -> list[ProfileView]:
    """Each profile in the rules with its advice on the base intake and its personas."""
    views = []
    for profile in knowledge.profiles.values():
        intake = Intake(
            **PROFILE_BASE_INTAKE,
            problem_nature=profile.problem_nature,
            wants_contact=profile.wants_contact,
            coping=profile.coping,
        )
        own = [p for p in personas if p.profile_id == profile.id]
        neighbours = []
        for question in QUESTIONS:
            other = flip(profile, question)
            url = None
            if own:
                # The same persona twice; the second answers the one question otherwise.
                changed = {question: profile_answers(other)[question]}
                url = compare_url([(own[0].id, {}), (own[0].id, changed)])
            neighbours.append(Neighbour(question, other, url))
        views.append(ProfileView(profile, advise(intake, knowledge, lang=lang), own, neighbours))
    return views


# --- Compare ----------------------------------------------------------------------------

COLUMNS = ("a", "b", "c")
# What a column may answer otherwise than its persona: id → allowed values. An empty value
# keeps the persona's own answer.
OVERRIDES: dict[str, tuple[str, ...]] = {
    "problem_nature": tuple(p.value for p in ProblemNature),
    "wants_contact": ("need", "no_need"),
    "coping": tuple(c.value for c in Coping),
    "course": tuple(c.value for c in Course),
    "dimension": ("social", "emotional", "existential", "collective"),
    "age_group": tuple(a.value for a in AgeGroup),
}


def compare_url(columns: Sequence[tuple[str, Mapping[str, str]]]) -> str:
    """The address of a comparison: persona ids and what-if answers only."""
    pairs: list[tuple[str, str]] = []
    for key, (persona_id, overrides) in zip(COLUMNS, columns, strict=False):
        pairs.append((key, persona_id))
        pairs.extend(
            (f"{key}_{name}", overrides[name]) for name in OVERRIDES if overrides.get(name)
        )
    return "/training/vergelijk?" + urlencode(pairs)


@dataclass
class Column:
    key: str  # a, b or c
    persona_id: str = ""
    overrides: dict[str, str] = field(default_factory=dict)
    persona: Persona | None = None
    advice: Advice | None = None
    diff: AdviceDiff | None = None  # from the first column's advice

    @property
    def label(self) -> str:
        return self.key.upper()


@dataclass
class Comparison:
    columns: list[Column]  # every column of the form, filled in or not
    errors: list[str]

    @property
    def shown(self) -> list[Column]:
        """The columns with an advice, in order."""
        return [c for c in self.columns if c.advice is not None]

    @property
    def url(self) -> str:
        return compare_url([(c.persona_id, c.overrides) for c in self.columns if c.persona])


def _override_intake(persona: Persona, overrides: Mapping[str, str]) -> Intake:
    data = dict(persona.intake)
    for name, value in overrides.items():
        if name == "wants_contact":
            data["wants_contact"] = value == "need"
        elif name == "dimension":
            data["dimensions"] = [value]
        elif name == "age_group":
            # The age group replaces the age, which would otherwise have to agree with it.
            data.pop("age", None)
            data["age_group"] = value
            if value != AgeGroup.older.value and "older_age" in data.get("risk_factors", []):
                data["risk_factors"] = [r for r in data["risk_factors"] if r != "older_age"]
        else:
            data[name] = value
    return Intake.model_validate(data)


def _override_name(name: str) -> str:
    return {
        "problem_nature": _("aard van het probleem"),
        "wants_contact": _("behoefte aan contact"),
        "coping": _("copingstijl"),
        "course": _("verloop"),
        "dimension": _("dimensie"),
        "age_group": _("leeftijdsgroep"),
    }[name]


def read_comparison(
    query: Mapping[str, str],
    personas: Mapping[str, Persona],
    knowledge: Knowledge,
    catalogue: Sequence[InitiativeRecord],
    lang: str,
) -> Comparison:
    """The columns a query asks for; what is invalid is left out with a Dutch message."""
    errors: list[str] = []
    columns = []
    for key in COLUMNS:
        column = Column(key)
        columns.append(column)
        wanted = (query.get(key) or "").strip()
        for name, allowed in OVERRIDES.items():
            value = (query.get(f"{key}_{name}") or "").strip()
            if not value:
                continue
            if value in allowed:
                column.overrides[name] = value
            else:
                errors.append(
                    _(
                        "Kolom {column}: ‘{value}’ is geen geldige keuze voor {field}; "
                        "die keuze is weggelaten."
                    ).format(column=column.label, value=value[:40], field=_override_name(name))
                )
        if not wanted:
            continue
        persona = personas.get(wanted)
        if persona is None:
            errors.append(
                _(
                    "Kolom {column}: er is geen persona ‘{value}’. Kies een persona uit de lijst."
                ).format(column=column.label, value=wanted[:40])
            )
            continue
        column.persona_id, column.persona = persona.id, persona
        try:
            intake = _override_intake(persona, column.overrides)
        except ValidationError:
            errors.append(
                _(
                    "Kolom {column}: deze combinatie van antwoorden is geen geldige intake; "
                    "de persona wordt zonder wijzigingen getoond."
                ).format(column=column.label)
            )
            column.overrides = {}
            intake = Intake.model_validate(persona.intake)
        column.advice = advise(intake, knowledge, catalogue, lang=lang)
    shown = [c for c in columns if c.advice is not None]
    if shown:
        first = shown[0].advice
        assert first is not None
        for column in shown[1:]:
            assert column.advice is not None
            column.diff = compare(first, column.advice)
    return Comparison(columns, errors)


@dataclass(frozen=True)
class Preset:
    """A ready-made comparison from the issue: the same persona, one answer otherwise."""

    title: str
    persona_id: str
    first: dict[str, str]
    second: dict[str, str]

    @property
    def url(self) -> str:
        return compare_url([(self.persona_id, self.first), (self.persona_id, self.second)])


def presets(personas: Sequence[Persona]) -> list[Preset]:
    """The issue's three examples, on a persona that suits each (else the first one)."""
    if not personas:
        return []

    def pick(*wanted: str) -> Persona:
        for w in wanted:
            for p in personas:
                if p.profile_id.startswith(w) or w == p.id:
                    return p
        return personas[0]

    # Named after the persona: "the same person" did not say who.
    first, second = pick("situational-need"), pick("structural-need", "situational-need")
    return [
        Preset(
            _("{name} twee keer: voorbijgaand of chronisch").format(name=first.name),
            first.id,
            {"course": "transient"},
            {"course": "chronic"},
        ),
        Preset(
            _("{name} twee keer: sociale of emotionele eenzaamheid").format(name=first.name),
            first.id,
            {"dimension": "social"},
            {"dimension": "emotional"},
        ),
        Preset(
            _("{name} twee keer: wel of geen behoefte aan contact").format(name=second.name),
            second.id,
            {"wants_contact": "need"},
            {"wants_contact": "no_need"},
        ),
    ]


# --- Presentation -----------------------------------------------------------------------

# "(Machielse 2020)", "(Cacioppo et al. 2015; Masi et al. 2011)": a parenthesis holding a
# year. The projector view gathers sources on its last screen and leaves these out.
_CITATION = re.compile(r"\s*\([^()]*\b(?:19|20)\d\d[a-z]?\b[^()]*\)")


def strip_citations(text: str) -> str:
    """`text` without parenthesised citations (the sources go on the last slide)."""
    return _CITATION.sub("", text).strip()


AVOID_PER_SLIDE = 3


@dataclass(frozen=True)
class Slide:
    """One screen of the projector view."""

    kind: str  # story | intake | direction | plan | why | avoid | learning | sources
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""  # a smaller line under the slide's content


def _sources(*groups: Sequence[str]) -> list[str]:
    """Distinct sources, split at ';', in alphabetical order."""
    seen: dict[str, None] = {}
    for group in groups:
        for source in group:
            for part in source.split(";"):
                if part.strip():
                    seen.setdefault(part.strip(), None)
    return sorted(seen, key=str.casefold)


def presentation_slides(
    persona: Persona, advice: Advice, knowledge: Knowledge, lang: str
) -> list[Slide]:
    """Story → intake → direction → plan → why (one element a slide) → sources."""
    intake = persona.intake_model
    label = knowledge.label
    answers: list[tuple[str, str]] = [
        (_("Leeftijdsgroep"), label("age_groups", advice.age_group, lang)),
        (_("Aard van het probleem"), label("problem_nature", intake.problem_nature.value, lang)),
        (
            _("Behoefte aan contact"),
            label("wants_contact", str(intake.wants_contact).lower(), lang),
        ),
        (_("Copingstijl"), label("coping", intake.coping.value, lang)),
        (_("Verloop"), label("course", advice.course, lang)),
    ]
    if advice.dimensions:
        dims = ", ".join(label("dimensions", d, lang) for d in advice.dimensions)
        answers.append((_("Dimensies"), dims))
    risks = [r.value for r in intake.risk_factors if r.value != "none"]
    if risks:
        answers.append(
            (_("Risicofactoren"), ", ".join(label("risk_factors", r, lang) for r in risks))
        )
    if intake.socially_isolated is not None:
        answers.append((_("Sociaal geïsoleerd"), _("ja") if intake.socially_isolated else _("nee")))
    if intake.duration_months is not None:
        answers.append((_("Duur"), duration_words(intake.duration_months)))
    # The scale's total and band (never the item answers), as the persona page shows them:
    # a learning point may build on it (Kobe's six out of six).
    djg6 = advice.scales.get("djg6")
    if djg6:
        answers.append((_("Schaal van De Jong Gierveld"), scale_words(djg6)))

    slides = [
        Slide("story", f"{persona.name} – {persona.title}", paragraphs=list(persona.paragraphs)),
        Slide("intake", _("De intake"), pairs=answers),
        Slide(
            "direction",
            _("Profiel: {answers}").format(answers=" · ".join(v for _k, v in answers[1:4])),
            paragraphs=[strip_citations(advice.profile.direction)],
            # DOMAIN.md §2: the direction per profile is ours, not the workbook's.
            note=_(
                "Deze richting is een afleiding door dit project uit wat over de profielen "
                "publiek is, geen tekst uit het werkboek van Machielse & Ariaans."
            ),
        ),
        Slide("plan", _("Het plan"), items=[item.label for item in advice.plan_items]),
    ]
    for number, item in enumerate(advice.plan_items, start=1):
        slides.append(
            Slide(
                "why",
                _("{number}. {element}: waarom?").format(number=number, element=item.label),
                paragraphs=[strip_citations(item.why), item.client_text],
            )
        )
    # Few enough reasons a screen to read them from the back of the room.
    avoid = [
        (d.label, strip_citations(d.reasons[0].text) if d.reasons else "")
        for d in advice.discouraged
    ]
    parts = [avoid[i : i + AVOID_PER_SLIDE] for i in range(0, len(avoid), AVOID_PER_SLIDE)]
    for number, part in enumerate(parts, start=1):
        title = _("Liever niet voorstellen")
        if len(parts) > 1:
            title = f"{title} ({number}/{len(parts)})"
        slides.append(Slide("avoid", title, pairs=part))
    points = persona.learning_points
    if points:
        slides.append(
            Slide("learning", _("Leerpunten"), items=[strip_citations(p.text) for p in points])
        )
    slides.append(
        Slide(
            "sources",
            _("Bronnen"),
            items=_sources(
                advice.profile.sources,
                [item.source for item in advice.plan_items],
                [r.source for d in advice.discouraged for r in d.reasons[:1]],
                [p.source for p in points],
            ),
        )
    )
    return slides
