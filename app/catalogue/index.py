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
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from operator import attrgetter
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
# How many values derived for request features an index stores (see CatalogueIndex.kept):
# some hundreds of small arrays, a few per distinct value of a field, at most.
KEPT = 512
# A set-valued field with at most this many distinct values also gets one bitset per record.
BITS = 64


def distinct(values: Sequence[T]) -> tuple[list[T], Ints]:
    """The distinct values (each equal value once) and, per value given, the number of its
    distinct one: found[codes[i]] == values[i].

    A catalogue holds few distinct sets of ids, and equal ones are mostly one shared object
    (app.catalogue.service.load_records): values are told apart by identity first, in
    numpy, and only one value per object is hashed and compared.
    """
    _objects, first, inverse = identities(values)
    seen: dict[T, int] = {}
    codes = np.fromiter(
        (seen.setdefault(values[i], len(seen)) for i in first.tolist()),
        dtype=np.int64,
        count=len(first),
    )
    return list(seen), codes[inverse]


def identities(values: Sequence[object]) -> tuple[Ints, Ints, Ints]:
    """The distinct objects of `values` by identity: their ids, the position of one of each,
    and per value the number of its object."""
    ids = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    objects, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    return objects, first, inverse.reshape(-1)


def grouped(codes: Ints, count: int) -> list[Positions]:
    """Per code 0..count-1, the sorted positions that hold it."""
    if count == 0:
        return []
    order = np.argsort(codes, kind="stable").astype(np.int32)
    ends = np.cumsum(np.bincount(codes, minlength=count))
    return np.split(order, ends[:-1])


class SetField:
    """One set-valued field of every record (elements, age groups, ...): postings, and a
    64-bit set per record when the field has no more than 64 distinct values."""

    __slots__ = ("bits", "codes", "postings", "set_bits", "sets", "size", "which")

    def __init__(self, values: list[frozenset[str]]) -> None:
        self.size = len(values)
        sets, which = distinct(values)
        # The distinct sets, and per record the number of its set: a request's value per
        # set (a few thousand at most) is worked out once and read per record.
        self.sets: tuple[frozenset[str], ...] = tuple(sets)
        self.which: npt.NDArray[np.int32] = which.astype(np.int32)
        found: dict[str, list[Positions]] = {}
        for keys, positions in zip(sets, grouped(which, len(sets)), strict=True):
            for key in keys:
                found.setdefault(key, []).append(positions)
        self.postings: Mapping[str, Positions] = {
            key: np.sort(np.concatenate(parts)) for key, parts in found.items()
        }
        self.codes: Mapping[str, int] = {key: c for c, key in enumerate(sorted(found))}
        self.bits: npt.NDArray[np.uint64] | None = None
        self.set_bits: npt.NDArray[np.uint64] | None = None
        if len(self.codes) <= BITS:
            per_set = np.fromiter(
                (sum(1 << self.codes[k] for k in keys) for keys in sets),
                dtype=np.uint64,
                count=len(sets),
            )
            self.set_bits = per_set
            self.bits = per_set[which] if self.size else np.zeros(0, dtype=np.uint64)

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

    def sets_have_any(self, keys: Iterable[str]) -> Flags:
        """Per distinct set (see `which`): True when it holds at least one of `keys`."""
        if self.set_bits is not None:
            hit: Flags = (self.set_bits & np.uint64(self._mask(keys))) != 0
            return hit
        wanted = frozenset(keys)
        return np.fromiter(
            (not s.isdisjoint(wanted) for s in self.sets), dtype=np.bool_, count=len(self.sets)
        )

    def sets_count(self, keys: Iterable[str]) -> Ints:
        """Per distinct set: how many of `keys` (distinct) it holds."""
        if self.set_bits is not None:
            counted: Ints = np.bitwise_count(self.set_bits & np.uint64(self._mask(keys))).astype(
                np.int64
            )
            return counted
        wanted = frozenset(keys)
        return np.fromiter(
            (len(s & wanted) for s in self.sets), dtype=np.int64, count=len(self.sets)
        )


def grouped_positions(codes: Ints, count: int) -> tuple[Positions, Ints]:
    """Positions sorted by code (stable) and where each code's run starts (count + 1
    offsets): the positions of code c are order[starts[c]:starts[c + 1]]."""
    order = np.argsort(codes, kind="stable").astype(np.int32)
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=count), out=starts[1:])
    return order, starts


def gather_runs(order: Positions, starts: Ints, groups: Ints) -> Positions:
    """The positions of every code in `groups`, one run after the other."""
    if groups.size == 1:
        return order[starts[groups[0]] : starts[groups[0] + 1]]  # a view: read only
    lo = starts[groups]
    lengths = starts[groups + 1] - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int32)
    shift = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
    picked: Positions = order[shift + np.arange(total)]
    return picked


