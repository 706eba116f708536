"""Search in the catalogue (issue 11): words in name, goal and description, the facets of
DOMAIN.md §5, and the offer a municipality or province can reach.

Works on a catalogue snapshot, like the landscape: the facets are the landscape index's
bitsets (app.landscape.index), a municipality's reach is that index's tiers (the rules of
matching's place_of), and the words are folded once per snapshot (no case, no accents),
so that "cafe" finds "Café". Pure: no web, no database.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from app.catalogue.records import InitiativeRecord
from app.catalogue.snapshot_cache import SnapshotCache
from app.domain.places import Municipality, Places
from app.landscape.facets import FACETS, Filters
from app.landscape.index import Bits, LandscapeIndex, landscape_index

Flags = npt.NDArray[np.bool_]
# Weights of a word found in each field: the name says most about what an offer is.
NAME, GOAL, DESCRIPTION = 3.0, 2.0, 1.0
# A word at the start of a word of the name ("koor" in "Buurtkoor" is less telling than in
# "Koor van Gent").
WORD_START = 2.0
WHOLE_WORD = 2.0
# The whole name asked for comes first.
EXACT = 20.0
MAX_TERMS = 10
# Between records in a column's one string: a control character no text keeps.
_SEP = "\x1f"
# The combining accents of Latin script (é is e + U+0301 after NFKD).
_ACCENTS = re.compile(r"[\u0300-\u036f]+")


@lru_cache(maxsize=8192)
def _fold_char(c: str) -> str:
    """One character as search compares it: accents off, no case, a space if no letter or
    digit (NFKD first: "é" is "e", "ﬁ" is "fi", "…" is three spaces)."""
    if c == _SEP:
        return c
    plain = _ACCENTS.sub("", unicodedata.normalize("NFKD", c)).casefold()
    return "".join(x if x.isalnum() else " " for x in plain)


# ASCII the fast way: str.translate from ASCII to ASCII runs in C without a lookup per
# character; every other character goes through _fold_char, a run at a time.
_ASCII_TABLE = str.maketrans(
    {chr(i): _fold_char(chr(i)) for i in range(128) if _fold_char(chr(i)) != chr(i)}
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return "".join(_fold_char(c) for c in match.group())


def _folded(text: str) -> str:
    """No accents, no case, a space for every character that is no letter or digit: as
    _fold_char does it to each character, but megabytes at a time."""
    if not text.isascii():
        text = _NON_ASCII.sub(_fold_run, text)
    return text.translate(_ASCII_TABLE)


def fold(text: str | None) -> str:
    """Text as search compares it: no accents, no case, words separated by one space."""
    return " ".join(_folded(text.replace(_SEP, " ")).split()) if text else ""


def terms_of(query: str) -> list[str]:
    """The words of a query, folded, each once, at most MAX_TERMS."""
    return list(dict.fromkeys(fold(query).split()))[:MAX_TERMS]


class _Column:
    """One text field of every record, folded, as one string: a word is looked up with
    str.find over the whole column (in C), a Python step per record that has it only."""

    def __init__(self, texts: Sequence[str | None], pad: str = "") -> None:
        raw = [(t or "").replace(_SEP, " ") for t in texts]
        # Folded in one go (fold() per record is much slower at 100 000 records); a text
        # keeps the spaces fold() would merge or strip, which no word (no space) sees.
        folded = _folded(_SEP.join(raw)).split(_SEP) if raw else []
        # The one string only (each text again in a list would double the memory).
        self.pad = pad
        self.text = pad + (pad + _SEP + pad).join(folded) + pad
        step = 2 * len(pad) + 1
        self.starts = list(accumulate((len(t) + step for t in folded), initial=0))[:-1]

    def texts(self) -> list[str]:
        """Every record's folded text, in snapshot order."""
        if not len(self.starts):
            return []  # an empty catalogue: "".split() would give one empty text
        cut = len(self.pad)
        return [t[cut : len(t) - cut] for t in self.text.split(_SEP)]

    def having(self, word: str) -> npt.NDArray[np.int64]:
        """Positions of the records whose text holds `word`."""
        found: list[int] = []
        text, starts, n = self.text, self.starts, len(self.starts)
        at = text.find(word)
        while at >= 0:
            i = bisect_right(starts, at) - 1
            found.append(i)
            if i + 1 >= n:
                break
            at = text.find(word, starts[i + 1])
        return np.array(found, dtype=np.int64)


