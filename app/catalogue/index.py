"""An in-memory index of one catalogue snapshot, so that matching need not visit every offer.

Built once per snapshot (the tuple of records the engine receives) and kept while that tuple
is in use. It holds only numpy arrays, tuples and a few small dicts of arrays: a catalogue
of 100 000 initiatives becomes some dozens of objects for the garbage collector, not
millions. What it stores does not depend on any intake; matching
(app.catalogue.matching) combines it with one request.

Positions are indices into `records`. Each set-valued field (elements, age groups,
dimensions, risk factors, prevention levels) has postings (the sorted positions of the
records that carry a value) and, with at most 64 values, a 64-bit set per record. Places
are one column of slots: a municipality's rank in data/municipalities.csv, or one slot
each for Flanders-wide, no place and a place that is no known municipality; a person's
home turns slots into place tiers (own municipality, region, Flanders, elsewhere) through
a table of a few hundred entries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from app.catalogue.records import InitiativeRecord
from app.domain.places import Municipality, Places

Positions = npt.NDArray[np.int32]
Flags = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

T = TypeVar("T")

# How many snapshots keep their index: the current one and the one a request may still use.
CACHED_SNAPSHOTS = 2
# A set-valued field with at most this many distinct values also gets one bitset per record.
BITS = 64


class SetField:
    """One set-valued field of every record (elements, age groups, ...): postings, and a
    64-bit set per record when the field has no more than 64 distinct values."""

    __slots__ = ("bits", "codes", "postings", "size")

    def __init__(self, values: list[frozenset[str]]) -> None:
        self.size = len(values)
        found: dict[str, list[int]] = {}
        for position, keys in enumerate(values):
            for key in keys:
                found.setdefault(key, []).append(position)
        self.postings: Mapping[str, Positions] = {
            key: np.asarray(ps, dtype=np.int32) for key, ps in found.items()
        }
        self.codes: Mapping[str, int] = {key: c for c, key in enumerate(sorted(found))}
        self.bits: npt.NDArray[np.uint64] | None = None
        if len(self.codes) <= BITS:
            bits = np.zeros(self.size, dtype=np.uint64)
            for key, posting in self.postings.items():
                bits[posting] |= np.uint64(1 << self.codes[key])
            self.bits = bits

    def _mask(self, keys: Iterable[str]) -> int:
        return sum(1 << self.codes[k] for k in set(keys) if k in self.codes)

    def has_any(self, keys: Iterable[str]) -> Flags:
        """True for the records that carry at least one of `keys`."""
        if self.bits is not None:
            hit: Flags = (self.bits & np.uint64(self._mask(keys))) != 0
            return hit
        found = np.zeros(self.size, dtype=np.bool_)
        for key in set(keys):
            posting = self.postings.get(key)
            if posting is not None:
                found[posting] = True
        return found

    def count(self, keys: Iterable[str]) -> Ints:
        """How many of `keys` (distinct) each record carries."""
        if self.bits is not None:
            counted: Ints = np.bitwise_count(self.bits & np.uint64(self._mask(keys))).astype(
                np.int64
            )
            return counted
        count = np.zeros(self.size, dtype=np.int64)
        for key in set(keys):
            posting = self.postings.get(key)
            if posting is not None:
                count[posting] += 1
        return count


class CatalogueIndex:
    """Postings, bitsets and per-record columns of one catalogue snapshot."""

    __slots__ = (
        "_derived",
        "_lock",
        "age_groups",
        "dimensions",
        "element_columns",
        "elements",
        "ladder",
        "municipalities",
        "name_rank",
        "place_slot",
        "places",
        "prevention_levels",
        "records",
        "risk_factors",
        "size",
    )

    def __init__(self, records: tuple[InitiativeRecord, ...], places: Places) -> None:
        self.records = records
        self.places = places
        n = self.size = len(records)
        self.elements = SetField([r.elements for r in records])
        self.age_groups = SetField([r.age_groups for r in records])
        self.dimensions = SetField([r.dimensions for r in records])
        self.risk_factors = SetField([r.risk_factors for r in records])
        self.prevention_levels = SetField([r.prevention_levels for r in records])

        # Each record's elements in the order its frozenset iterates them (the order in
        # which matching adds up their weights: float sums depend on it). Column j holds
        # the code of every record's j-th element, or len(codes) when it has fewer.
        codes = self.elements.codes
        none = len(codes)
        width = max((len(r.elements) for r in records), default=0)
        columns = np.full((width, n), none, dtype=np.int64)
        for position, r in enumerate(records):
            for j, e in enumerate(r.elements):
                columns[j, position] = codes[e]
        self.element_columns: tuple[Ints, ...] = tuple(columns)

        # Where each record is, as a slot: the rank of its municipality in places.all(),
        # or one of three slots after those (see slot_* below). A person's home turns
        # slots into place tiers with one small table.
        self.municipalities: tuple[Municipality, ...] = places.all()
        rank = {m.nis: i for i, m in enumerate(self.municipalities)}
        resolved: dict[str, int] = {}
        slots = np.empty(n, dtype=np.int64)
        for position, r in enumerate(records):
            if r.geographic_level == "flanders":
                slot = self.slot_flanders
            elif not r.municipality:
                slot = self.slot_no_place
            else:
                if r.municipality not in resolved:
                    m = places.find(r.municipality)
                    resolved[r.municipality] = (
                        rank[m.nis] if m is not None else self.slot_unresolved
                    )
                slot = resolved[r.municipality]
            slots[position] = slot
        self.place_slot: Ints = slots
        # Effect ladder as a number, -1 when it is not a digit.
        self.ladder: Ints = np.fromiter(
            (
                int(r.effect_ladder) if r.effect_ladder and r.effect_ladder.isdigit() else -1
                for r in records
            ),
            dtype=np.int64,
            count=n,
        )
        # Rank of each record in the order (name without case, id, catalogue order): the
        # tie-break of equal scores, as matching sorts them.
        order = sorted(range(n), key=lambda i: (records[i].name.casefold(), records[i].id))
        name_rank = np.empty(n, dtype=np.int64)
        name_rank[np.asarray(order, dtype=np.int64)] = np.arange(n, dtype=np.int64)
        self.name_rank: Ints = name_rank
        # Arrays derived for a request feature that repeats (the helplines of the loaded
        # rules, the proximity of every municipality to a home): built once, on first use.
        self._derived: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    @property
    def slot_flanders(self) -> int:
        """The slot of Flanders-wide offers."""
        return len(self.municipalities)

    @property
    def slot_no_place(self) -> int:
        """The slot of local offers without a municipality."""
        return len(self.municipalities) + 1

    @property
    def slot_unresolved(self) -> int:
        """The slot of local offers in a place that is no known municipality."""
        return len(self.municipalities) + 2

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """A value computed once per index for `key` (the same key must give the same type)."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        value = build()
        with self._lock:
            return self._derived.setdefault(key, value)  # type: ignore[no-any-return]


