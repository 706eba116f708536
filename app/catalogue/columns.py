"""The exchange format as people fill it in: Dutch or English column names, and for the
coded columns an id or its Dutch or English label.

One place for the template, the codebook page and the parser: the column table below is
the only list of Dutch column names, and every id with its labels comes from the
vocabulary (rules/vocabulary.yaml, rules/elements.yaml) through the Knowledge object, so
the codebook cannot drift from what the parser accepts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from app.advice.knowledge import Knowledge, Text, load_knowledge
from app.core.config import get_settings
from app.core.i18n import gettext_ as _
from app.domain.vocabulary import INITIATIVE_FACETS, SINGLE_VALUED_FACETS, ElementId

Kind = Literal["text", "one", "many", "website", "phone", "email", "date"]


@dataclass(frozen=True)
class Column:
    """One column of the exchange format (DOMAIN.md §6)."""

    name: str  # the English name, as the export writes it
    dutch: str  # the name in the template
    kind: Kind
    required: bool = False


# English name → Dutch name, in the order of the export (csvio.ALL_COLUMNS).
COLUMN_TABLE: tuple[Column, ...] = (
    Column("name", "Naam", "text", required=True),
    Column("description", "Beschrijving", "text"),
    Column("goal", "Doel", "text"),
    Column("website", "Website", "website"),
    Column("municipality", "Gemeente", "text"),
    Column("postcode", "Postcode", "text"),
    Column("geographic_level", "Geografisch niveau", "one"),
    Column("primary_actor", "Primaire actor", "one"),
    Column("partners", "Partners", "text"),
    Column("elements", "Werkzame elementen", "many"),
    Column("prevention_levels", "Preventieniveaus", "many"),
    Column("dimensions", "Dimensies", "many"),
    Column("age_groups", "Leeftijdsgroepen", "many"),
    Column("course", "Verloop", "many"),
    Column("risk_factors", "Risicofactoren", "many"),
    Column("approach", "Type aanpak", "many"),
    Column("effect_ladder", "Effectladder", "one"),
    Column("evaluation", "Evaluatie", "text"),
    Column("phone", "Telefoon", "phone"),
    Column("email", "E-mail", "email"),
    Column("address", "Adres", "text"),
    Column("last_verified", "Laatst nagekeken", "date"),
)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMN_TABLE}
MULTI_SEPARATOR = ";"


# A file repeats the same few ids and labels in every row: each is normalised once.
@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """For comparing what people type: no accents, case, underscores, hyphens or extra
    spaces ("Leeftijds-groepen", "leeftijdsgroepen" and "LEEFTIJDSGROEPEN" are equal)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[_\-‐‑–]", " ", plain).split())


# Every header a file may use for a column: its English and its Dutch name, normalised.
HEADERS: dict[str, str] = {
    normalise(alias): c.name for c in COLUMN_TABLE for alias in (c.name, c.dutch)
}


def column_for(header: str) -> str | None:
    """The (English) column a header names, in either language; None if unknown."""
    return HEADERS.get(normalise(header))


def dutch_name(column: str) -> str:
    """The Dutch name of a column (the English name if it has none)."""
    col = BY_NAME.get(column)
    return col.dutch if col else column


def column_meanings() -> dict[str, str]:
    """What each column holds, in the UI language."""
    return {
        "name": _("De naam van het initiatief."),
        "description": _("Wat het initiatief doet, in enkele zinnen."),
        "goal": _("Wat het initiatief wil bereiken."),
        "website": _("Het webadres, beginnend met https:// of http://."),
        "municipality": _("De gemeente waar het initiatief gevestigd is."),
        "postcode": _("De postcode van die gemeente."),
        "geographic_level": _("Voor welk gebied het initiatief werkt."),
        "primary_actor": _("Wie het initiatief vooral draagt."),
        "partners": _("Organisaties die meewerken, in vrije tekst."),
        "elements": _("De werkzame elementen die het initiatief inzet."),
        "prevention_levels": _(
            "Voor wie: de algemene bevolking, risicogroepen of wie al eenzaam is."
        ),
        "dimensions": _("Welke soort eenzaamheid het initiatief aanpakt."),
        "age_groups": _("Op welke leeftijdsgroepen het initiatief zich richt."),
        "course": _("Of het initiatief voorbijgaande of chronische eenzaamheid aanpakt."),
        "risk_factors": _("Op welke risicogroepen het initiatief zich richt."),
        "approach": _("Hoe deelnemers ermee aan de slag gaan."),
        "effect_ladder": _("Hoe goed onderbouwd of geëvalueerd het initiatief is."),
        "evaluation": _("Hoe het initiatief geëvalueerd werd, in vrije tekst."),
        "phone": _("Een telefoonnummer voor doorverwijzing."),
        "email": _("Een e-mailadres voor doorverwijzing."),
        "address": _("Het adres waar men terechtkan."),
        "last_verified": _("Wanneer deze gegevens laatst nagekeken werden."),
    }


def how_to_fill(column: Column) -> str:
    """How to fill a column's cells, in the UI language."""
    return {
        "text": _("Vrije tekst."),
        "one": _("Eén waarde uit de lijst hieronder (label of code)."),
        "many": _(
            "Eén of meer waarden uit de lijst hieronder (label of code), gescheiden door een "
            "puntkomma (;)."
        ),
        "website": _("Eén webadres."),
        "phone": _("Cijfers, spaties en + . / ( ) -."),
        "email": _("Eén e-mailadres."),
        "date": _("Een datum als JJJJ-MM-DD (bv. 2025-03-01) of DD/MM/JJJJ; niet in de toekomst."),
    }[column.kind]