@dataclass(frozen=True)
class SearchQuery:
    """What to look for; an empty query finds the whole catalogue."""

    text: str = ""
    # Facet filters only (within a facet any of the ids, across facets all).
    facets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The offer that reaches this municipality: located there, in its region, Flanders-wide.
    place: Municipality | None = None
    # The offer located in this province, and the Flanders-wide offer.
    province: str | None = None


@dataclass(frozen=True)
class SearchResult:
    total: int
    # Positions in the snapshot, best first (relevance when searching, else by name).
    order: npt.NDArray[np.int64]
    # Per facet value, how many results there would be with it (the facet's own filter left
    # out, the others kept), as shops show beside their filters.
    facet_counts: dict[str, dict[str, int]]


class SearchIndex:
    """Folded texts and the name order of one snapshot; facets come from the landscape's."""

    def __init__(self, records: Sequence[InitiativeRecord]) -> None:
        self.records = records
        self.n = len(records)
        self.landscape: LandscapeIndex = landscape_index(records)
        # Names between spaces: " koor" finds a word of the name that starts so, " koor " a
        # whole word.
        self._names = _Column([r.name for r in records], pad=" ")
        # Goals and descriptions are most of the text: folded on first need (or by warm()
        # in the background), so that a page without words does not wait for them.
        self._texts: dict[str, _Column] = {}
        self._texts_lock = threading.Lock()
        names = self._names.texts()
        exact: dict[str, list[int]] = {}
        for i, t in enumerate(names):
            exact.setdefault(" ".join(t.split()), []).append(i)
        self._exact_names = {k: np.array(v, dtype=np.int64) for k, v in exact.items()}
        # By name, accents and case ignored; equal names in catalogue order.
        keys = np.array([t.strip() for t in names], dtype=np.str_)
        self.by_name = np.argsort(keys, kind="stable").astype(np.int64)
        self.rank = np.empty(self.n, dtype=np.int64)
        self.rank[self.by_name] = np.arange(self.n, dtype=np.int64)
        self._flanders = np.array(
            [r.geographic_level == "flanders" for r in records], dtype=np.bool_
        )
        self._provinces: tuple[Places, dict[str, Flags]] | None = None
        self._lock = threading.Lock()
        # The process whose thread folds the texts (warm_in_background); a worker forked
        # from the process that built the index starts its own.
        self._warming_pid: int | None = None

    # Bitsets and flags ----------------------------------------------------------------

    def flags(self, bits: Bits) -> Flags:
        return np.unpackbits(bits.view(np.uint8), bitorder="little", count=self.n).astype(np.bool_)

    def bits(self, flags: Flags) -> Bits:
        words = self.landscape.words
        packed = np.packbits(flags, bitorder="little")
        out = np.zeros(words * 8, dtype=np.uint8)
        out[: packed.size] = packed
        return out.view("<u8").astype(np.uint64, copy=False)

    # Words ------------------------------------------------------------------------------

    def _text(self, field: str) -> _Column:
        with self._texts_lock:
            column = self._texts.get(field)
            if column is None:
                column = self._texts[field] = _Column([getattr(r, field) for r in self.records])
            return column

    def warm_in_background(self) -> None:
        """Fold the goals and descriptions in a thread of their own, once per process: the
        first search with words finds them ready, or waits for this thread rather than
        starting over."""
        if self._warming_pid == os.getpid():
            return
        with self._lock:
            if self._warming_pid == os.getpid():
                return
            self._warming_pid = os.getpid()
        threading.Thread(target=self.warm, name="search-warm", daemon=True).start()

    def warm(self) -> None:
        """Fold the goals and descriptions now (a search with words needs them)."""
        self._text("goal")
        self._text("description")

    def text_scores(self, text: str) -> npt.NDArray[np.float64] | None:
        """Relevance of every record for the words of `text` (0: not every word found);
        None when `text` holds no word."""
        terms = terms_of(text)
        if not terms:
            return None
        scores = np.zeros(self.n, dtype=np.float64)
        found = np.ones(self.n, dtype=np.bool_)
        for term in terms:
            in_record = np.zeros(self.n, dtype=np.bool_)
            for column, weight in (
                (self._names, NAME),
                (self._text("goal"), GOAL),
                (self._text("description"), DESCRIPTION),
            ):
                hits = column.having(term)
                in_record[hits] = True
                scores[hits] += weight
            scores[self._names.having(" " + term)] += WORD_START
            scores[self._names.having(f" {term} ")] += WHOLE_WORD
            found &= in_record
            if not found.any():
                break  # no record has every word: the other words need no look
        scores[~found] = 0.0
        exact = self._exact_names.get(" ".join(terms_of(text)))
        if exact is not None:
            scores[exact] += EXACT
        return scores

    # Places -----------------------------------------------------------------------------

    def province_flags(self, province: str, places: Places) -> Flags:
        """Offers located in `province` (places.find on their municipality, as reach does),
        and the Flanders-wide offer, which reaches every province."""
        with self._lock:
            if self._provinces is None or self._provinces[0] is not places:
                found: dict[str | None, str | None] = {}
                located: dict[str, list[int]] = {}
                for i, r in enumerate(self.records):
                    if r.geographic_level == "flanders":
                        continue
                    if r.municipality not in found:
                        where = places.find(r.municipality)
                        found[r.municipality] = where.province if where else None
                    name = found[r.municipality]
                    if name is not None:
                        located.setdefault(name, []).append(i)
                masks = {}
                for name, indices in located.items():
                    flags = np.zeros(self.n, dtype=np.bool_)
                    flags[np.array(indices, dtype=np.int64)] = True
                    masks[name] = flags
                self._provinces = (places, masks)
            masks = self._provinces[1]
        return masks.get(province, np.zeros(self.n, dtype=np.bool_)) | self._flanders

    # Search -----------------------------------------------------------------------------

    def search(self, query: SearchQuery, places: Places) -> SearchResult:
        """The records that match `query`, best first, with the counts per facet value."""
        base = np.ones(self.n, dtype=np.bool_)
        scores = self.text_scores(query.text)
        if scores is not None:
            base &= scores > 0
        if query.place is not None:
            tiers = self.landscape.tiers(query.place, places)
            base &= self.flags(tiers.own | tiers.regional | tiers.flanders)
        if query.province is not None:
            base &= self.province_flags(query.province, places)
        base_bits = self.bits(base)
        index = self.landscape
        selected = base_bits & index.mask(Filters(facets=query.facets))
        counts = index.facet_counts(selected)
        facet_counts = {f: counts[f] for f in FACETS}
        for facet in query.facets:
            others = {f: v for f, v in query.facets.items() if f != facet}
            facet_counts[facet] = index.facet_counts(
                base_bits & index.mask(Filters(facets=others))
            )[facet]
        flags = self.flags(selected)
        if scores is None:
            order = self.by_name[flags[self.by_name]]
        else:
            chosen = np.flatnonzero(flags)
            # Best score first; equal scores by name.
            order = chosen[np.lexsort((self.rank[chosen], -scores[chosen]))]
        return SearchResult(int(order.size), order.astype(np.int64), facet_counts)

    @cached_property
    def position(self) -> dict[int, int]:
        """Record id → position in the snapshot."""
        return {r.id: i for i, r in enumerate(self.records)}


_CACHE: SnapshotCache[SearchIndex] = SnapshotCache(SearchIndex)


def search_index(records: Sequence[InitiativeRecord]) -> SearchIndex:
    """The search index of a catalogue snapshot, built once per snapshot
    (app.catalogue.snapshot_cache); other sequences get a fresh one each time."""
    index = _CACHE.get(records)
    if isinstance(records, tuple):
        index.warm_in_background()
    return index


def prepare_search_index(records: tuple[InitiativeRecord, ...]) -> None:
    """Build the snapshot's search index now, as the snapshot's other indexes are
    (app.catalogue.service), so that no request waits for it; its texts are folded in
    the background on first use. No thread starts here: this may run in the server's
    parent process just before it forks its workers."""
    _CACHE.get(records)
