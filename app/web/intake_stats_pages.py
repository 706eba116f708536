"""What professionals see: counts of the intakes they chose to save anonymously, per
municipality and period, beside the offer for the same needs. Small counts are suppressed
(app/landscape/intake_stats.py); the figures are not personal, so the filters may stay in
the query string."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.advice.knowledge import Knowledge
from app.catalogue.csvio import SafeCsvWriter
from app.catalogue.matching import place_of
from app.catalogue.records import InitiativeRecord
from app.catalogue.saved_intakes import saved_intakes
from app.core.i18n import current_language, ngettext_, set_language
from app.core.i18n import gettext_ as _
from app.domain.places import Municipality, load_places
from app.domain.vocabulary import AgeGroup, Course, Dimension, ElementId, RiskFactor
from app.landscape.api_support import catalogue_records
from app.landscape.facets import values_of
from app.landscape.intake_stats import (
    OTHER,
    IntakeStats,
    Spec,
    intake_stats,
    offer_counter,
)
from app.web.intake_form import read_municipality
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
_YEAR = re.compile(r"20[0-9]{2}")
# Which facet of an initiative answers to which table of the intakes.
OFFER_FACET = {
    "age_group": "age_groups",
    "course": "course",
    "dimensions": "dimensions",
    "isolation": "dimensions",
    "risk_factors": "risk_factors",
    "advised": "elements",
}


def _lang(request: Request) -> str:
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    return current_language()


def specs(knowledge: Knowledge) -> list[Spec]:
    return [
        ("age_group", "age_group", True, [g.value for g in AgeGroup]),
        ("profile", "profile", True, list(knowledge.profiles)),
        ("course", "course", True, [c.value for c in Course]),
        ("dimensions", "dimensions", False, [d.value for d in Dimension]),
        ("isolation", "socially_isolated", False, ["social_isolation"]),
        ("risk_factors", "risk_factors", False, [r.value for r in RiskFactor]),
        ("advised", "advised", False, [e.value for e in ElementId]),
    ]


def table_titles() -> dict[str, str]:
    return {
        "age_group": _("Leeftijdsgroep"),
        "profile": _("Profiel (Machielse & Ariaans 2020)"),
        "course": _("Voorbijgaand of chronisch"),
        "dimensions": _("Dimensies van eenzaamheid"),
        "isolation": _("Sociaal isolement"),
        "risk_factors": _("Risicofactoren"),
        "advised": _("Geadviseerde werkzame elementen"),
    }


def labeller(knowledge: Knowledge, lang: str) -> Callable[[str, str], str]:
    """label(table, id) for the intake tables."""
    sections = {
        "age_group": "age_groups",
        "course": "course",
        "dimensions": "dimensions",
        "isolation": "dimensions",
        "risk_factors": "risk_factors",
    }

    def label(table: str, id_: str) -> str:
        if id_ == OTHER:
            return _("Andere")
        if table == "advised":
            return knowledge.elements[ElementId(id_)].label.get(lang)
        if table == "profile":
            nature, need, coping = id_.split("-")
            wants = "true" if need == "need" else "false"
            return " · ".join(
                (
                    knowledge.label("problem_nature", nature, lang),
                    knowledge.label("wants_contact", wants, lang),
                    knowledge.label("coping", coping, lang),
                )
            )
        return knowledge.label(sections[table], id_, lang)

    return label


def _offer_values(record: InitiativeRecord, facet: str) -> Iterable[str]:
    values = values_of(record, facet)
    if facet == "age_groups" and "all_ages" in values:
        # An initiative for all ages is for every age group too.
        return values | {g.value for g in AgeGroup}
    return values


@dataclass
class IntakePage:
    values: dict[str, str]
    errors: dict[str, str]
    place: Municipality | None
    year: int | None
    years: list[int]
    stats: IntakeStats
    notices: list[str] = field(default_factory=list)

    def query(self) -> str:
        return urlencode([(k, v) for k, v in self.values.items() if v])


def _year(raw: str) -> int | None:
    match = _YEAR.fullmatch(raw.strip())
    return int(match.group(0)) if match else None


def intake_page(request: Request) -> IntakePage:
    """Read municipality and period from the query and count the matching records."""
    lang = _lang(request)
    q = request.query_params
    values = {
        "municipality": " ".join(q.get("municipality", "").split()),
        "jaar": q.get("jaar", "").strip(),
    }
    errors: dict[str, str] = {}
    notices: list[str] = []
    place = read_municipality(values, errors, notices)
    # One calendar year at a time, never a free period: two overlapping periods (Jan–Dec and
    # Feb–Dec) would give away by subtraction the small counts each page suppresses.
    engine = request.app.state.engine
    name = place.name if place else None
    seen = [] if errors.get("municipality") else saved_intakes(engine, name)
    years = sorted({int(r.month[:4]) for r in seen}, reverse=True)
    year = _year(values["jaar"]) if values["jaar"] else (years[0] if years else None)
    if values["jaar"] and year is None:
        errors["jaar"] = _("Kies een jaar uit de lijst.")
    if year is not None:
        values["jaar"] = str(year)
    knowledge = request.app.state.knowledge
    if errors.get("municipality"):
        records = []  # count nothing rather than all of Flanders under a wrong name
    else:
        records = [r for r in seen if year is not None and r.month.startswith(f"{year}-")]
    catalogue = list(catalogue_records(request))
    if place is None:
        own: list[InitiativeRecord] = []
        reachable = catalogue
    else:
        places = load_places()
        where = {id(r): place_of(r, place, places) for r in catalogue}
        own = [r for r in catalogue if where[id(r)] == "municipality"]
        reachable = [r for r in catalogue if where[id(r)] in ("municipality", "region", "flanders")]
    offer = offer_counter(own, reachable, OFFER_FACET, _offer_values)
    stats = intake_stats(records, specs(knowledge), labeller(knowledge, lang), offer)
    return IntakePage(values, errors, place, year, years, stats, notices)


def signals(page: IntakePage) -> list[str]:
    """Advised elements that at least 5 people got while the offer working with them is
    thin (at most one initiative in the municipality, or in the catalogue)."""
    out = []
    for table in page.stats.tables:
        if table.id != "advised" or table.withheld:
            continue
        for row in table.rows:
            if not row.seen.isdigit() or row.reachable is None:
                continue
            offer = row.own if page.place is not None else row.reachable
            if offer is None or offer > 1:
                continue
            where = page.place.name if page.place else _("de catalogus")
            out.append(
                ngettext_(
                    "{seen} mensen kregen ‘{element}’ als advies; {n} initiatief in {where} "
                    "werkt ermee.",
                    "{seen} mensen kregen ‘{element}’ als advies; {n} initiatieven in {where} "
                    "werken ermee.",
                    offer,
                ).format(seen=row.seen, element=row.label, n=offer, where=where)
            )
    return out


@router.get("/landschap/intakes", response_class=HTMLResponse)
def intakes(request: Request) -> HTMLResponse:
    page = intake_page(request)
    context: dict[str, Any] = {
        "page": page,
        "stats": page.stats,
        "values": page.values,
        "errors": page.errors,
        "titles": table_titles(),
        "places": [m.name for m in load_places().all()],
        "query": page.query(),
        "signals": signals(page),
    }
    block = "main" if is_htmx(request) else None
    return render(request, "landscape_intakes.html", context, block=block)


@router.get("/landschap/intakes.csv")
def intakes_csv(request: Request) -> Response:
    """The same suppressed figures as the page ("<5" and "x" stay as they are)."""
    page = intake_page(request)
    out = io.StringIO()
    w = SafeCsvWriter(out)
    w.writerow(["table", "id", "label", "seen", "offer_in_municipality", "offer_reachable"])
    w.writerow(["total", "intakes", _("Bewaarde intakes"), page.stats.n, "", ""])
    for table in page.stats.tables:
        for row in table.rows:
            w.writerow(
                [
                    table.id,
                    row.id,
                    row.label,
                    row.seen,
                    "" if row.own is None or page.place is None else row.own,
                    "" if row.reachable is None else row.reachable,
                ]
            )
    slug = page.place.nis if page.place else "vlaanderen"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="intakes-{slug}.csv"'},
    )