class CatalogueIndex:
    """Postings, bitsets and per-record columns of one catalogue snapshot."""

    __slots__ = (
        "_derived",
        "_lock",
        "age_groups",
        "dimensions",
        "element_bits",
        "element_order",
        "element_set",
        "element_starts",
        "element_table",
        "elements",
        "ladder",
        "municipalities",
        "name_rank",
        "place_order",
        "place_slot",
        "place_starts",
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
        self.elements = SetField(list(map(attrgetter("elements"), records)))
        self.age_groups = SetField(list(map(attrgetter("age_groups"), records)))
        self.dimensions = SetField(list(map(attrgetter("dimensions"), records)))
        self.risk_factors = SetField(list(map(attrgetter("risk_factors"), records)))
        self.prevention_levels = SetField(list(map(attrgetter("prevention_levels"), records)))

        # Each record's elements in sorted order (the order in which matching adds up their
        # weights: float sums depend on it, and a set's own iteration order would change
        # with PYTHONHASHSEED), worked out once per set object; equal sets share a column
        # of the table. Row j holds the code of each column's j-th element, or len(codes)
        # when it has fewer; element_set is each record's column, and
        # element_order/element_starts list each column's records.
        codes = self.elements.codes
        none = len(codes)
        elements = list(map(attrgetter("elements"), records))
        _ids, first, which = identities(elements)
        ordered: dict[tuple[int, ...], int] = {}
        column = np.fromiter(
            (
                ordered.setdefault(tuple(codes[e] for e in sorted(elements[i])), len(ordered))
                for i in first.tolist()
            ),
            dtype=np.int64,
            count=len(first),
        )
        which = column[which]
        width = max(map(len, ordered), default=0)
        table = np.full((width, len(ordered)), none, dtype=np.int64)
        for k, found in enumerate(ordered):
            table[: len(found), k] = found
        self.element_table: Ints = table
        # With at most BITS element ids, each column's elements as a 64-bit set too: whether a
        # set holds one of a request's elements is then one AND per set.
        self.element_bits: npt.NDArray[np.uint64] | None = None
        if none <= BITS:
            self.element_bits = np.fromiter(
                (sum(1 << c for c in found) for found in ordered),
                dtype=np.uint64,
                count=len(ordered),
            )
        self.element_set: npt.NDArray[np.int32] = which.astype(np.int32)
        self.element_order, self.element_starts = grouped_positions(which, len(ordered))

        # Where each record is, as a slot: the rank of its municipality in places.all(),
        # or one of three slots after those (see slot_* below). A person's home turns
        # slots into place tiers with one small table.
        self.municipalities: tuple[Municipality, ...] = places.all()
        rank = {m.nis: i for i, m in enumerate(self.municipalities)}

        def slot_of(name: str | None) -> int:
            if not name:
                return self.slot_no_place
            m = places.find(name)
            return rank[m.nis] if m is not None else self.slot_unresolved

        towns, town = distinct(list(map(attrgetter("municipality"), records)))
        slots = np.fromiter(map(slot_of, towns), dtype=np.int64, count=len(towns))[town]
        levels, level = distinct(list(map(attrgetter("geographic_level"), records)))
        flanders = np.asarray([v == "flanders" for v in levels], dtype=np.bool_)[level]
        slots[flanders] = self.slot_flanders
        self.place_slot: Ints = slots
        self.place_order, self.place_starts = grouped_positions(slots, self.slot_unresolved + 1)
        # Effect ladder as a number, -1 when it is not a digit.
        ladders, ladder = distinct(list(map(attrgetter("effect_ladder"), records)))
        self.ladder: Ints = np.fromiter(
            (int(v) if v and v.isdigit() else -1 for v in ladders),
            dtype=np.int64,
            count=len(ladders),
        )[ladder]
        # Rank of each record in the order (name without case, id, catalogue order): the
        # tie-break of equal scores, as matching sorts them. (numpy compares the names as
        # Python does, by code point; lexsort is stable.)
        names = np.asarray([r.name.casefold() for r in records], dtype=np.str_)
        ids = np.fromiter(map(attrgetter("id"), records), dtype=np.int64, count=n)
        order = np.lexsort((ids, names)) if n else np.zeros(0, dtype=np.int64)
        name_rank = np.empty(n, dtype=np.int64)
        name_rank[order] = np.arange(n, dtype=np.int64)
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

    def kept(self, key: Hashable, build: Callable[[], T]) -> T:
        """Like derived, for values keyed by request features: once KEPT values are stored,
        further keys are built on every call instead of stored (memory stays bounded)."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        if len(self._derived) >= KEPT:
            return build()
        return self.derived(key, build)

    def kept_or(self, key: Hashable, build: Callable[[], T], fallback: Callable[[], T]) -> T:
        """Like kept, but once KEPT values are stored a key not among them gets
        `fallback()` (something cheaper that will do) instead of a build on every call."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        if len(self._derived) >= KEPT:
            return fallback()
        return self.derived(key, build)


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
