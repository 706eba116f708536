"""The catalogue as Open Referral HSDS 3.0: the whole mapping, in this one module (issue 11).

What becomes what
-----------------
One initiative (a row of the `initiative` table) gives:

- a **service**: name, description, url (website), email, status `active` (the table has
  no status yet; once curators archive records, an archived one should be left out or
  become `inactive`), `assured_date`
  (the date a person last checked the record, `last_verified`), `last_modified`
  (`updated_at`, UTC: moved by every edit, import, restore and verification) and a
  Dutch `eligibility_description` made from its age groups and risk factors;
- an **organization**. The catalogue records the *kind* of organisation that carries an
  initiative (`primary_actor`: CAW, lokaal bestuur, ...), not its name, and two initiatives
  of one CAW cannot be told to share an organisation. So every initiative gets an
  organisation of its own, named after the initiative, whose description says just that
  ("Organisatie achter het initiatief ..."), with the website of the initiative and the
  kind of actor as an attribute (taxonomy "Primaire actor"). Nothing is invented: a
  consumer sees that the organisation's own name is not known;
- where a municipality or a street address is known: a physical **location** named after
  the initiative and the place, and the **service_at_location** that links the service to
  it. A Flanders-wide initiative without an address has none. When the municipality is
  one of data/municipalities.csv (found by name, postcode, or a postcode in the address)
  the location has one **address**: `address_1` the address as recorded, or the
  municipality's name when only that is known (the field is required, and the name is
  true where a street would be made up); `city` the municipality's official name;
  `state_province` its province, "Brussels Hoofdstedelijk Gewest" for Brussels (no
  province); `region` Vlaanderen or Brussels Hoofdstedelijk Gewest; `postal_code` the
  recorded postcode, else the municipality's first (main) postcode; `country` BE. A place
  the file does not know gives no address (city, province and postcode are required);
  the location's name and description keep what was recorded;
- a **phone** where the catalogue has a number, a **contact** where it has an e-mail
  address (the address is also the service's `email`);
- **attributes** linking the service to a **taxonomy_term** for each id of its
  classification. There is one taxonomy per facet of the report's matrix (DOMAIN.md §5):
  the 22 potentially active elements (codes: the element ids themselves, Dutch names,
  short descriptions written for this export), prevention level, dimension, age group,
  course, risk factor, approach, effect ladder, geographic level, and primary actor (the
  last linked to the organisation). Taxonomy term codes must be unique in a dataset, and
  ids such as `unknown` or `leisure` recur in several facets, so the terms of the other
  facets have the code `<column>:<id>` (`age_groups:older`, `effect_ladder:3`). An
  attribute's `link_type` is that column name too.
- Three free-text fields have no place of their own in HSDS: goal, partners and
  evaluation. They are attributes with a `value`, under the terms of a small taxonomy
  "Beschrijvende gegevens" (codes `text:goal`, `text:partners`, `text:evaluation`).

Identifiers are UUID 5 of one fixed project namespace (NAMESPACE) and a name made of the
record's database id and, for a child row, a suffix (`initiative/12`,
`initiative/12/location`, `initiative/12/attribute/meeting`, ...); taxonomies and terms
take their facet and code (`taxonomy/elements`, `taxonomy_term/age_groups:older`). So
every export gives every record the same ids, and an id can be computed without a table.

Two forms: JSON, a list of services each with its related objects nested (the "full"
service of compiled/service.json), and the tabular form, a CSV data package (one CSV per
HSDS table plus datapackage.json) in a zip. Both read the database in batches
(EXPORT_BATCH rows), so a large catalogue does not sit in memory.

CSV cells go through the app's formula neutralising (csvio.neutralise), as every CSV it
writes; phone numbers, which hold only digits and + . / ( ) - and can therefore start no
function or link, are written as they are, so that "+32 ..." survives.

The API's queries (`services_page`) filter, count and page in the database. Its `search`
is that of /aanbod (app.catalogue.search, on the worker's catalogue snapshot): every word
somewhere in the name, goal or description, without regard to case or accents ("ÉÉN"
finds "één") on SQLite and PostgreSQL alike; `matching_ids` gives the ids, which the
database then filters, counts and pages with the other conditions. `modified_after`
compares `updated_at`, which a curator's verification moves too. `ServiceIndex` finds an
initiative by its service UUID (UUID 5 cannot be inverted: the ids are hashed once, about
0.4 s per 100 000).

Back from HSDS, for the curators' import preview: `services_from_json` and
`services_from_zip` read either form (the zip's tables are nested into services again),
and `service_to_row` maps one HSDS service (ours, or any with the same taxonomy codes or
term ids) to a row of the CSV exchange format (DOMAIN.md §6), saying what it had to leave
out; `services_to_csv` makes a whole exchange file that the CSV import parses as usual.
The curators' import preview (app.catalogue.import_preview) takes `services_to_rows`: the
same file with each service's problems structured (`ImportedRow.problems`: a taxonomy term
that is not one of ours, several terms of a single-valued facet), which the preview shows
as errors of that record and field (`hsds_field` names the field a column comes from).
A postcode that is only the municipality's main one (`filled_in_postcode`) is what the
export wrote for a record without a postcode: importing it back keeps that record's
postcode empty, so that export → import changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, TextIO
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Session

from app.advice.knowledge import Knowledge, load_knowledge
from app.catalogue.csvio import (
    ALL_COLUMNS,
    EXPORT_BATCH,
    SafeCsvWriter,
    neutralise,
    unneutralise,
)
from app.catalogue.models import Initiative
from app.catalogue.records import InitiativeRecord
from app.catalogue.search import search_index
from app.core.config import get_settings
from app.domain.places import BRUSSELS, Municipality, Places, load_places
from app.domain.vocabulary import INITIATIVE_FACETS, SINGLE_VALUED_FACETS, ElementId

HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://github.com/openreferral/specification/tree/3.0"
# Fixed for good: every UUID of the export derives from it. Never change it.
NAMESPACE = uuid.UUID("b5a86a2c-5df1-45be-afe5-bc594da2f871")
COUNTRY = "BE"
BRUSSELS_REGION = "Brussels Hoofdstedelijk Gewest"
POSTCODE_IN_TEXT = re.compile(r"\b(\d{4})\b")
FLANDERS = "Vlaanderen"

_TABLE = Initiative.__table__  # type: ignore[attr-defined]
# The columns the mapping reads (not the whole ORM object: the export stays light).
SOURCE_COLUMNS = (
    "id",
    *ALL_COLUMNS,
    "updated_at",
)

# ---------------------------------------------------------------------------------------
# Taxonomies


# The matrix facets, in the order of DOMAIN.md §5 after the elements: column, Dutch name,
# short Dutch description, the rules/vocabulary.yaml section, and what the term describes.
@dataclass(frozen=True)
class FacetSpec:
    column: str
    name: str
    description: str
    link_entity: str = "service"


FACET_SPECS: tuple[FacetSpec, ...] = (
    FacetSpec(
        "elements",
        "Werkzame elementen bij eenzaamheid",
        "De 22 (potentieel) werkzame elementen waarmee de Eenzaamheidswijzer initiatieven "
        "tegen eenzaamheid beschrijft (Thomas More, 2023).",
    ),
    FacetSpec(
        "prevention_levels",
        "Preventieniveau",
        "Voor wie het initiatief preventief werkt: de hele bevolking, risicogroepen of mensen "
        "die al eenzaam zijn (Crowe et al., 2022).",
    ),
    FacetSpec(
        "dimensions",
        "Dimensie van eenzaamheid",
        "Welke vorm van eenzaamheid of isolement het initiatief aanpakt.",
    ),
    FacetSpec("age_groups", "Leeftijdsgroep", "Voor welke leeftijden het initiatief bedoeld is."),
    FacetSpec(
        "course",
        "Verloop",
        "Of het initiatief zich richt op voorbijgaande of op chronische eenzaamheid.",
    ),
    FacetSpec(
        "risk_factors",
        "Risicofactor",
        "Voor welke groepen met een verhoogd risico op eenzaamheid het initiatief bedoeld is.",
    ),
    FacetSpec(
        "approach",
        "Type aanpak",
        "Of mensen het zelf aanpakken, met of zonder ondersteuning, of dat een organisatie "
        "het organiseert (de Jong Gierveld & van Tilburg, 2022).",
    ),
    FacetSpec(
        "effect_ladder",
        "Effectladder",
        "Hoe sterk de onderbouwing van het initiatief is, van impliciete kennis tot causale "
        "bewijskracht (van Yperen & Veerman, 2008).",
    ),
    FacetSpec(
        "geographic_level",
        "Geografisch niveau",
        "Op welke schaal het initiatief werkt: buurt, gemeente, regio of heel Vlaanderen.",
    ),
    FacetSpec(
        "primary_actor",
        "Primaire actor",
        "Het soort organisatie dat het initiatief in de eerste plaats draagt.",
        link_entity="organization",
    ),
)
TEXT_TAXONOMY = FacetSpec(
    "text",
    "Beschrijvende gegevens",
    "Vrije tekst uit de catalogus die in HSDS geen eigen veld heeft: doel, partners en "
    "evaluatie. De tekst staat in de value van het attribuut.",
)
# Free-text columns carried as attribute values: column → Dutch term name.
TEXT_FIELDS: dict[str, str] = {"goal": "Doel", "partners": "Partners", "evaluation": "Evaluatie"}

# Short descriptions of the elements for the taxonomy, written for this export (the
# longer ones with their sources are in rules/elements.yaml).
ELEMENT_DESCRIPTIONS: dict[ElementId, str] = {
    ElementId.mindfulness: "Met open aandacht en zonder oordeel stilstaan bij wat je nu "
    "beleeft, vaak in een groepstraject.",
    ElementId.social_cognitive_training: "Negatieve gedachten en verwachtingen over contact "
    "met anderen leren opmerken en bijsturen.",
    ElementId.social_support: "Zorgen dat iemand meer steun krijgt en ervaart van de mensen "
    "om zich heen.",
    ElementId.psychological_intervention: "Begeleiding door een psycholoog of therapeut, "
    "alleen of in groep.",
    ElementId.social_activities: "Mensen aanmoedigen om samen met anderen aan activiteiten "
    "deel te nemen.",
    ElementId.social_networks: "Helpen om nieuwe contacten en een netwerk op te bouwen, "
    "bijvoorbeeld in de buurt.",
    ElementId.psychoeducation: "Uitleg over eenzaamheid: wat het is, hoe het ontstaat en wat "
    "eraan te doen valt.",
    ElementId.social_skills: "Oefenen hoe je contact legt en relaties onderhoudt.",
    ElementId.skill_development: "Nieuwe vaardigheden leren, zoals omgaan met een computer of "
    "smartphone.",
    ElementId.occupation: "Een bezigheid of dagbesteding die de dag vult en structuur geeft.",
    ElementId.meeting: "Kansen om andere mensen te ontmoeten en met hen te praten.",
    ElementId.practical_support: "Hulp bij praktische zaken, zoals vervoer, boodschappen of "
    "papierwerk.",
    ElementId.meaningful_contact: "Contact dat voor iemand echt iets betekent, meer dan een "
    "vluchtige ontmoeting.",
    ElementId.realistic_expectations: "Verwachtingen over relaties en contact bijstellen tot "
    "wat haalbaar is.",
    ElementId.meaningful_role: "Een rol opnemen die voor anderen telt, bijvoorbeeld als "
    "vrijwilliger.",
    ElementId.digital_technology: "Digitale middelen, zoals apps of videobellen, om contact te "
    "houden of steun te vinden.",
    ElementId.befriending: "Een vaste vrijwilliger of buddy die geregeld langskomt of samen "
    "iets onderneemt.",
    ElementId.animal_assisted: "Omgaan met of zorgen voor dieren, als steun of als aanleiding "
    "tot contact.",
    ElementId.leisure: "Vrijetijdsbesteding zoals sport, cultuur of een hobby.",
    ElementId.health_welfare_care: "Hulp vanuit de gezondheidszorg en de welzijnssector.",
    ElementId.detection_referral: "Eenzaamheid opmerken en iemand naar passende hulp of "
    "passend aanbod leiden.",
    ElementId.other: "Andere elementen, zoals sensibilisering, vorming en samenwerking tussen "
    "organisaties.",
}


def _uuid_text(digest: bytes) -> str:
    """UUID 5 text from a SHA-1 digest (as uuid.uuid5 makes it, without its objects)."""
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = raw.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


_NAMESPACE_SHA1 = hashlib.sha1(NAMESPACE.bytes, usedforsecurity=False)


def make_uuid(name: str) -> str:
    """The UUID 5 of `name` in the project's namespace, as text (== uuid.uuid5)."""
    h = _NAMESPACE_SHA1.copy()
    h.update(name.encode("utf-8"))
    return _uuid_text(h.digest())


