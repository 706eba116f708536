"""The report's part-2 analysis over a catalogue: facet counts, crosstabs (pure, no I/O)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import Any

from app.catalogue.records import InitiativeRecord
from app.landscape.facets import FACETS, UNKNOWN_WHEN_EMPTY, FilterError, facet_ids, values_of
from app.landscape.stats2x2 import chi_square, fisher_exact

ELEMENT_BUCKETS = ("1", "2", "3", "4+")
LIST_FACETS = {
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "risk_factors",
    "course",
    "approach",
}


def percent(count: int, n: int) -> float:
    """Share of n in percent, one decimal, rounded half up as printed in the report."""
    if n == 0:
        return 0.0
    value = Decimal(count * 100) / Decimal(n)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def facet_counts(records: Sequence[InitiativeRecord], facet: str) -> dict[str, int]:
    """How many initiatives have each id of a facet; every id present, zeros included."""
    if facet in LIST_FACETS:
        counter = Counter(chain.from_iterable(getattr(r, facet) for r in records))
    else:
        counter = Counter(getattr(r, facet) for r in records)
    if facet in UNKNOWN_WHEN_EMPTY:
        empty = sum(1 for r in records if not getattr(r, facet))
        counter["unknown"] += empty
    return {i: counter.get(i, 0) for i in facet_ids(facet)}


def element_count_distribution(records: Sequence[InitiativeRecord]) -> dict[str, int]:
    """Initiatives by number of elements: 1, 2, 3, 4+ (and 0 when there are any)."""
    counter = Counter(min(len(r.elements), 4) for r in records)
    out = {"0": counter[0]} if counter[0] else {}
    out.update({b: counter[i] for i, b in enumerate(ELEMENT_BUCKETS, start=1)})
    return out


def all_facet_counts(records: Sequence[InitiativeRecord]) -> dict[str, dict[str, int]]:
    """Every facet's counts, and "element_count": counted once, shared by the landscape
    and the gaps."""
    counts = {facet: facet_counts(records, facet) for facet in FACETS}
    counts["element_count"] = element_count_distribution(records)
    return counts


def landscape(
    records: Sequence[InitiativeRecord], counts: dict[str, dict[str, int]] | None = None
) -> dict[str, Any]:
    """Counts and percentages per facet, and elements per initiative."""
    return landscape_from_counts(
        len(records), counts if counts is not None else all_facet_counts(records)
    )


def landscape_from_counts(n: int, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """landscape() from `n` and the all_facet_counts of those n initiatives."""
    facets: dict[str, Any] = {
        facet: {i: {"count": c, "percent": percent(c, n)} for i, c in counts[facet].items()}
        for facet in FACETS
    }
    facets["element_count"] = counts["element_count"]
    return {"n": n, "facets": facets}


@dataclass(frozen=True)
class Cell:
    facet: str
    id: str

    @classmethod
    def parse(cls, spec: str, field: str) -> Cell:
        facet, sep, id_ = spec.partition(":")
        if not sep or not id_:
            raise FilterError(field, f"{field} must look like facet:id, e.g. elements:meeting")
        if facet not in FACETS:
            raise FilterError(field, f"unknown facet '{facet}'")
        if id_ not in facet_ids(facet):
            raise FilterError(field, f"unknown {facet} id '{id_}'")
        return cls(facet, id_)

    def holds(self, record: InitiativeRecord) -> bool:
        return self.id in values_of(record, self.facet)


# Cochran's rule: chi-square is unreliable when an expected count is below 5.
MIN_EXPECTED = 5


def crosstab(records: Sequence[InitiativeRecord], row: Cell, col: Cell) -> dict[str, Any]:
    """2×2 table of row∧col, with column percentages and Pearson's chi-square without
    continuity correction (as the report computes it); Fisher's exact p when an expected
    count is below 5. app.landscape.explain says what the result means in words."""
    a = b = c = d = 0
    for r in records:
        in_row, in_col = row.holds(r), col.holds(r)
        if in_row and in_col:
            a += 1
        elif in_row:
            b += 1
        elif in_col:
            c += 1
        else:
            d += 1
    return crosstab_from_counts(a, b, c, d, row, col)


def crosstab_from_counts(a: int, b: int, c: int, d: int, row: Cell, col: Cell) -> dict[str, Any]:
    """The crosstab from its four cells: a = row and col, b = row only, c = col only,
    d = neither (app.landscape.index counts them from bitsets)."""
    counts = [[a, b], [c, d]]
    col_totals = [a + c, b + d]
    column_percentages = [
        [percent(counts[i][j], col_totals[j]) for j in range(2)] for i in range(2)
    ]
    result: dict[str, Any] = {
        "row": {"facet": row.facet, "id": row.id},
        "col": {"facet": col.facet, "id": col.id},
        "n": a + b + c + d,
        "counts": counts,
        "column_percentages": column_percentages,
        "expected": None,
        "chi2": None,
        "df": 1,
        "p": None,
        "p_exact": None,
        "p_fisher": None,
        "warnings": [],
    }
    if 0 in (a + b, c + d, a + c, b + d):
        result["warnings"].append("chi-square undefined: a row or column of the table is empty")
        return result
    statistic, p_value, expected_freq = chi_square(a, b, c, d)
    expected = [[round(x, 2) for x in row_] for row_ in expected_freq]
    result.update(
        expected=expected,
        chi2=round(statistic, 3),
        df=1,
        p=round(p_value, 4),
        p_exact=p_value if math.isfinite(p_value) else None,
    )
    if min(min(e) for e in expected) < MIN_EXPECTED:
        result["warnings"].append(
            "an expected count is below 5: the chi-square test is unreliable here"
        )
        # Where chi-square is unreliable, Fisher's exact test (two-sided) still holds.
        result["p_fisher"] = round(fisher_exact(a, b, c, d), 4)
    return result
