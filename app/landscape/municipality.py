"""One municipality's landscape: its own offer, the offer it can reach (the region and
Flanders-wide, decided as matching decides it), and how that offer compares with the
Flemish inventory of the report (data/flemish_inventory.yaml). Pure: no web."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.catalogue.matching import place_of
from app.catalogue.records import InitiativeRecord
from app.domain.places import Municipality, Places, Proximity
from app.landscape.facets import FACETS, facet_ids
from app.landscape.service import facet_counts, percent

INVENTORY_PATH = Path(__file__).resolve().parents[2] / "data" / "flemish_inventory.yaml"


class InventoryError(ValueError):
    """The inventory file is missing or wrong; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Note(_Strict):
    nl: str
    en: str


class InventoryFacet(_Strict):
    reference: str = Field(min_length=1)
    shares: dict[str, float]
    notes: dict[str, _Note] = Field(default_factory=dict)


class Inventory(_Strict):
    """The report's shares per facet id, in percent of `n` initiatives."""

    source: str = Field(min_length=1)
    n: int = Field(gt=0)
    facets: dict[str, InventoryFacet]


def read_inventory(path: Path) -> Inventory:
    """Parse and check the inventory; facets and ids must be those of the vocabulary."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{path}: not a UTF-8 YAML file ({exc})") from None
    try:
        inventory = Inventory.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(file)"
        raise InventoryError(f"{path}: field '{where}': {err['msg']}") from None
    for facet, entry in inventory.facets.items():
        if facet not in FACETS:
            raise InventoryError(f"{path}: field 'facets.{facet}': unknown facet")
        allowed = set(facet_ids(facet))
        for id_ in (*entry.shares, *entry.notes):
            if id_ not in allowed:
                raise InventoryError(f"{path}: field 'facets.{facet}': unknown id '{id_}'")
        for id_, share in entry.shares.items():
            if not 0 <= share <= 100:
                raise InventoryError(
                    f"{path}: field 'facets.{facet}.shares.{id_}': {share} is not a percentage"
                )
    return inventory


@cache
def load_inventory(path: Path = INVENTORY_PATH) -> Inventory:
    return read_inventory(path)


@dataclass(frozen=True)
class Reach:
    """A municipality's offer: located there, in its region, and for all of Flanders."""

    place: Municipality
    region: str  # "arrondissement Turnhout, provincie Antwerpen"
    own: list[InitiativeRecord]
    regional: list[InitiativeRecord]
    flanders: list[InitiativeRecord]

    @property
    def reachable(self) -> list[InitiativeRecord]:
        """Everything a resident can use: own, regional and Flanders-wide."""
        return [*self.own, *self.regional, *self.flanders]


def reach(records: Sequence[InitiativeRecord], place: Municipality, places: Places) -> Reach:
    """Split `records` by where they are from `place` (app.catalogue.matching.place_of):
    local offers elsewhere in Flanders, or without a known place, are left out."""
    tiers: dict[str, list[InitiativeRecord]] = {"municipality": [], "region": [], "flanders": []}
    for record in records:
        tier = place_of(record, place, places)
        if tier in tiers:
            tiers[tier].append(record)
    region = region_of(place, places)
    return Reach(place, region, tiers["municipality"], tiers["region"], tiers["flanders"])


def region_of(place: Municipality, places: Places) -> str:
    """ "arrondissement Turnhout, provincie Antwerpen": the region `reach` speaks of."""
    return ", ".join(
        dict.fromkeys(
            places.region_label(place, level)
            for level in (Proximity.arrondissement, Proximity.province)
        )
    )


@dataclass(frozen=True)
class BenchmarkRow:
    id: str
    label: str
    flemish: float | None  # percent in the report's inventory, None when not printed
    note: str | None
    own: int
    own_percent: float
    reachable: int
    reachable_percent: float


@dataclass(frozen=True)
class BenchmarkTable:
    facet: str
    reference: str  # the report's table or figure
    rows: list[BenchmarkRow]


def benchmark(
    own: Sequence[InitiativeRecord],
    reachable: Sequence[InitiativeRecord],
    inventory: Inventory,
    label: Callable[[str, str], str],
    lang: str,
) -> list[BenchmarkTable]:
    """Per facet of the inventory: the Flemish share beside the municipality's own and
    reachable shares. Ids that neither the report nor the municipality has are left out."""
    own_counts = {facet: facet_counts(own, facet) for facet in inventory.facets}
    reach_counts = {facet: facet_counts(reachable, facet) for facet in inventory.facets}
    return benchmark_from_counts(
        (len(own), own_counts), (len(reachable), reach_counts), inventory, label, lang
    )


def benchmark_from_counts(
    own: tuple[int, Mapping[str, Mapping[str, int]]],
    reachable: tuple[int, Mapping[str, Mapping[str, int]]],
    inventory: Inventory,
    label: Callable[[str, str], str],
    lang: str,
) -> list[BenchmarkTable]:
    """benchmark() from (n, facet counts) of the own and of the reachable offer."""
    n_own, own_all = own
    n_reach, reach_all = reachable
    tables = []
    for facet, entry in inventory.facets.items():
        own_counts = own_all[facet]
        reach_counts = reach_all[facet]
        rows = []
        for id_ in facet_ids(facet):
            flemish = entry.shares.get(id_)
            if flemish is None and not reach_counts[id_]:
                continue
            note = entry.notes.get(id_)
            rows.append(
                BenchmarkRow(
                    id=id_,
                    label=label(facet, id_),
                    flemish=flemish,
                    note=(note.en if lang == "en" else note.nl) if note else None,
                    own=own_counts[id_],
                    own_percent=percent(own_counts[id_], n_own),
                    reachable=reach_counts[id_],
                    reachable_percent=percent(reach_counts[id_], n_reach),
                )
            )
        tables.append(BenchmarkTable(facet, entry.reference, rows))
    return tables


def by_name(records: Sequence[InitiativeRecord]) -> list[InitiativeRecord]:
    return sorted(records, key=lambda r: r.name.casefold())


def where_label(record: InitiativeRecord, places: Places) -> str:
    """The place of a regional offer as its current municipality name."""
    found = places.find(record.municipality)
    return found.name if found else (record.municipality or "")