def service_uuid(initiative_id: int) -> str:
    return make_uuid(f"initiative/{initiative_id}")


def child_uuid(initiative_id: int, suffix: str) -> str:
    """The id of a row that belongs to one initiative (`location`, `attribute/meeting`)."""
    return make_uuid(f"initiative/{initiative_id}/{suffix}")


class _RecordIds:
    """The UUIDs of one initiative's rows; the hash of the shared prefix is made once."""

    __slots__ = ("_prefix", "service")

    def __init__(self, initiative_id: int) -> None:
        self._prefix = _NAMESPACE_SHA1.copy()
        self._prefix.update(f"initiative/{initiative_id}".encode())
        self.service = _uuid_text(self._prefix.digest())

    def child(self, suffix: str) -> str:
        h = self._prefix.copy()
        h.update(f"/{suffix}".encode())
        return _uuid_text(h.digest())


def term_code(column: str, value: str) -> str:
    """The taxonomy_term code of one id of a facet: the id itself for the elements,
    `<column>:<id>` for the others (codes are unique in a dataset)."""
    return value if column == "elements" else f"{column}:{value}"


@dataclass(frozen=True)
class Term:
    id: str
    code: str
    name: str
    description: str
    column: str  # the facet (exchange-format column) or the free-text column
    value: str  # the id within that facet ("" for a free-text term)
    taxonomy_id: str
    taxonomy: str  # the taxonomy's name

    def as_json(self) -> dict[str, Any]:
        """The taxonomy_term object (HSDS taxonomy_term.json)."""
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "taxonomy": self.taxonomy,
            "taxonomy_id": self.taxonomy_id,
            "language": "nl",
        }


