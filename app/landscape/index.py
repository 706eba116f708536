"""The landscape as bitsets: one per facet value, built once per catalogue snapshot.

A selection (the records some Filters keep) is a bitset too, so the counts of every facet
value are one AND and one popcount per value, whatever the catalogue's size. Bit i stands
for records[i]; bitsets are numpy uint64 words, the last one padded with zeros.

Every figure equals what app.landscape.service and app.landscape.facets compute by a pass
over the records (tests/test_landscape_index.py compares them on random catalogues).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from app.catalogue.index import distinct, grouped
from app.catalogue.records import InitiativeRecord
from app.catalogue.snapshot_cache import SnapshotCache
from app.domain.places import Municipality, Places, Proximity
from app.landscape.facets import FACETS, UNKNOWN_WHEN_EMPTY, Filters, facet_ids
from app.landscape.gaps import DIMENSIONS
from app.landscape.service import ELEMENT_BUCKETS, Cell, crosstab_from_counts

Bits = npt.NDArray[np.uint64]


def _pack(flags: npt.NDArray[np.bool_], words: int) -> Bits:
    """Bool array(s) over the records (last axis) as uint64 words, bit i = record i."""
    pad = words * 64 - flags.shape[-1]
    widths = [(0, 0)] * (flags.ndim - 1) + [(0, pad)]
    packed = np.packbits(np.pad(flags, widths), axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def popcount(bits: Bits) -> int:
    return int(np.bitwise_count(bits).sum())


def _place_key(name: str | None) -> str:
    return " ".join((name or "").casefold().split())


@dataclass(frozen=True)
class Tiers:
    """A municipality's offer as bitsets: located there, in its region, Flanders-wide."""

    own: Bits
    regional: Bits
    flanders: Bits


