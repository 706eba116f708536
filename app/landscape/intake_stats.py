"""Counts of anonymously saved intakes, as a demand signal beside the offer, with small
counts suppressed so that no person can be singled out. Pure: no web, no database.

Disclosure control (the usual rule of statistical offices, threshold 5):
- a count from 0 to 4 is shown as "<5" (primary suppression);
- where categories are exclusive (each person in exactly one: age group, profile, course),
  the cells add up to the number of intakes shown at the top. One suppressed cell could
  then be recomputed from that total, and a few could be pinned down by their bounds
  (two "<5" cells that must add up to 8 are both 4). So more cells are hidden ("x",
  secondary suppression, smallest first) until no hidden cell has a single possible value;
  when that is impossible the whole distribution is withheld;
- with fewer than 5 intakes in total nothing is shown but "<5".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.catalogue.records import InitiativeRecord
from app.catalogue.saved_intakes import SeenIntake

THRESHOLD = 5
SUPPRESSED = "<5"
HIDDEN = "x"
OTHER = "unlisted"  # an exclusive value outside the vocabulary (not the id "other")


def shown_count(count: int) -> str:
    """A count as it may be shown on its own: "<5" below the threshold."""
    return SUPPRESSED if count < THRESHOLD else str(count)


def _bounds(
    counts: Sequence[int], hidden: set[int], secondary: set[int], total: int
) -> dict[int, tuple[int, int]]:
    """What someone who knows the rule can tell about each hidden cell: its range, from
    the total minus the shown cells and the others' ranges (<5 is 0..4; a cell hidden to
    protect another is at least 5, or it would say <5)."""
    rest = total - sum(c for i, c in enumerate(counts) if i not in hidden)
    low = {i: THRESHOLD if i in secondary else 0 for i in hidden}
    high = {i: rest if i in secondary else THRESHOLD - 1 for i in hidden}
    ranges = {}
    for i in hidden:
        others_low = sum(low[j] for j in hidden if j != i)
        others_high = sum(high[j] for j in hidden if j != i)
        ranges[i] = (max(low[i], rest - others_high), min(high[i], rest - others_low))
    return ranges


def suppress_partition(counts: Sequence[int], total: int) -> list[str] | None:
    """Shown values for exclusive categories that add up to `total` (known to the reader),
    or None when the distribution must be withheld."""
    primary = {i for i, c in enumerate(counts) if c < THRESHOLD}
    secondary: set[int] = set()
    while True:
        hidden = primary | secondary
        pinned = any(lo >= hi for lo, hi in _bounds(counts, hidden, secondary, total).values())
        if not pinned:
            break
        candidates = sorted((c, i) for i, c in enumerate(counts) if i not in hidden)
        if not candidates:
            return None
        secondary.add(candidates[0][1])
    return [
        SUPPRESSED if i in primary else HIDDEN if i in secondary else str(c)
        for i, c in enumerate(counts)
    ]


@dataclass(frozen=True)
class StatRow:
    """One category: how many people were seen (as shown) beside the offer for it."""

    id: str
    label: str
    seen: str  # "<5", "x" or a whole number of at least 5
    own: int | None  # initiatives in the municipality working with it (None: no offer facet)
    reachable: int | None  # ... that its residents can reach (or the whole catalogue)


@dataclass(frozen=True)
class StatTable:
    id: str  # age_group, profile, course, dimensions, risk_factors, advised
    exclusive: bool  # categories add up to the number of intakes
    rows: list[StatRow]
    withheld: bool = False  # too few distinct intakes to show this distribution safely


@dataclass(frozen=True)
class IntakeStats:
    n: str  # number of intakes, as shown
    tables: list[StatTable]

    @property
    def empty(self) -> bool:
        return not self.tables


# (table id, field of SeenIntake, exclusive, vocabulary ids)
Spec = tuple[str, str, bool, Sequence[str]]


def _values(intake: SeenIntake, field: str) -> tuple[str, ...]:
    if field == "socially_isolated":
        return ("social_isolation",) if intake.socially_isolated else ()
    value = getattr(intake, field)
    return tuple(value) if isinstance(value, tuple) else (value,)


def count_table(intakes: Sequence[SeenIntake], field: str, ids: Sequence[str]) -> list[int]:
    """Counts per id: people, so an id repeated in one record counts once."""
    counts = dict.fromkeys(ids, 0)
    for intake in intakes:
        for value in set(_values(intake, field)):
            if value in counts:
                counts[value] += 1
    return list(counts.values())


def intake_stats(
    intakes: Sequence[SeenIntake],
    specs: Iterable[Spec],
    label: Callable[[str, str], str],
    offer: Callable[[str, str], tuple[int | None, int | None]],
) -> IntakeStats:
    """The tables for `specs`, suppressed; `offer(table, id)` gives (own, reachable)."""
    n = len(intakes)
    if n < THRESHOLD:
        return IntakeStats(SUPPRESSED, [])
    tables = []
    for table_id, field, exclusive, ids in specs:
        ids = list(ids)
        counts = count_table(intakes, field, ids)
        if exclusive:
            other = n - sum(counts)
            if other:
                ids.append(OTHER)
                counts.append(other)
            shown = suppress_partition(counts, n)
        else:
            shown = [shown_count(c) for c in counts]
        withheld = shown is None
        rows = [
            StatRow(
                id_,
                label(table_id, id_),
                HIDDEN if shown is None else shown[k],
                *offer(table_id, id_),
            )
            for k, id_ in enumerate(ids)
        ]
        tables.append(StatTable(table_id, exclusive, rows, withheld))
    return IntakeStats(str(n), tables)


def in_period(month: str, start: str | None, end: str | None) -> bool:
    """YYYY-MM strings compare as dates do."""
    return (start is None or month >= start) and (end is None or month <= end)


def offer_counter(
    records_own: Sequence[InitiativeRecord],
    records_reachable: Sequence[InitiativeRecord],
    facet_of: Mapping[str, str],
    values_of: Callable[[InitiativeRecord, str], Iterable[str]],
) -> Callable[[str, str], tuple[int | None, int | None]]:
    """offer(table, id): how many initiatives (own, reachable) carry `id` in the facet
    that `facet_of[table]` names; (None, None) for tables without a matching facet."""

    def offer(table: str, id_: str) -> tuple[int | None, int | None]:
        facet = facet_of.get(table)
        if facet is None or id_ == OTHER:
            return None, None
        own = sum(1 for r in records_own if id_ in values_of(r, facet))
        reach = sum(1 for r in records_reachable if id_ in values_of(r, facet))
        return own, reach

    return offer