@dataclass(frozen=True)
class Taxonomy:
    id: str
    column: str
    name: str
    description: str
    link_entity: str
    terms: tuple[Term, ...]

    def as_json(self) -> dict[str, Any]:
        """The taxonomy object (HSDS taxonomy.json)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "version": HSDS_VOCABULARY_VERSION,
        }


# Raised when a term is added or renamed: consumers can tell that the taxonomy changed.
HSDS_VOCABULARY_VERSION = "1"


@dataclass(frozen=True)
class Vocabulary:
    """Every taxonomy and term of the export, with lookups by id, code and (column, id)."""

    taxonomies: tuple[Taxonomy, ...]
    by_id: dict[str, Term] = field(default_factory=dict)
    by_code: dict[str, Term] = field(default_factory=dict)
    by_value: dict[tuple[str, str], Term] = field(default_factory=dict)
    taxonomy_by_id: dict[str, Taxonomy] = field(default_factory=dict)
    term_json: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for tax in self.taxonomies for t in tax.terms)


def build_vocabulary(knowledge: Knowledge) -> Vocabulary:
    """The taxonomies and terms, with Dutch names from the rules (rules/vocabulary.yaml,
    rules/elements.yaml)."""
    taxonomies = []
    for spec in FACET_SPECS:
        taxonomy_id = make_uuid(f"taxonomy/{spec.column}")
        terms = []
        for member in INITIATIVE_FACETS[spec.column]:
            value = str(member.value)
            if spec.column == "elements":
                element = knowledge.elements[ElementId(value)]
                name = element.label.nl
                description = ELEMENT_DESCRIPTIONS[ElementId(value)]
            else:
                entry = knowledge.vocabulary.get(spec.column, {}).get(value)
                name = entry.label.nl if entry else value
                described = entry.description if entry else None
                description = described.nl if described else f"{spec.name}: {name}."
            code = term_code(spec.column, value)
            terms.append(
                Term(
                    id=make_uuid(f"taxonomy_term/{code}"),
                    code=code,
                    name=name,
                    description=description,
                    column=spec.column,
                    value=value,
                    taxonomy_id=taxonomy_id,
                    taxonomy=spec.name,
                )
            )
        taxonomies.append(
            Taxonomy(
                taxonomy_id,
                spec.column,
                spec.name,
                spec.description,
                spec.link_entity,
                tuple(terms),
            )
        )
    text_id = make_uuid(f"taxonomy/{TEXT_TAXONOMY.column}")
    text_terms = tuple(
        Term(
            id=make_uuid(f"taxonomy_term/text:{column}"),
            code=f"text:{column}",
            name=name,
            description=f"{name} van het initiatief, als vrije tekst in de value.",
            column=column,
            value="",
            taxonomy_id=text_id,
            taxonomy=TEXT_TAXONOMY.name,
        )
        for column, name in TEXT_FIELDS.items()
    )
    taxonomies.append(
        Taxonomy(
            text_id, "text", TEXT_TAXONOMY.name, TEXT_TAXONOMY.description, "service", text_terms
        )
    )
    vocab = Vocabulary(tuple(taxonomies))
    for tax in vocab.taxonomies:
        vocab.taxonomy_by_id[tax.id] = tax
        for term in tax.terms:
            vocab.by_id[term.id] = term
            vocab.by_code[term.code] = term
            vocab.by_value[(term.column, term.value)] = term
            vocab.term_json[term.id] = term.as_json()
    return vocab


_vocab_lock = threading.Lock()
_vocab_cache: list[tuple[Knowledge, Vocabulary]] = []


def vocabulary(knowledge: Knowledge | None = None) -> Vocabulary:
    """The vocabulary for `knowledge` (default: the rules of the settings), built once."""
    if knowledge is None:
        knowledge = _default_knowledge()
    with _vocab_lock:
        for known, vocab in _vocab_cache:
            if known is knowledge:
                return vocab
        vocab = build_vocabulary(knowledge)
        _vocab_cache[:] = [(knowledge, vocab)]  # one at a time: the app has one
        return vocab


@lru_cache(maxsize=1)
def _default_knowledge() -> Knowledge:
    return load_knowledge(get_settings().rules_dir)


# ---------------------------------------------------------------------------------------
# One initiative → HSDS objects


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _uri(value: object) -> str | None:
    """A web address fit for a `uri` field (scheme, host, no spaces), else None."""
    text = _text(value)
    if text is None or any(c.isspace() for c in text):
        return None
    parts = urlsplit(text)
    return text if parts.scheme in ("http", "https") and parts.netloc else None


def _utc_iso(value: datetime | None) -> str | None:
    """RFC 3339 in UTC to the second (2026-03-01T09:30:00Z, the Table Schema's default
    datetime form); the database gives a naive UTC time on SQLite."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _iso_date(value: object) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _text(value)