_cache: list[CatalogueIndex] = []
_cache_lock = threading.Lock()


def catalogue_index(records: tuple[InitiativeRecord, ...], places: Places) -> CatalogueIndex:
    """The index of this snapshot, built on first use and kept while the snapshot is recent.

    The key is the identity of the tuple (a snapshot never changes; a reload makes a new
    tuple) and of `places`. The cache holds the tuple itself, so its id cannot be reused.
    """
    for index in _cache:
        if index.records is records and index.places is places:
            return index
    with _cache_lock:  # one build at a time: concurrent first requests wait for it
        for index in _cache:
            if index.records is records and index.places is places:
                return index
        index = CatalogueIndex(records, places)
        _cache.insert(0, index)
        del _cache[CACHED_SNAPSHOTS:]
        return index


def top_positions(tier: Ints, score: Floats, rank: Ints, k: int) -> Ints:
    """Positions of the k smallest (tier, -score, rank), in that order (rank is unique).

    Only the tiers needed to reach k are looked at, and within the last of them only the
    scores at or above its k-th best (ties included) are sorted.
    """
    if k <= 0 or tier.size == 0:
        return np.zeros(0, dtype=np.int64)
    keep = np.ones(tier.size, dtype=np.bool_)
    if tier.size > k:
        counts = np.bincount(tier)
        before = np.cumsum(counts) - counts
        last = int(np.searchsorted(np.cumsum(counts), k))  # the tier where the k-th falls
        keep = tier < last
        inside = np.flatnonzero(tier == last)
        wanted = k - int(before[last])
        neg = -score[inside]
        if inside.size > wanted:
            bound = np.partition(neg, wanted - 1)[wanted - 1]
            inside = inside[neg <= bound]
        keep[inside] = True
    chosen = np.flatnonzero(keep)
    order = np.lexsort((rank[chosen], -score[chosen], tier[chosen]))
    return chosen[order[:k]]