class LandscapeIndex:
    """Bitsets over one sequence of records (kept, not copied)."""

    def __init__(self, records: Sequence[InitiativeRecord]) -> None:
        self.records = records
        self.n = n = len(records)
        self.words = words = max(1, -(-n // 64))
        # One row per (facet, value): every vocabulary id, plus any other value seen.
        self._row: dict[tuple[str, str], int] = {}
        for facet in FACETS:
            for id_ in facet_ids(facet):
                self._row[facet, id_] = len(self._row)
        # values_of(record, facet), worked out once per distinct value of a facet (a
        # catalogue holds a few thousand; equal ones are mostly one shared object).
        parts: list[tuple[int, npt.NDArray[np.int32]]] = []
        for facet in FACETS:
            unknown = self._row[facet, "unknown"] if facet in UNKNOWN_WHEN_EMPTY else None
            values, which = distinct(list(map(attrgetter(facet), records)))
            for raw, positions in zip(values, grouped(which, len(values)), strict=True):
                if not raw:
                    if unknown is not None:
                        parts.append((unknown, positions))
                    continue
                for value in raw if isinstance(raw, frozenset) else (raw,):
                    row = self._row.get((facet, value))
                    if row is None:
                        row = self._row[facet, value] = len(self._row)
                    parts.append((row, positions))
        flags = np.zeros((len(self._row), n), dtype=np.bool_)
        for row, positions in parts:
            flags[row, positions] = True
        self._bits = _pack(flags, words)
        self._facet_rows = {
            facet: np.array([self._row[facet, i] for i in facet_ids(facet)], dtype=np.int64)
            for facet in FACETS
        }
        sets, which = distinct(list(map(attrgetter("elements"), records)))
        self.element_counts = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))[which]
        buckets = np.minimum(self.element_counts, 4)
        self._buckets = _pack(np.stack([buckets == k for k in range(5)]), words)
        dims = self._facet_rows["dimensions"]
        coded = [dims[facet_ids("dimensions").index(d)] for d in DIMENSIONS]
        self._dimensions_coded = np.bitwise_or.reduce(self._bits[coded], axis=0)
        self.all = _pack(np.ones(n, dtype=np.bool_), words)
        self._empty = np.zeros(words, dtype=np.uint64)
        towns, which = distinct(list(map(attrgetter("municipality"), records)))
        keys: dict[str, list[npt.NDArray[np.int32]]] = {}
        for town, positions in zip(towns, grouped(which, len(towns)), strict=True):
            keys.setdefault(_place_key(town), []).append(positions)
        self._municipality = {k: self._of(np.concatenate(v)) for k, v in keys.items()}
        levels, which = distinct(list(map(attrgetter("geographic_level"), records)))
        flanders = np.asarray([v == "flanders" for v in levels], dtype=np.bool_)
        self._flanders = _pack(flanders[which] if n else np.zeros(0, dtype=np.bool_), words)
        self._names: npt.NDArray[np.int64] | None = None
        self._places: tuple[Places, dict[str, tuple[Municipality, Bits]]] | None = None
        self._lock = threading.Lock()

    def _of(self, indices: Iterable[int] | npt.NDArray[np.int32]) -> Bits:
        flags = np.zeros(self.n, dtype=np.bool_)
        if not isinstance(indices, np.ndarray):
            indices = np.fromiter(indices, dtype=np.int64)
        flags[indices] = True
        return _pack(flags, self.words)

    # Selections -------------------------------------------------------------------------

    def mask(self, filters: Filters) -> Bits:
        """The records `filters.apply` keeps, as a bitset."""
        if filters.is_empty():
            return self.all.copy()
        mask = self.all.copy()
        if filters.municipality is not None:
            mask &= self._municipality.get(filters.municipality.casefold(), self._empty)
        low, high = filters.min_elements, filters.max_elements
        if low is not None or high is not None:
            keep = np.ones(self.n, dtype=np.bool_)
            if low is not None:
                keep &= self.element_counts >= low
            if high is not None:
                keep &= self.element_counts <= high
            mask &= _pack(keep, self.words)
        for facet, wanted in filters.facets.items():
            rows = [self._row[facet, v] for v in wanted if (facet, v) in self._row]
            mask &= np.bitwise_or.reduce(self._bits[rows], axis=0) if rows else self._empty
        return mask

    def count(self, mask: Bits) -> int:
        return popcount(mask)

    def indices(self, mask: Bits) -> npt.NDArray[np.int64]:
        """Positions of the selected records, in catalogue order."""
        flags = np.unpackbits(mask.view(np.uint8), bitorder="little", count=self.n)
        return np.flatnonzero(flags)

    def take(self, mask: Bits, start: int = 0, stop: int | None = None) -> list[InitiativeRecord]:
        """The selected records (or a slice of them), in catalogue order."""
        return [self.records[int(i)] for i in self.indices(mask)[start:stop]]

    def by_name(self, mask: Bits, limit: int | None = None) -> list[InitiativeRecord]:
        """Like municipality.by_name(take(mask)), at most `limit` of them."""
        if self._names is None:
            names = np.array([r.name.casefold() for r in self.records], dtype=np.str_)
            self._names = np.argsort(names, kind="stable").astype(np.int64)
        flags = np.unpackbits(mask.view(np.uint8), bitorder="little", count=self.n)
        order = self._names[flags[self._names].astype(np.bool_)]
        return [self.records[int(i)] for i in order[:limit]]

    # Counts -----------------------------------------------------------------------------

    def facet_counts(self, mask: Bits) -> dict[str, dict[str, int]]:
        """all_facet_counts(take(mask)): every facet, and "element_count"."""
        per_row = np.bitwise_count(self._bits & mask).sum(axis=1)
        counts: dict[str, dict[str, int]] = {}
        for facet in FACETS:
            values = per_row[self._facet_rows[facet]]
            counts[facet] = dict(zip(facet_ids(facet), (int(v) for v in values), strict=True))
        buckets = [int(v) for v in np.bitwise_count(self._buckets & mask).sum(axis=1)]
        dist = {"0": buckets[0]} if buckets[0] else {}
        dist.update({b: buckets[k] for k, b in enumerate(ELEMENT_BUCKETS, start=1)})
        counts["element_count"] = dist
        return counts

    def unspecified_dimensions(self, mask: Bits) -> int:
        """Selected records with none of the four dimensions (only "general", or none)."""
        return popcount(mask) - popcount(mask & self._dimensions_coded)

    def cell(self, cell: Cell) -> Bits:
        row = self._row.get((cell.facet, cell.id))
        return self._empty if row is None else self._bits[row]

    def crosstab(self, mask: Bits, row: Cell, col: Cell) -> dict[str, Any]:
        """service.crosstab(take(mask), row, col)."""
        in_row, in_col = mask & self.cell(row), mask & self.cell(col)
        a = popcount(in_row & in_col)
        b = popcount(in_row) - a
        c = popcount(in_col) - a
        d = popcount(mask) - a - b - c
        return crosstab_from_counts(a, b, c, d, row, col)

    # Places -----------------------------------------------------------------------------

    def tiers(self, home: Municipality, places: Places) -> Tiers:
        """municipality.reach(records, home, places) as bitsets (place_of's rules)."""
        with self._lock:
            if self._places is None or self._places[0] is not places:
                found: dict[str | None, Municipality | None] = {}
                located: dict[str, tuple[Municipality, list[int]]] = {}
                for i, r in enumerate(self.records):
                    if r.geographic_level == "flanders":
                        continue
                    if r.municipality not in found:
                        found[r.municipality] = places.find(r.municipality)
                    where = found[r.municipality]
                    if where is not None:
                        located.setdefault(where.nis, (where, []))[1].append(i)
                self._places = (
                    places,
                    {k: (m, self._of(v)) for k, (m, v) in located.items()},
                )
            located_bits = self._places[1]
        own, regional = self._empty.copy(), self._empty.copy()
        for where, bits in located_bits.values():
            near = places.proximity(home, where)
            if near is Proximity.same:
                own |= bits
            elif near in (Proximity.arrondissement, Proximity.province):
                regional |= bits
        return Tiers(own, regional, self._flanders)


_CACHE: SnapshotCache[LandscapeIndex] = SnapshotCache(LandscapeIndex)


def landscape_index(records: Sequence[InitiativeRecord]) -> LandscapeIndex:
    """The index of a catalogue snapshot, built once per snapshot (app.catalogue.snapshot_cache);
    other sequences (an upload's rows) get a fresh index each time."""
    return _CACHE.get(records)