def _place(
    places: Places, municipality: str | None, postcode: str | None, street: str | None
) -> Municipality | None:
    """The municipality of a row: by its name, else its postcode, else a postcode in the
    address ("Kerkstraat 1, 9050 Gent")."""
    found = places.find(municipality) or (places.find(postcode) if postcode else None)
    if found is None and street:
        for code in POSTCODE_IN_TEXT.findall(street):
            found = places.find(code)
            if found is not None:
                break
    return found


def _state_province(place: Municipality | None) -> str:
    if place is None:
        return ""
    return BRUSSELS_REGION if place.province == BRUSSELS else place.province


def _region(place: Municipality | None) -> str | None:
    if place is None:
        return None
    return BRUSSELS_REGION if place.province == BRUSSELS else FLANDERS


# Every facet's ids as plain text, in vocabulary order.
FACET_IDS: dict[str, tuple[str, ...]] = {
    column: tuple(str(m.value) for m in ids) for column, ids in INITIATIVE_FACETS.items()
}


def _values(row: Any, column: str) -> list[str]:
    """The ids of one facet of a row, in vocabulary order (single-valued ones too)."""
    raw = getattr(row, column)
    if not raw:
        return []
    if isinstance(raw, str):
        return [raw] if raw in FACET_IDS[column] else []
    present = set(raw)
    return [v for v in FACET_IDS[column] if v in present]


