"""The intake wizard's answers: read from the URL, validated per step, messages in Dutch.

Answers live only in the query string and in the forms of the pages (never stored
server-side unless the user explicitly saves an anonymous record).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from annotated_types import MaxLen

from app.core.i18n import gettext_ as _
from app.domain.intake import AGE_BANDS, CHRONIC_FROM_MONTHS, Intake, age_group_for
from app.domain.places import Municipality, load_places, normalize
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
from app.web.dates import duration_words

DJG6_FIELDS = tuple(f"djg6_{n}" for n in range(1, 7))
MULTI_FIELDS = ("dimensions", "risk_factors", "crisis_signs")


@dataclass(frozen=True)
class Step:
    id: str
    fields: tuple[str, ...]
    required: tuple[str, ...] = ()


STEPS: tuple[Step, ...] = (
    # Safety comes first (DOMAIN.md §2): the crisis signs open the intake, before the age.
    # The age group is required unless the age is given; _context_errors checks that.
    Step("context", ("crisis_signs", "age", "age_group", "municipality")),
    Step(
        "questions",
        ("problem_nature", "wants_contact", "coping"),
        ("problem_nature", "wants_contact", "coping"),
    ),
    Step("course", ("duration_months", "course")),
    Step("dimensions", ("dimensions", "socially_isolated")),
    Step("risks", ("risk_factors",)),
    Step("scale", DJG6_FIELDS),
    Step("review", ()),
)
STEP_IDS = tuple(s.id for s in STEPS)
STEP_BY_ID = {s.id: s for s in STEPS}
ALL_FIELDS = tuple(f for s in STEPS for f in s.fields)

CHOICES: dict[str, frozenset[str]] = {
    "age_group": frozenset({"", *(a.value for a in AgeGroup)}),
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
MAX_AGE = 120
MAX_SUGGESTIONS = 5
_DIGITS = re.compile(r"\d+")
# Whole numbers as typed on a Western keyboard: str.isdigit() also accepts "²" and "١",
# which int() then refuses, and a few digits are all an age or a duration needs.
_ASCII_NUMBER = re.compile(r"[0-9]{1,6}")
# Any character a database cannot store (PostgreSQL refuses NUL in text).
_NUL = "\x00"


def whole_number(text: str) -> int | None:
    """The number in `text` if it is 1 to 6 ASCII digits, else None."""
    return int(text) if _ASCII_NUMBER.fullmatch(text) else None


def _most(field: str) -> int:
    """How many values the Intake accepts for a list answer (its max_length)."""
    for meta in Intake.model_fields[field].metadata:
        if isinstance(meta, MaxLen):
            return int(meta.max_length)
    return len(CHOICES[field])


@dataclass(frozen=True)
class Answers:
    """The raw answers as given (kept verbatim so that nothing typed is lost)."""

    values: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Answers:
        collected: dict[str, list[str]] = {}
        for key, value in pairs:
            if key not in ALL_FIELDS:
                continue
            value = value.replace(_NUL, "").strip()[:200]
            values = collected.setdefault(key, [])
            # A repeated choice ("crisis_signs=x&crisis_signs=x") means the same as once.
            if key not in MULTI_FIELDS or value not in values:
                values.append(value)
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


def _question_name(field: str) -> str:
    """A short name of the question a field answers, that starts its error message: each
    line of the error summary then says which question it is about, also when several
    get the same message (six scale items left open, two lists with a value not offered)."""
    if field in DJG6_FIELDS:
        return _("Uitspraak {n}").format(n=DJG6_FIELDS.index(field) + 1)
    names = {
        "crisis_signs": _("Veiligheid"),
        "age_group": _("Leeftijdsgroep"),
        "problem_nature": _("Vraag 1"),
        "wants_contact": _("Vraag 2"),
        "coping": _("Vraag 3"),
        "course": _("Verloop"),
        "dimensions": _("Dimensies"),
        "socially_isolated": _("Sociaal isolement"),
        "risk_factors": _("Risicofactoren"),
    }
    return names.get(field, field)


def _about(field: str, message: str) -> str:
    """An error message that starts with its question (_question_name)."""
    return _("{question}: {message}").format(question=_question_name(field), message=message)


def _missing_answer(field: str) -> str:
    """What to do about a required question left open (three times "choose an answer" in
    the summary did not say which answer was missing)."""
    if field == "problem_nature":
        return _("kies of de problematiek situationeel of structureel is.")
    if field == "wants_contact":
        return _("kies of de persoon nieuwe contacten wil opbouwen.")
    if field == "coping":
        return _("kies of de persoon daar zelf actief aan kan (mee)werken.")
    return _("kies een antwoord.")


def _step_errors(answers: Answers, step: Step) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field in step.fields:
        if field in MULTI_FIELDS:
            chosen = answers.getlist(field)
            if any(v not in CHOICES[field] for v in chosen):
                errors[field] = _about(field, _("kies alleen uit de aangeboden mogelijkheden."))
            elif len(set(chosen)) > _most(field):
                most = _("kies hoogstens {n} mogelijkheden.").format(n=_most(field))
                errors[field] = _about(field, most)
            continue
        value = answers.get(field)
        if field in step.required and not value:
            errors[field] = _about(field, _missing_answer(field))
        elif field == "duration_months":
            months = whole_number(value)
            if value and months is None:
                errors[field] = _("Geef de duur als een geheel aantal maanden (0 of meer).")
            elif months is not None and months > MAX_DURATION:
                errors[field] = _("Geef een duur van hoogstens 1200 maanden (100 jaar).")
        elif field in CHOICES and value not in CHOICES[field]:
            errors[field] = _about(field, _("kies een van de aangeboden antwoorden."))
    if step.id == "context":
        errors.update(_context_errors(answers, errors))
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
                    errors[f] = _about(
                        f, _("beantwoord alle zes uitspraken, of laat de schaal helemaal leeg.")
                    )
    return errors


def _context_errors(answers: Answers, found: Mapping[str, str]) -> dict[str, str]:
    """Age, age group and municipality: their checks depend on each other and on the places."""
    errors: dict[str, str] = {}
    age_text, group = answers.get("age"), answers.get("age_group")
    age = parse_age(age_text)
    if age_text and age is None:
        errors["age"] = _("Leeftijd: geef een geheel aantal jaren, van 0 tot en met 120.")
    elif not group and not age_text and "age_group" not in found:
        errors["age_group"] = _("Kies een leeftijdsgroep, of geef de leeftijd in jaren.")
    elif age is not None and group in CHOICES["age_group"] and group:
        derived = age_group_for(age)
        if derived.value != group:
            errors["age_group"] = _(
                "Leeftijd en leeftijdsgroep spreken elkaar tegen: {age} jaar hoort bij "
                "{group}. Pas een van beide aan, of laat de leeftijdsgroep leeg."
            ).format(age=age, group=age_group_name(derived))
    check = check_municipality(answers.get("municipality"))
    if check.error:
        errors["municipality"] = check.error
    return errors


def parse_age(text: str) -> int | None:
    """The age in whole years, or None when empty or not a number from 0 to 120."""
    age = whole_number(text)
    return age if age is not None and age <= MAX_AGE else None


def age_range(group: AgeGroup) -> str:
    """The ages of a group as shown beside it ("26–59 jaar", "60 jaar of ouder")."""
    for band, low, high in AGE_BANDS:
        if band is group:
            if high is None:
                return _("{low} jaar of ouder").format(low=low)
            return _("{low}–{high} jaar").format(low=low, high=high)
    raise ValueError(f"no age band for {group}")


def age_group_name(group: AgeGroup) -> str:
    """The group with its ages, inside a sentence ("volwassenen (26–59 jaar)")."""
    names = {
        AgeGroup.children: _("kinderen"),
        AgeGroup.youth: _("jongeren"),
        AgeGroup.young_adults: _("jongvolwassenen"),
        AgeGroup.adults: _("volwassenen"),
        AgeGroup.older: _("ouderen"),
    }
    return f"{names[group]} ({age_range(group)})"


def derived_age_group(answers: Answers) -> AgeGroup | None:
    """The age group as chosen, or else as it follows from the age; None if neither is known."""
    group = answers.get("age_group")
    if group in {a.value for a in AgeGroup}:
        return AgeGroup(group)
    age = parse_age(answers.get("age"))
    return age_group_for(age) if age is not None else None


def join_or(names: Sequence[str]) -> str:
    """A list in a sentence: "Gent, Genk of Geel"."""
    if len(names) < 2:
        return "".join(names)
    return _("{first} of {last}").format(first=", ".join(names[:-1]), last=names[-1])


@dataclass(frozen=True)
class PlaceCheck:
    """What a typed municipality turns out to be: the place, a note about it, or an error."""

    place: Municipality | None = None
    notice: str | None = None
    error: str | None = None
    suggestions: tuple[Municipality, ...] = ()


def read_municipality(
    values: dict[str, str], errors: dict[str, str], notices: list[str]
) -> Municipality | None:
    """A form's `municipality` field checked in place: the official name written back into
    `values`, a message added to `errors` or a note to `notices`; the place, if found."""
    check = check_municipality(values.get("municipality", ""))
    if check.error:
        errors["municipality"] = check.error
    elif check.place is not None:
        values["municipality"] = check.place.name
        if check.notice:
            notices.append(check.notice)
    return check.place


def check_municipality(text: str) -> PlaceCheck:
    """Look a typed municipality (name, former name, postcode) up in the list of places."""
    text = " ".join(text.split())
    if not text:
        return PlaceCheck()
    if len(text) > MAX_MUNICIPALITY:
        return PlaceCheck(error=_("Gemeente: typ hoogstens 80 tekens."))
    places = load_places()
    place = places.find(text)
    if place is None:
        suggestions = tuple(places.suggest(text, limit=MAX_SUGGESTIONS))
        if suggestions:
            error = _(
                "Gemeente: “{text}” staat niet in de lijst van Vlaamse en Brusselse "
                "gemeenten. Bedoelt u {names}?"
            ).format(text=text, names=join_or([m.name for m in suggestions]))
        else:
            error = _(
                "Gemeente: “{text}” staat niet in de lijst van Vlaamse en Brusselse "
                "gemeenten. Typ de naam of de postcode, of laat het veld leeg."
            ).format(text=text)
        return PlaceCheck(error=error, suggestions=suggestions)
    return PlaceCheck(place=place, notice=_place_notice(text, place))


def _place_notice(text: str, place: Municipality) -> str | None:
    """Why the name kept differs from what was typed (a merger, a postcode, a French name)."""
    if whole_number(text) is not None:
        return _("Postcode {code} hoort bij {name}.").format(code=text, name=place.name)
    # "2440 Geel" and "Geel (2440)": compare the letters only.
    letters = normalize(_DIGITS.sub(" ", text))
    if letters == normalize(place.name):
        return None
    for former in place.former:
        if normalize(former) == letters:
            return _("{former} hoort sinds 2025 bij {name}.").format(former=former, name=place.name)
    for other in place.other_names:
        if normalize(other) == letters:
            return _("{other} heet in het Nederlands {name}.").format(other=other, name=place.name)
    # Found by a postcode typed beside a name that is not known ("9000 Gnet").
    return _("We gebruiken de officiële naam: {name}.").format(name=place.name)


def normalise_answers(answers: Answers) -> tuple[Answers, str | None]:
    """Answers with the municipality's current official name, and a note when it changed."""
    typed = answers.get("municipality")
    check = check_municipality(typed)
    if check.place is None or check.place.name == typed:
        return answers, None
    return answers.replace(municipality=check.place.name), check.notice