@dataclass(frozen=True)
class Code:
    """One id of a coded column with its labels and (optional) explanation."""

    id: str
    nl: str
    en: str
    description_nl: str | None = None
    description_en: str | None = None

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl

    def description(self, lang: str) -> str | None:
        return self.description_en if lang == "en" else self.description_nl


def _aliases(label: str) -> Iterable[str]:
    """A label and its short forms: without a closing "(…)" ("Ouderen (60+)" → "Ouderen")
    and before a colon ("Niveau 2: logisch onderbouwd" → "Niveau 2")."""
    yield label
    short = re.sub(r"\s*\([^()]*\)\s*$", "", label)
    if short and short != label:
        yield short
    head = label.split(":", 1)[0]
    if head != label:
        yield head


@dataclass(frozen=True)
class Codebook:
    """Every coded column's ids with their labels, and what a cell may say for each."""

    codes: Mapping[str, tuple[Code, ...]]
    # column → normalised text → id; filled by from_knowledge
    lookup: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Codebook:
        """The codebook of the vocabulary the app runs with."""
        codes: dict[str, tuple[Code, ...]] = {}
        for column, enum in INITIATIVE_FACETS.items():
            entries = []
            for member in enum:
                desc: Text | None
                if column == "elements":
                    el = knowledge.elements[ElementId(member.value)]
                    label, desc = el.label, el.description
                else:
                    entry = knowledge.vocabulary.get(column, {}).get(member.value)
                    if entry is None:
                        entries.append(Code(member.value, member.value, member.value))
                        continue
                    label, desc = entry.label, entry.description
                entries.append(
                    Code(
                        member.value,
                        label.get("nl"),
                        label.get("en"),
                        desc.get("nl") if desc else None,
                        desc.get("en") if desc else None,
                    )
                )
            codes[column] = tuple(entries)
        return cls(codes, {c: _lookup(entries) for c, entries in codes.items()})

    def resolve(self, column: str, text: str) -> str | None:
        """The id a cell value stands for: the id itself or a Dutch or English label (or
        its short form), ignoring case, accents and spacing; None if it is none of them."""
        return self.lookup[column].get(normalise(text))

    def labels(self, column: str, lang: str) -> list[str]:
        """The labels of a column's ids, in the given language."""
        return [c.label(lang) for c in self.codes[column]]

    def label(self, column: str, id_: str, lang: str = "nl") -> str:
        for code in self.codes[column]:
            if code.id == id_:
                return code.label(lang)
        return id_


def _lookup(entries: Iterable[Code]) -> dict[str, str]:
    """normalised text → id. Ids win over Dutch labels, those over English labels, those
    over short forms; a text that would stand for two ids at the same level stands for none."""
    found: dict[str, str] = {}
    levels: list[list[tuple[str, str]]] = [[], [], [], []]
    for c in entries:
        levels[0].append((c.id, c.id))
        levels[1].append((c.nl, c.id))
        levels[2].append((c.en, c.id))
        levels[3].extend((alias, c.id) for label in (c.nl, c.en) for alias in _aliases(label))
    for level in levels:
        candidates: dict[str, set[str]] = {}
        for text, id_ in level:
            candidates.setdefault(normalise(text), set()).add(id_)
        for key, ids in candidates.items():
            if key not in found and len(ids) == 1:
                found[key] = next(iter(ids))
    return found


@lru_cache(maxsize=1)
def default_codebook() -> Codebook:
    """The codebook of the rules directory in the settings (for the command-line import,
    which runs without the app's Knowledge object)."""
    return Codebook.from_knowledge(load_knowledge(get_settings().rules_dir))


# The example row of the template: ids, shown as their Dutch labels.
EXAMPLE_CODES: dict[str, tuple[str, ...]] = {
    "geographic_level": ("local",),
    "primary_actor": ("local_government",),
    "elements": ("meeting", "social_activities"),
    "prevention_levels": ("secondary",),
    "dimensions": ("social",),
    "age_groups": ("older",),
    "course": ("transient",),
    "risk_factors": ("living_alone", "older_age"),
    "approach": ("organised",),
    "effect_ladder": ("1",),
}


def example_row(codebook: Codebook, today: date) -> dict[str, str]:
    """One filled-in row for the template, with Dutch labels for the coded columns."""
    row = {
        "name": "Praatcafé De Brug (voorbeeld: vervang deze rij)",
        "description": "Elke dinsdagnamiddag een open ontmoetingsmoment in het "
        "dienstencentrum, met koffie en een vrijwilliger die nieuwkomers verwelkomt.",
        "goal": "Alleenwonende ouderen uit de buurt leren elkaar kennen.",
        "website": "https://www.example.be/praatcafe",
        "municipality": "Geel",
        "postcode": "2440",
        "partners": "Dienstencentrum, vrijwilligers van de buurt",
        "evaluation": "Tevredenheidsbevraging bij de deelnemers",
        "phone": "014 12 34 56",
        "email": "praatcafe@example.be",
        "address": "Markt 1, 2440 Geel",
        "last_verified": today.replace(day=1).isoformat(),
    }
    for column, ids in EXAMPLE_CODES.items():
        row[column] = f"{MULTI_SEPARATOR} ".join(codebook.label(column, i) for i in ids)
    return row


def is_single(column: str) -> bool:
    return column in SINGLE_VALUED_FACETS