def _drop_none(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


class Mapper:
    """Maps database rows (anything with the SOURCE_COLUMNS as attributes) to HSDS."""

    def __init__(self, vocab: Vocabulary, places: Places, knowledge: Knowledge) -> None:
        self.vocab = vocab
        self.places = places
        self.knowledge = knowledge

    def attributes(self, row: Any, ids: _RecordIds, link_entity: str) -> list[dict[str, Any]]:
        """The attribute objects of a row, each with its taxonomy_term nested, for the
        service (`service`) or its organisation (`organization`)."""
        link_id = ids.child("organization") if link_entity == "organization" else ids.service
        out = []
        for tax in self.vocab.taxonomies:
            if tax.link_entity != link_entity:
                continue
            if tax.column == "text":
                for term in tax.terms:
                    text = _text(getattr(row, term.column))
                    if text is not None:
                        out.append(self._attribute(ids, link_id, link_entity, term, text))
                continue
            for value in _values(row, tax.column):
                term = self.vocab.by_value[(tax.column, value)]
                out.append(self._attribute(ids, link_id, link_entity, term, None))
        return out

    def _attribute(
        self, ids: _RecordIds, link_id: str, link_entity: str, term: Term, value: str | None
    ) -> dict[str, Any]:
        attribute: dict[str, Any] = {
            "id": ids.child(f"attribute/{term.code}"),
            "link_id": link_id,
            "taxonomy_term_id": term.id,
            "link_type": term.column,
            "link_entity": link_entity,
        }
        if value is not None:
            attribute["value"] = value
        # One dict per term, shared by every attribute that names it (read-only).
        attribute["taxonomy_term"] = self.vocab.term_json[term.id]
        return attribute

    def organization(self, row: Any, ids: _RecordIds) -> dict[str, Any]:
        actor = _text(row.primary_actor)
        kind = self.knowledge.label("primary_actor", actor) if actor else None
        description = f"Organisatie achter het initiatief '{row.name}'" + (
            f" ({kind})." if kind else "."
        )
        return _drop_none(
            {
                "id": ids.child("organization"),
                "name": row.name,
                "description": description,
                "website": _uri(row.website),
                "attributes": self.attributes(row, ids, "organization"),
            }
        )

    def location(self, row: Any, ids: _RecordIds) -> dict[str, Any] | None:
        municipality = _text(row.municipality)
        street = _text(row.address)
        if municipality is None and street is None:
            return None
        postcode = _text(row.postcode)
        place = _place(self.places, municipality, postcode, street)
        location_id = ids.child("location")
        location: dict[str, Any] = {
            "id": location_id,
            "location_type": "physical",
            "organization_id": ids.child("organization"),
        }
        if place is None:
            # A place the municipalities file does not know: no address can be complete
            # (city, province and postcode are required), so the location keeps what was
            # recorded in words.
            where = municipality or street
            location["name"] = f"{row.name} ({where})"
            if street:
                location["description"] = street
            location["addresses"] = []
            return location
        location["name"] = f"{row.name} ({place.name})"
        location["addresses"] = [
            {
                "id": ids.child("address"),
                "location_id": location_id,
                # The street as recorded; the municipality when only that is known.
                "address_1": street or place.name,
                "city": place.name,
                "region": _region(place),
                "state_province": _state_province(place),
                "postal_code": postcode or place.postcodes[0],
                "country": COUNTRY,
                "address_type": "physical",
            }
        ]
        return location

    def eligibility(self, row: Any) -> str | None:
        ages = [self._label("age_groups", v) for v in _values(row, "age_groups")]
        risks = [
            self._label("risk_factors", v) for v in _values(row, "risk_factors") if v != "none"
        ]
        parts = []
        if ages:
            parts.append("Leeftijd: " + ", ".join(ages) + ".")
        if risks:
            parts.append("Bedoeld voor: " + ", ".join(risks) + ".")
        return " ".join(parts) or None

    def _label(self, column: str, value: str) -> str:
        return self.vocab.by_value[(column, value)].name

    def service(self, row: Any) -> dict[str, Any]:
        """The full service (compiled/service.json) of one initiative."""
        ids = _RecordIds(row.id)
        sid = ids.service
        phone = _text(row.phone)
        email = _text(row.email)
        location = self.location(row, ids)
        service_at_locations = []
        if location is not None:
            service_at_locations.append(
                {
                    "id": ids.child("service_at_location"),
                    "service_id": sid,
                    "location_id": location["id"],
                    "location": location,
                }
            )
        return _drop_none(
            {
                "id": sid,
                "organization_id": ids.child("organization"),
                "name": row.name,
                "description": _text(row.description),
                "url": _uri(row.website),
                "email": email,
                "status": "active",
                "eligibility_description": self.eligibility(row),
                "assured_date": _iso_date(row.last_verified),
                "last_modified": _utc_iso(row.updated_at),
                "organization": self.organization(row, ids),
                "phones": (
                    [{"id": ids.child("phone"), "service_id": sid, "number": phone}]
                    if phone
                    else []
                ),
                "contacts": (
                    [{"id": ids.child("contact"), "service_id": sid, "email": email}]
                    if email
                    else []
                ),
                "service_at_locations": service_at_locations,
                "attributes": self.attributes(row, ids, "service"),
            }
        )


def mapper(knowledge: Knowledge | None = None) -> Mapper:
    knowledge = knowledge or _default_knowledge()
    return Mapper(vocabulary(knowledge), load_places(), knowledge)


# ---------------------------------------------------------------------------------------
# Reading the database


def source_query() -> Any:
    """SELECT of the columns the mapping reads, in id order; archived records are no
    services (issue 11: archive instead of delete)."""
    return (
        select(*(_TABLE.c[name] for name in SOURCE_COLUMNS))
        .where(_TABLE.c.archived_at.is_(None))
        .order_by(_TABLE.c.id)
    )


def iter_rows(session: Session) -> Iterator[Any]:
    """Every initiative in id order, read EXPORT_BATCH rows at a time (a server-side cursor
    on PostgreSQL): one consistent statement, constant memory."""
    query = source_query().execution_options(yield_per=EXPORT_BATCH)
    yield from session.connection().execute(query)


def iter_services(session: Session, m: Mapper | None = None) -> Iterator[dict[str, Any]]:
    """Every initiative as a full HSDS service, in id order, as it is read."""
    m = m or mapper()
    for row in iter_rows(session):
        yield m.service(row)


# ---------------------------------------------------------------------------------------
# JSON export


def write_json(session: Session, fh: TextIO, m: Mapper | None = None) -> int:
    """The catalogue as a JSON list of full services, written as it is read; returns the
    number of services."""
    n = 0
    fh.write("[")
    for service in iter_services(session, m):
        fh.write(",\n" if n else "\n")
        fh.write(json.dumps(service, ensure_ascii=False, separators=(",", ":")))
        n += 1
    fh.write("\n]\n" if n else "]\n")
    return n


# ---------------------------------------------------------------------------------------
# Tabular export: a CSV data package


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str = "string"  # string | number | date | datetime (Table Schema types)
    format: str | None = None  # uuid | uri | email
    required: bool = False
    unique: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.format:
            out["format"] = self.format
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if constraints:
            out["constraints"] = constraints
        return out


def _id() -> FieldSpec:
    return FieldSpec("id", format="uuid", required=True, unique=True)


def _ref(name: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, format="uuid", required=required)


def _s(name: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, required=required)


# The tables the export writes: name, file, and the HSDS 3.0 fields of each (every field
# of the table that is not a list or a nested object, in the order of the schema), with
# `required` from the schema's `required` and `tabular_required`.
TABLES: dict[str, tuple[str, tuple[FieldSpec, ...]]] = {
    "organization": (
        "organizations.csv",
        (
            _id(),
            _s("name", True),
            _s("alternate_name"),
            _s("description", True),
            FieldSpec("email", format="email"),
            FieldSpec("website", format="uri"),
            _s("tax_status"),
            _s("tax_id"),
            FieldSpec("year_incorporated", type="number"),
            _s("legal_status"),
            _s("logo"),
            FieldSpec("uri", format="uri"),
            _ref("parent_organization_id"),
        ),
    ),
    "service": (
        "services.csv",
        (
            _id(),
            _ref("organization_id", True),
            _ref("program_id"),
            _s("name", True),
            _s("alternate_name"),
            _s("description"),
            FieldSpec("url", format="uri"),
            FieldSpec("email", format="email"),
            _s("status", True),
            _s("interpretation_services"),
            _s("application_process"),
            _s("fees_description"),
            _s("wait_time"),
            _s("fees"),
            _s("accreditations"),
            _s("eligibility_description"),
            FieldSpec("minimum_age", type="number"),
            FieldSpec("maximum_age", type="number"),
            FieldSpec("assured_date", type="date"),
            FieldSpec("assurer_email", format="email"),
            _s("licenses"),
            _s("alert"),
            FieldSpec("last_modified", type="datetime"),
        ),
    ),
    "location": (
        "locations.csv",
        (
            _id(),
            _s("location_type", True),
            FieldSpec("url", format="uri"),
            _ref("organization_id"),
            _s("name"),
            _s("alternate_name"),
            _s("description"),
            _s("transportation"),
            FieldSpec("latitude", type="number"),
            FieldSpec("longitude", type="number"),
            _s("external_identifier"),
            _s("external_identifier_type"),
        ),
    ),
    "address": (
        "addresses.csv",
        (
            _id(),
            _ref("location_id"),
            _s("attention"),
            _s("address_1", True),
            _s("address_2"),
            _s("city", True),
            _s("region"),
            _s("state_province", True),
            _s("postal_code", True),
            _s("country", True),
            _s("address_type", True),
        ),
    ),
    "service_at_location": (
        "service_at_location.csv",
        (
            _id(),
            _ref("service_id", True),
            _ref("location_id", True),
            _s("description"),
        ),
    ),
    "phone": (
        "phones.csv",
        (
            _id(),
            _ref("location_id"),
            _ref("service_id"),
            _ref("organization_id"),
            _ref("contact_id"),
            _ref("service_at_location_id"),
            _s("number", True),
            FieldSpec("extension", type="number"),
            _s("type"),
            _s("description"),
        ),
    ),
    "contact": (
        "contacts.csv",
        (
            _id(),
            _ref("organization_id"),
            _ref("service_id"),
            _ref("service_at_location_id"),
            _ref("location_id"),
            _s("name"),
            _s("title"),
            _s("department"),
            FieldSpec("email", format="email"),
        ),
    ),
    "taxonomy": (
        "taxonomies.csv",
        (
            _id(),
            _s("name", True),
            _s("description", True),
            FieldSpec("uri", format="uri"),
            _s("version"),
        ),
    ),
    "taxonomy_term": (
        "taxonomy_terms.csv",
        (
            _id(),
            FieldSpec("code", unique=True),
            _s("name", True),
            _s("description", True),
            _ref("parent_id"),
            _s("taxonomy"),
            _s("language"),
            _ref("taxonomy_id"),
            FieldSpec("term_uri", format="uri"),
        ),
    ),
    "attribute": (
        "attributes.csv",
        (
            _id(),
            _ref("link_id", True),
            _ref("taxonomy_term_id", True),
            _s("link_type"),
            _s("link_entity", True),
            _s("value"),
        ),
    ),
}
# Foreign keys of the package: table → (field, referenced table).
FOREIGN_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "service": (("organization_id", "organization"),),
    "location": (("organization_id", "organization"),),
    "address": (("location_id", "location"),),
    "service_at_location": (("service_id", "service"), ("location_id", "location")),
    "phone": (("service_id", "service"),),
    "contact": (("service_id", "service"),),
    "taxonomy_term": (("taxonomy_id", "taxonomy"),),
    "attribute": (("taxonomy_term_id", "taxonomy_term"),),
}
PHONE_CHARS = re.compile(r"[0-9 +./()-]+")