def course_warnings(answers: Answers) -> list[str]:
    """Where the duration disagrees with the course or the nature of the problem.

    Not errors: the worker may know better, but should look again, because chronic and
    transient loneliness call for different approaches (Eccles & Qualter, 2021).
    """
    months = whole_number(answers.get("duration_months"))
    if months is None or months > MAX_DURATION:
        return []
    long = months >= CHRONIC_FROM_MONTHS
    course, nature = answers.get("course"), answers.get("problem_nature")
    warnings = []
    if long and course == Course.transient:
        warnings.append(
            _("U koos voorbijgaande eenzaamheid, maar ze duurt al {months}.").format(
                months=duration_words(months)
            )
        )
    if not long and course == Course.chronic:
        warnings.append(
            _("U koos chronische eenzaamheid, maar ze duurt pas {months}.").format(
                months=duration_words(months)
            )
        )
    if not long and nature == ProblemNature.structural:
        warnings.append(
            _(
                "De problematiek is structureel (al jaren), maar de eenzaamheid duurt pas {months}."
            ).format(months=duration_words(months))
        )
    if long and nature == ProblemNature.situational:
        warnings.append(
            _(
                "De problematiek is situationeel (recent), maar de eenzaamheid duurt al {months}."
            ).format(months=duration_words(months))
        )
    return warnings


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
    answers, _notice = normalise_answers(answers)
    djg6 = [answers.get(f) for f in DJG6_FIELDS]
    duration = answers.get("duration_months")
    isolated = answers.get("socially_isolated")
    data: dict[str, object] = {
        # Empty when the age is given: the Intake derives the group from the age.
        "age_group": answers.get("age_group") or None,
        "age": parse_age(answers.get("age")),
        "problem_nature": answers.get("problem_nature"),
        "wants_contact": answers.get("wants_contact") == "true",
        "coping": answers.get("coping"),
        "course": answers.get("course") or None,
        "duration_months": whole_number(duration) if duration else None,
        "dimensions": _distinct(answers.getlist("dimensions")),
        "socially_isolated": None if not isolated else isolated == "true",
        "risk_factors": _distinct(answers.getlist("risk_factors")),
        "djg6": djg6 if all(djg6) else None,
        "municipality": answers.get("municipality") or None,
        "crisis_signs": _distinct(answers.getlist("crisis_signs")),
    }
    return Intake.model_validate(data)


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def neighbours(step_id: str) -> tuple[str | None, str | None]:
    i = STEP_IDS.index(step_id)
    prev = STEP_IDS[i - 1] if i > 0 else None
    nxt = STEP_IDS[i + 1] if i + 1 < len(STEP_IDS) else None
    return prev, nxt
