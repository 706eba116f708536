"""What the landscape pages show, built from the pure services: labelled facet tables,
charts, gaps, the matrix rows, the crosstab and supply against demand."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.advice.knowledge import Knowledge
from app.catalogue.csvio import SafeCsvWriter
from app.catalogue.records import InitiativeRecord
from app.core.i18n import decimal, ngettext_
from app.core.i18n import gettext_ as _
from app.domain.intake import AGE_BANDS
from app.landscape.api_support import labeller
from app.landscape.charts import Bar, bar_chart
from app.landscape.facets import FACETS, facet_ids, values_of
from app.landscape.gaps import find_gaps, gaps_from_counts, render_gaps
from app.landscape.index import Bits, LandscapeIndex
from app.landscape.population import estimated_lonely, total
from app.landscape.service import (
    all_facet_counts,
    element_count_distribution,
    facet_counts,
    percent,
)

MATRIX_COLUMNS = (
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "course",
    "risk_factors",
    "approach",
    "effect_ladder",
    "primary_actor",
)


def facet_titles() -> dict[str, str]:
    return {
        "elements": _("Werkzame elementen"),
        "prevention_levels": _("Type interventie (preventieniveau)"),
        "dimensions": _("Dimensies van eenzaamheid"),
        "age_groups": _("Leeftijdsgroepen"),
        "risk_factors": _("Risicofactoren"),
        "geographic_level": _("Geografisch niveau"),
        "effect_ladder": _("Effectladder"),
        "primary_actor": _("Primaire actor"),
        "course": _("Voorbijgaand of chronisch"),
        "approach": _("Type aanpak"),
        "element_count": _("Aantal werkzame elementen per initiatief"),
    }


@dataclass(frozen=True)
class FacetTable:
    facet: str
    title: str
    rows: list[tuple[str, str, int, float]]  # id, label, count, percent
    n: int

    def chart(self) -> str:
        bars = [
            Bar(label, pct, f"{count} ({decimal(pct)}%)") for _id, label, count, pct in self.rows
        ]
        desc = ngettext_(
            "Staafdiagram: aandeel van {n} initiatief per categorie; de tabel ernaast "
            "geeft dezelfde cijfers.",
            "Staafdiagram: aandeel van {n} initiatieven per categorie; de tabel ernaast "
            "geeft dezelfde cijfers.",
            self.n,
        ).format(n=self.n)
        return bar_chart(self.title, bars, desc, chart_id=f"chart-{self.facet}", max_value=100)

    def csv(self) -> str:
        out = io.StringIO()
        writer = SafeCsvWriter(out)
        writer.writerow(["id", "label", "count", "percent", "n"])
        for id_, label, count, pct in self.rows:
            writer.writerow([id_, label, count, f"{pct:.1f}", self.n])
        return out.getvalue()


def facet_table(
    records: Sequence[InitiativeRecord],
    facet: str,
    label: Callable[[str, str], str],
    counts: Mapping[str, Mapping[str, int]] | None = None,
) -> FacetTable:
    """One facet (or "element_count") as a labelled table; `counts` from all_facet_counts."""
    if counts is None:
        counts = {
            facet: element_count_distribution(records)
            if facet == "element_count"
            else facet_counts(records, facet)
        }
    return table_from_counts(len(records), facet, label, counts)


def table_from_counts(
    n: int, facet: str, label: Callable[[str, str], str], counts: Mapping[str, Mapping[str, int]]
) -> FacetTable:
    """facet_table from the counts of `n` initiatives (all_facet_counts or the index's)."""
    title = facet_titles()[facet]
    if facet == "element_count":
        dist = counts["element_count"]
        return FacetTable(facet, title, [(b, b, c, percent(c, n)) for b, c in dist.items()], n)
    rows = [(i, label(facet, i), c, percent(c, n)) for i, c in counts[facet].items()]
    return FacetTable(facet, title, rows, n)


def overview(
    records: Sequence[InitiativeRecord], knowledge: Knowledge, lang: str
) -> tuple[list[FacetTable], list[dict[str, Any]]]:
    """Every facet table and the gaps, from one count of the records."""
    label = labeller(knowledge, lang)
    counts = all_facet_counts(records)
    tables = [facet_table(records, f, label, counts) for f in (*FACETS, "element_count")]
    return tables, render_gaps(find_gaps(records, label, counts), knowledge.gaps, lang)


def indexed_overview(
    index: LandscapeIndex, mask: Bits, knowledge: Knowledge, lang: str
) -> tuple[list[FacetTable], list[dict[str, Any]]]:
    """overview() of the records `mask` selects, from the index's bitsets."""
    label = labeller(knowledge, lang)
    counts = index.facet_counts(mask)
    n = index.count(mask)
    tables = [table_from_counts(n, f, label, counts) for f in (*FACETS, "element_count")]
    gaps = gaps_from_counts(n, counts, index.unspecified_dimensions(mask), label)
    return tables, render_gaps(gaps, knowledge.gaps, lang)


def matrix_rows(
    records: Sequence[InitiativeRecord], knowledge: Knowledge, lang: str
) -> list[dict[str, Any]]:
    """One row per initiative with labelled cells, the report's figure 3 as a table."""
    label = labeller(knowledge, lang)
    rows = []
    for r in records:
        cells = {}
        for col in MATRIX_COLUMNS:
            ids = [i for i in facet_ids(col) if i in values_of(r, col)]
            cells[col] = [label(col, i) for i in ids]
        rows.append(
            {
                "id": r.id,
                "name": r.name,
                "municipality": r.municipality,
                "geographic_level": label("geographic_level", r.geographic_level)
                if r.geographic_level
                else "",
                "cells": cells,
            }
        )
    return rows


# Demand side: the report's table 2 (Steyaert & Heylen 2021, Flanders, online, N=1044):
# share of people "often" lonely by age band (24, 18, 9 and 13 %), each band beside the
# catalogue's age group that overlaps it most. The bands do not coincide (the catalogue's
# "older" starts at 60, the survey's oldest band at 65), so each row says what it compares.
@dataclass(frozen=True)
class Band:
    id: str
    age_group: str
    default_prevalence: float | None
    low: int  # the band's ages, for the note beside the row
    high: int | None


BANDS: tuple[Band, ...] = (
    Band("children", "children", None, 0, 11),
    Band("youth", "youth", None, 12, 17),
    Band("18-34", "young_adults", 24.0, 18, 34),
    Band("35-49", "adults", 18.0, 35, 49),
    Band("50-64", "adults", 9.0, 50, 64),
    Band("65+", "older", 13.0, 65, None),
)
ADULT_BANDS = tuple(b.id for b in BANDS if b.default_prevalence is not None)


def band_label(band: Band, label: Callable[[str, str], str]) -> str:
    if band.id in ("children", "youth"):
        return label("age_groups", band.id)
    return _("{band} jaar").format(band=band.id)


def _people(low: int, high: int | None) -> str:
    if high is None:
        return _("{low}-plussers").format(low=low)
    return _("{low}- tot {high}-jarigen").format(low=low, high=high)


def band_note(band: Band) -> str | None:
    """What a row compares when the demand band and the catalogue's age group differ."""
    group = next(g for g in AGE_BANDS if g[0].value == band.age_group)
    if (band.low, band.high) == (group[1], group[2]):
        return None
    return _("vraag: {demand}; aanbod: initiatieven voor {supply}").format(
        demand=_people(band.low, band.high), supply=_people(group[1], group[2])
    )


@dataclass(frozen=True)
class BandRow:
    band: str
    label: str
    age_group: str
    age_label: str
    prevalence: float | None
    residents: int | None
    lonely: int | None  # estimated residents often lonely
    explicit: int  # initiatives for this age group
    supply: int  # ... plus those for all ages
    supply_percent: float
    per_1000: float | None  # supply per 1,000 often-lonely residents
    note: str | None = None  # the band mismatch, when there is one
    approximate: bool = False  # residents are a rounded estimate, not a published figure


def supply_demand(
    records: Sequence[InitiativeRecord],
    prevalence: Mapping[str, float | None],
    residents: Mapping[str, int | None],
    knowledge: Knowledge,
    lang: str,
    approximate: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Per age band: share often lonely and (if residents are given) how many people that
    is, beside the initiatives that target the band's age group."""
    ages = facet_counts(records, "age_groups")
    return supply_demand_from_counts(
        len(records), ages, prevalence, residents, knowledge, lang, approximate
    )


def supply_demand_from_counts(
    n: int,
    ages: Mapping[str, int],
    prevalence: Mapping[str, float | None],
    residents: Mapping[str, int | None],
    knowledge: Knowledge,
    lang: str,
    approximate: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """supply_demand() from `n` initiatives and their counts per age group."""
    label = labeller(knowledge, lang)
    rows: list[BandRow] = []
    for band in BANDS:
        prev = prevalence.get(band.id)
        res = residents.get(band.id)
        explicit = ages[band.age_group]
        supply = explicit + ages["all_ages"]
        lonely = estimated_lonely(res, prev)
        rows.append(
            BandRow(
                band=band.id,
                label=band_label(band, label),
                age_group=band.age_group,
                age_label=label("age_groups", band.age_group),
                prevalence=prev,
                residents=res,
                lonely=lonely,
                explicit=explicit,
                supply=supply,
                supply_percent=percent(explicit, n),
                per_1000=round(supply / lonely * 1000, 1) if lonely else None,
                note=band_note(band),
                approximate=band.id in approximate and res is not None,
            )
        )
    demand_bars = [
        Bar(
            r.label,
            r.prevalence or 0.0,
            f"{decimal(r.prevalence)}%" if r.prevalence is not None else "–",
        )
        for r in rows
    ]
    supply_bars = [
        Bar(r.label, r.supply_percent, f"{r.explicit} ({decimal(r.supply_percent)}%)") for r in rows
    ]
    chart = bar_chart(
        _("Vraag en aanbod per leeftijdsgroep"),
        demand_bars,
        _(
            "Per leeftijdsgroep: het aandeel inwoners dat zich vaak eenzaam voelt, naast het "
            "aandeel initiatieven dat zich uitdrukkelijk op die groep richt. De tabel geeft "
            "dezelfde cijfers."
        ),
        chart_id="chart-demand",
        max_value=100,
        second=supply_bars,
        legend=(_("vaak eenzaam (%)"), _("initiatieven voor deze groep (%)")),
    )
    adults = [r for r in rows if r.band in ADULT_BANDS]
    return {
        "rows": rows,
        "chart": chart,
        "n": n,
        "all_ages": ages["all_ages"],
        # Often lonely among adults (the survey asked 18+ only), when every band is known.
        "adult_lonely": total([r.lonely for r in adults]),
        "adult_residents": total([r.residents for r in adults]),
        "adult_approximate": any(r.approximate for r in adults),
    }