def datapackage() -> dict[str, Any]:
    """datapackage.json: one tabular resource per CSV, with its fields."""
    resources = []
    for table, (path, fields) in TABLES.items():
        schema: dict[str, Any] = {
            "fields": [f.as_json() for f in fields],
            "primaryKey": ["id"],
            "missingValues": [""],
        }
        keys = FOREIGN_KEYS.get(table)
        if keys:
            schema["foreignKeys"] = [
                {"fields": name, "reference": {"resource": ref, "fields": "id"}}
                for name, ref in keys
            ]
        resources.append(
            {
                "name": table,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "eenzaamheidswijzer-hsds",
        "title": "Eenzaamheidswijzer: initiatieven tegen eenzaamheid (Open Referral HSDS 3.0)",
        "version": HSDS_VERSION,
        "resources": resources,
    }


# A cell needs csvio.neutralise only when it starts with one of these (a quote too: the
# neutralising quotes a quote that stands before a formula).
_CHECK_FIRST = frozenset("=+-@\t\r'")


def _cell(value: Any, keep_phone: bool = False) -> object:
    """One CSV cell: empty for None, CR as newline, neutralised where it could start a
    formula (a phone number of digits and separators only is kept as it is)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value[:1] not in _CHECK_FIRST:
        return value
    if keep_phone and PHONE_CHARS.fullmatch(value):
        return value  # no letters: no function or link can hide in it
    return neutralise(value)


class TableWriters:
    """One CSV writer per table, each on its own text stream."""

    def __init__(self, streams: Mapping[str, TextIO]) -> None:
        self._writers = {}
        self._names: dict[str, tuple[str, ...]] = {}
        for table, (_path, fields) in TABLES.items():
            writer = csv.writer(streams[table], lineterminator="\n")
            self._names[table] = tuple(f.name for f in fields)
            writer.writerow(self._names[table])
            self._writers[table] = writer

    def write(self, table: str, obj: Mapping[str, Any]) -> None:
        get = obj.get
        row = [_cell(get(name), keep_phone=name == "number") for name in self._names[table]]
        self._writers[table].writerow(row)

    def write_service(self, service: Mapping[str, Any]) -> None:
        """A full service as the rows of its tables."""
        org = service["organization"]
        self.write("organization", org)
        for attribute in org.get("attributes", ()):
            self.write("attribute", attribute)
        self.write("service", service)
        for phone in service.get("phones", ()):
            self.write("phone", phone)
        for contact in service.get("contacts", ()):
            self.write("contact", contact)
        for sal in service.get("service_at_locations", ()):
            location = sal["location"]
            self.write("location", location)
            for address in location.get("addresses", ()):
                self.write("address", address)
            self.write("service_at_location", sal)
        for attribute in service.get("attributes", ()):
            self.write("attribute", attribute)

    def write_vocabulary(self, vocab: Vocabulary) -> None:
        for tax in vocab.taxonomies:
            self.write("taxonomy", tax.as_json())
            for term in tax.terms:
                self.write("taxonomy_term", term.as_json())


def write_zip(session: Session, target: str | Path | IO[bytes], m: Mapper | None = None) -> int:
    """The tabular form: datapackage.json and a CSV per table, in a zip. The CSVs are
    written to temporary files as the database is read, then zipped one by one: memory
    stays constant. Returns the number of services."""
    m = m or mapper()
    n = 0
    with tempfile.TemporaryDirectory(prefix="hsds-") as tmp:
        folder = Path(tmp)
        streams = {
            table: (folder / path).open("w", encoding="utf-8", newline="")
            for table, (path, _fields) in TABLES.items()
        }
        try:
            writers = TableWriters(streams)
            writers.write_vocabulary(m.vocab)
            for service in iter_services(session, m):
                writers.write_service(service)
                n += 1
        finally:
            for stream in streams.values():
                stream.close()
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("datapackage.json", json.dumps(datapackage(), indent=2) + "\n")
            for _table, (path, _fields) in TABLES.items():
                zf.write(folder / path, arcname=path)
    return n


# ---------------------------------------------------------------------------------------
# The API's queries: paged in the database


MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    total_items: int
    page_number: int
    per_page: int
    contents: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        total_pages = math.ceil(self.total_items / self.per_page) if self.total_items else 0
        return {
            "total_items": self.total_items,
            "total_pages": total_pages,
            "page_number": self.page_number,
            "size": len(self.contents),
            "first_page": self.page_number == 1,
            "last_page": self.page_number >= total_pages,
            "empty": not self.contents,
            "contents": self.contents,
        }


def paged(items: Sequence[dict[str, Any]], page: int, per_page: int) -> Page:
    """A page of a short list held in memory (taxonomies, terms)."""
    start = (page - 1) * per_page
    return Page(len(items), page, per_page, list(items[start : start + per_page]))


def _list_holds(dialect: str, column: Any, value: str) -> ColumnElement[bool]:
    """`value` is one of the ids in a JSON list column."""
    if dialect == "postgresql":
        return cast(column, JSONB).contains([value])
    if dialect == "sqlite":
        members = func.json_each(column).table_valued("value")
        return exists(select(members.c.value).where(members.c.value == value))
    return cast(column, String).contains(f'"{value}"', autoescape=True)


def _term_condition(dialect: str, term: Term) -> ColumnElement[bool]:
    column = _TABLE.c[term.column]
    if term.column in TEXT_FIELDS:
        return (column.is_not(None)) & (func.trim(column) != "")  # type: ignore[no-any-return]
    if term.column in SINGLE_VALUED_FACETS:
        return column == term.value  # type: ignore[no-any-return]
    return _list_holds(dialect, column, term.value)


def matching_ids(records: Sequence[InitiativeRecord], text: str) -> list[int] | None:
    """Ids of the records that hold every word of `text` in their name, goal or
    description, compared as /aanbod compares them (search.fold: no case, no accents); None
    when `text` has no word (then it filters nothing, as on /aanbod)."""
    scores = search_index(records).text_scores(text)
    if scores is None:
        return None
    return sorted(records[int(i)].id for i in np.flatnonzero(scores > 0))


def _id_in(dialect: str, ids: Sequence[int]) -> ColumnElement[bool]:
    """`id` is one of `ids`, sent as one parameter (a long list of placeholders would pass
    SQLite's limit of 32 766)."""
    if dialect == "postgresql":
        return _TABLE.c.id == any_(bindparam("ids", list(ids), type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    if dialect == "sqlite":
        members = func.json_each(json.dumps(list(ids))).table_valued("value")
        return _TABLE.c.id.in_(select(members.c.value))  # type: ignore[no-any-return]
    return _TABLE.c.id.in_(list(ids))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ServiceFilter:
    # The ids a search found (matching_ids); None: no search.
    search_ids: Sequence[int] | None = None
    taxonomy_term: Term | None = None
    taxonomy: Taxonomy | None = None
    modified_after: datetime | None = None
    nothing: bool = False  # a filter that no service can match (an unknown term id)


def _conditions(dialect: str, f: ServiceFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_TABLE.c.archived_at.is_(None)]
    if f.search_ids is not None:
        conditions.append(_id_in(dialect, f.search_ids))
    if f.taxonomy_term is not None:
        conditions.append(_term_condition(dialect, f.taxonomy_term))
    if f.taxonomy is not None:
        conditions.append(or_(*(_term_condition(dialect, t) for t in f.taxonomy.terms)))
    if f.modified_after is not None:
        conditions.append(_TABLE.c.updated_at >= utc(f.modified_after))
    return conditions


def utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive one is taken to be UTC already). One whose UTC time falls
    outside the calendar (9999-12-31T23:00-05:00) is the end or the start of it."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.max if moment.year > 1 else datetime.min
        return edge.replace(tzinfo=UTC)


def services_page(session: Session, m: Mapper, f: ServiceFilter, page: int, per_page: int) -> Page:
    """One page of services in id order and how many match in all; the database filters,
    counts and pages, so only the page's rows are read."""
    if f.nothing or (f.search_ids is not None and not f.search_ids):
        return Page(0, page, per_page, [])
    dialect = session.get_bind().dialect.name
    conditions = _conditions(dialect, f)
    conn = session.connection()
    total = conn.execute(select(func.count()).select_from(_TABLE).where(*conditions)).scalar()
    rows = conn.execute(
        source_query().where(*conditions).offset((page - 1) * per_page).limit(per_page)
    )
    return Page(int(total or 0), page, per_page, [m.service(r) for r in rows])


class ServiceIndex:
    """Service UUID → initiative id. UUID 5 cannot be inverted, so the ids are hashed once
    (about 0.2 s per 100 000) and the table is extended when an unknown UUID is asked for
    (new initiatives have higher ids). A UUID of a deleted initiative maps to an id that
    no longer exists, and the lookup of the row says so."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}
        self._max_id = 0

    def find(self, session: Session, service_id: str) -> int | None:
        with self._lock:
            found = self._ids.get(service_id)
            if found is not None:
                return found
            newer = session.connection().execute(
                select(_TABLE.c.id).where(_TABLE.c.id > self._max_id).order_by(_TABLE.c.id)
            )
            for (rid,) in newer:
                self._ids[service_uuid(rid)] = rid
                self._max_id = rid
            return self._ids.get(service_id)


def service_by_uuid(
    session: Session, m: Mapper, index: ServiceIndex, service_id: str
) -> dict[str, Any] | None:
    """The full service with this UUID, or None."""
    rid = index.find(session, service_id)
    if rid is None:
        return None
    row = session.connection().execute(source_query().where(_TABLE.c.id == rid)).first()
    return m.service(row) if row is not None else None


# ---------------------------------------------------------------------------------------
# Back from HSDS: a service → a row of the CSV exchange format


@dataclass
class ImportedRow:
    """One HSDS service as a row of the exchange format (DOMAIN.md §6): `row` has every
    column of csvio.ALL_COLUMNS as text (multi-valued cells joined by ';'); `skipped`
    says in English what of the service had no place in the row."""

    row: dict[str, str]
    skipped: list[str] = field(default_factory=list)
    # The same, structured for the import preview: (code, HSDS field, value); codes
    # "unknown_term" (an attribute whose taxonomy term is not one of ours) and
    # "many_values" (more than one term of a single-valued facet).
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def _first(items: object) -> Mapping[str, Any] | None:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping):
                return item
    return None


def _str(obj: Mapping[str, Any] | None, key: str) -> str:
    if obj is None:
        return ""
    value = obj.get(key)
    return str(value).strip() if value is not None else ""


def _term_of(vocab: Vocabulary, attribute: Mapping[str, Any]) -> Term | None:
    term = vocab.by_id.get(str(attribute.get("taxonomy_term_id") or ""))
    if term is not None:
        return term
    nested = attribute.get("taxonomy_term")
    if isinstance(nested, Mapping):
        return vocab.by_id.get(str(nested.get("id") or "")) or vocab.by_code.get(
            str(nested.get("code") or "")
        )
    return None


def service_to_row(service: Mapping[str, Any], vocab: Vocabulary | None = None) -> ImportedRow:
    """Map one HSDS service (a full service as `write_json` writes it) back to a row of
    the CSV exchange format, for the import preview: the preview parses and validates it
    like any uploaded row."""
    vocab = vocab or vocabulary()
    skipped: list[str] = []
    problems: list[tuple[str, str, str]] = []
    row = dict.fromkeys(ALL_COLUMNS, "")
    organization = service.get("organization")
    org = organization if isinstance(organization, Mapping) else None
    row["name"] = _str(service, "name")
    row["description"] = _str(service, "description")
    row["website"] = _str(service, "url") or _str(org, "website")
    contact = _first(service.get("contacts"))
    row["email"] = _str(service, "email") or _str(contact, "email")
    phone = _first(service.get("phones")) or _first(contact.get("phones") if contact else None)
    row["phone"] = _str(phone, "number")
    row["last_verified"] = _str(service, "assured_date")[:10]
    sal = _first(service.get("service_at_locations"))
    location = sal.get("location") if sal is not None else None
    address = _first(location.get("addresses")) if isinstance(location, Mapping) else None
    if address is not None:
        city = _str(address, "city")
        street = _str(address, "address_1")
        # Our export writes the municipality as the first line when no street is known.
        row["address"] = "" if street == city else street
        row["municipality"] = city
        row["postcode"] = _str(address, "postal_code")
    elif isinstance(location, Mapping):
        row["address"] = _str(location, "description")
    found: dict[str, list[str]] = {}
    attributes = list(service.get("attributes") or [])
    if org is not None:
        attributes.extend(org.get("attributes") or [])
    for attribute in attributes:
        if not isinstance(attribute, Mapping):
            continue
        term = _term_of(vocab, attribute)
        if term is None:
            nested = attribute.get("taxonomy_term")
            code = _str(nested, "code") if isinstance(nested, Mapping) else ""
            shown = code or str(attribute.get("taxonomy_term_id") or "")
            skipped.append(
                f"attribute {attribute.get('id')}: taxonomy term {shown} is not one of ours"
            )
            problems.append(("unknown_term", "attributes.taxonomy_term_id", shown))
            continue
        if term.column in TEXT_FIELDS:
            row[term.column] = _str(attribute, "value")
        else:
            values = found.setdefault(term.column, [])
            if term.value not in values:
                values.append(term.value)
    for column, values in found.items():
        order = [str(m.value) for m in INITIATIVE_FACETS[column]]
        values.sort(key=order.index)
        if column in SINGLE_VALUED_FACETS and len(values) > 1:
            skipped.append(f"{column}: more than one value ({';'.join(values)}), kept the first")
            problems.append(("many_values", column, ";".join(values)))
            values = values[:1]
        row[column] = ";".join(values)
    return ImportedRow(row, skipped, problems)


def services_to_csv(services: Iterable[Mapping[str, Any]]) -> str:
    """HSDS services as a CSV file of the exchange format (csvio.parse_csv reads it)."""
    return services_to_rows(services)[0]


def services_to_rows(services: Iterable[Mapping[str, Any]]) -> tuple[str, list[ImportedRow]]:
    """HSDS services as a CSV file of the exchange format, service n on row n + 1 (after the
    header), and each service's ImportedRow (what it had to leave out)."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(ALL_COLUMNS)
    vocab = vocabulary()
    rows = []
    for service in services:
        imported = service_to_row(service, vocab)
        writer.writerow([imported.row[c] for c in ALL_COLUMNS])
        rows.append(imported)
    return out.getvalue(), rows


# Where each column of the exchange format comes from in an HSDS service (for messages
# that name the field of the record at fault).
HSDS_FIELDS = {
    "name": "name",
    "description": "description",
    "website": "url",
    "email": "email",
    "phone": "phones.number",
    "last_verified": "assured_date",
    "municipality": "address.city",
    "postcode": "address.postal_code",
    "address": "address.address_1",
}


def filled_in_postcode(municipality: str | None, postcode: str | None) -> bool:
    """Whether `postcode` is the one an export writes for a municipality recorded without
    a postcode (its main postcode): an import keeps such a record's postcode empty."""
    if not municipality or not postcode:
        return False
    place = load_places().find(municipality)
    return place is not None and place.postcodes[:1] == (postcode,)


def hsds_field(column: str) -> str:
    """The HSDS field a column of the exchange format is read from."""
    if column in HSDS_FIELDS:
        return HSDS_FIELDS[column]
    return f"attributes ({column})"


# ---------------------------------------------------------------------------------------
# Reading HSDS files for the import preview


class HsdsReadError(ValueError):
    """The file is not HSDS as this module reads it; the message says why (English)."""


def services_from_json(text: str) -> list[dict[str, Any]]:
    """The services of an HSDS JSON file: a list of services (our export), one service, or
    a page of the HSDS API (`contents`)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HsdsReadError(f"not JSON: line {exc.lineno}, column {exc.colno}") from None
    if isinstance(data, dict):
        data = data["contents"] if isinstance(data.get("contents"), list) else [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise HsdsReadError("expected a list of HSDS services (JSON objects)")
    return data


def _read_table(zf: zipfile.ZipFile, path: str) -> list[dict[str, str]]:
    if path not in zf.namelist():
        return []
    with zf.open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return [
            {k: unneutralise(v) for k, v in row.items() if k and v not in (None, "")}
            for row in csv.DictReader(text)
        ]


def _grouped(rows: list[dict[str, str]], key: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if key in row:
            out.setdefault(row[key], []).append(row)
    return out


def services_from_zip(source: str | Path | IO[bytes]) -> list[dict[str, Any]]:
    """The services of an HSDS CSV data package (a zip as `write_zip` makes it), each with
    its organisation, locations, addresses, phones, contacts and attributes nested again,
    as services_from_json gives them. The tables are found by datapackage.json where it
    names them, else by HSDS's file names."""
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise HsdsReadError("not a zip file") from None
    with zf:
        paths = {table: path for table, (path, _fields) in TABLES.items()}
        if "datapackage.json" in zf.namelist():
            try:
                package = json.loads(zf.read("datapackage.json"))
                for resource in package.get("resources", []):
                    if resource.get("name") in paths and isinstance(resource.get("path"), str):
                        paths[resource["name"]] = resource["path"]
            except (json.JSONDecodeError, AttributeError, TypeError):
                raise HsdsReadError("datapackage.json is not a data package") from None
        tables = {table: _read_table(zf, path) for table, path in paths.items()}
    if not tables["service"]:
        raise HsdsReadError(f"no services: {paths['service']} is missing or empty")
    organizations = {row["id"]: row for row in tables["organization"] if "id" in row}
    locations = {row["id"]: row for row in tables["location"] if "id" in row}
    terms = {row["id"]: row for row in tables["taxonomy_term"] if "id" in row}
    addresses = _grouped(tables["address"], "location_id")
    attributes = _grouped(tables["attribute"], "link_id")
    phones = _grouped(tables["phone"], "service_id")
    contacts = _grouped(tables["contact"], "service_id")
    at_locations = _grouped(tables["service_at_location"], "service_id")

    def with_terms(link_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for attribute in attributes.get(link_id, []):
            item: dict[str, Any] = dict(attribute)
            term = terms.get(attribute.get("taxonomy_term_id", ""))
            if term is not None:
                item["taxonomy_term"] = dict(term)
            out.append(item)
        return out

    services: list[dict[str, Any]] = []
    for row in tables["service"]:
        service: dict[str, Any] = dict(row)
        sid = row.get("id", "")
        org = organizations.get(row.get("organization_id", ""))
        if org is not None:
            service["organization"] = {**org, "attributes": with_terms(org["id"])}
        service["phones"] = phones.get(sid, [])
        service["contacts"] = contacts.get(sid, [])
        service["service_at_locations"] = []
        for sal in at_locations.get(sid, []):
            item: dict[str, Any] = dict(sal)
            location = locations.get(sal.get("location_id", ""))
            if location is not None:
                item["location"] = {**location, "addresses": addresses.get(location["id"], [])}
            service["service_at_locations"].append(item)
        service["attributes"] = with_terms(sid)
        services.append(service)
    return services
