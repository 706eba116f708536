"""Supply against demand per age band, for Flanders or one municipality: prevalence
(Steyaert & Heylen 2021) times residents, typed in or uploaded, beside the offer a
municipality can reach. Not personal figures, so they stay in the query string."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.catalogue.columns import Codebook
from app.catalogue.csvio import SafeCsvWriter, to_records
from app.catalogue.records import InitiativeRecord
from app.core.i18n import current_language, set_language
from app.core.i18n import gettext_ as _
from app.domain.places import Municipality, load_places
from app.landscape.api_support import catalogue_records
from app.landscape.facets import FilterError, Filters
from app.landscape.index import Bits, LandscapeIndex, landscape_index
from app.landscape.population import (
    MAX_CSV_BYTES,
    CsvProblem,
    flanders_population,
    parse_residents,
    parse_residents_csv,
)
from app.landscape.view import BANDS, supply_demand_from_counts
from app.web.forms import is_language_switch
from app.web.intake_form import read_municipality
from app.web.landscape_pages import MAX_UPLOAD_BYTES
from app.web.templating import is_htmx, render
from app.web.upload_support import encode_dataset, read_dataset

router = APIRouter(include_in_schema=False)
# Query parameters of this page that are not landscape filters.
OWN_PARAMS = ("municipality", "lang", "row", "col", "page")
REACHABLE = ("municipality", "region", "flanders")


def _lang(request: Request) -> str:
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    return current_language()


def _number(raw: str) -> float | None:
    raw = raw.strip().replace(",", ".").replace(" ", "")
    return float(raw) if raw else None


@dataclass
class DemandPage:
    """Everything the page, its SVG and its CSV show; `values` are the fields as typed."""

    view: dict[str, Any]
    values: dict[str, str]
    errors: dict[str, str]
    filters: Filters
    place: Municipality | None
    reach: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def query(self) -> str:
        """The page's state as a shareable query (for the downloads and the links)."""
        pairs = list(self.filters.as_pairs())
        if self.values.get("municipality"):
            pairs.append(("municipality", self.values["municipality"]))
        pairs += [(k, v) for k, v in self.values.items() if k.startswith(("prev_", "res_")) and v]
        return urlencode(pairs)


def _filters(request: Request) -> tuple[Filters, dict[str, str]]:
    params = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in OWN_PARAMS and not k.startswith(("prev_", "res_"))
    ]
    try:
        return Filters.parse(params), {}
    except FilterError:
        # The demand page has no filter form: a wrong filter from a shared link is dropped.
        return Filters(), {}


def _offer(
    records: Sequence[InitiativeRecord], filters: Filters, place: Municipality | None
) -> tuple[LandscapeIndex, Bits, dict[str, int]]:
    """The offer the filters keep that a resident of `place` can reach (in the
    municipality, its region, or for all of Flanders, as the advice's matching decides
    it), as a bitset of the landscape index; everything the filters keep without a place."""
    index = landscape_index(records)
    mask = index.mask(filters)
    if place is None:
        return index, mask, {}
    tiers = index.tiers(place, load_places())
    parts = dict(zip(REACHABLE, (tiers.own, tiers.regional, tiers.flanders), strict=True))
    counts = {where: index.count(bits & mask) for where, bits in parts.items()}
    return index, mask & (tiers.own | tiers.regional | tiers.flanders), counts


def demand_page(
    request: Request,
    typed: dict[str, str] | None = None,
    records: Sequence[InitiativeRecord] | None = None,
) -> DemandPage:
    """Read the form (query string, or `typed` values from an upload) and compute the view.

    `records` is the offer to count: the catalogue, or an analysed own survey (its rows
    travel with the form; nothing is stored)."""
    lang = _lang(request)
    q = request.query_params
    source = typed if typed is not None else dict(q.items())
    filters, errors = _filters(request)
    values: dict[str, str] = {"municipality": " ".join(source.get("municipality", "").split())}
    notices: list[str] = []
    place = read_municipality(values, errors, notices)

    population = flanders_population()
    defaults = {b: str(v) for b, v in population.residents.items()}
    entered = any(f"res_{b.id}" in source for b in BANDS)
    if place is None and not entered and "municipality" not in errors:
        residents_raw = dict(defaults)
    else:
        residents_raw = {b.id: source.get(f"res_{b.id}", "") for b in BANDS}
        if place is not None and all(
            parse_residents(residents_raw[b]) == population.residents[b] for b in residents_raw
        ):
            # The Flemish defaults were still in the form when a municipality was chosen.
            residents_raw = dict.fromkeys(residents_raw, "")
        if place is not None and not any(v.strip() for v in residents_raw.values()):
            notices.append(
                _(
                    "Vul het aantal inwoners van {name} per leeftijdsgroep in, of laad een "
                    "CSV-bestand op. U vindt de cijfers bij Statbel of in de "
                    "Gemeente-Stadsmonitor."
                ).format(name=place.name)
            )

    prevalence: dict[str, float | None] = {}
    residents: dict[str, int | None] = {}
    for band in BANDS:
        p_key, r_key = f"prev_{band.id}", f"res_{band.id}"
        p_raw = source.get(p_key)
        if p_raw is None:
            p_raw = "" if band.default_prevalence is None else f"{band.default_prevalence:g}"
        values[p_key], values[r_key] = p_raw, residents_raw[band.id]
        try:
            p = _number(p_raw)
            if p is not None and not 0 <= p <= 100:
                raise ValueError
            prevalence[band.id] = p
        except ValueError:
            errors[p_key] = _("Geef een percentage tussen 0 en 100.")
            prevalence[band.id] = None
        r_text = residents_raw[band.id]
        r = parse_residents(r_text) if r_text.strip() else None
        if r_text.strip() and r is None:
            errors[r_key] = _("Geef een geheel aantal inwoners (0 of meer, zonder komma).")
        residents[band.id] = r

    approximate = frozenset(
        b
        for b in population.approximate
        if place is None and residents.get(b) == population.residents[b]
    )
    offer = catalogue_records(request) if records is None else records
    index, mask, reach = _offer(offer, filters, place)
    ages = index.facet_counts(mask)["age_groups"]
    view = supply_demand_from_counts(
        index.count(mask),
        ages,
        prevalence,
        residents,
        request.app.state.knowledge,
        lang,
        approximate,
    )
    return DemandPage(view, values, errors, filters, place, reach, notices)


def whole(value: int) -> str:
    """A whole number with thousands separators: 1.430.423 in Dutch, 1,430,423 in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if current_language() == "nl" else text


def _context(
    page: DemandPage,
    upload_errors: list[str] | None = None,
    dataset: tuple[str, str] | None = None,
) -> dict[str, Any]:
    return {
        # An analysed own survey: (the carried rows, the file's name).
        "dataset": dataset[0] if dataset else None,
        "uploaded": dataset[1] if dataset else None,
        "page": page,
        "view": page.view,
        "values": page.values,
        "errors": page.errors,
        "filters": page.filters,
        "filter_query": urlencode(page.filters.as_pairs()),
        "query": page.query(),
        "places": [m.name for m in load_places().all()],
        "population": flanders_population(),
        "upload_errors": upload_errors or [],
        "whole": whole,
    }


@router.get("/landschap/vraag", response_class=HTMLResponse)
def demand(request: Request) -> HTMLResponse:
    """Supply against demand per age group, for Flanders or one municipality."""
    page = demand_page(request)
    block = "main" if is_htmx(request) else None
    return render(request, "landscape_demand.html", _context(page), block=block)


def _problem_text(problem: CsvProblem) -> str:
    texts = {
        "too_large": _("Het bestand is groter dan 64 kB."),
        "not_text": _("Het bestand is geen UTF-8-tekst. Bewaar het als CSV UTF-8."),
        "empty": _("Het bestand is leeg."),
        "columns": _("rij {row}: verwacht 2 kolommen (leeftijdsgroep, inwoners), {value} gevonden"),
        "band": _(
            "rij {row}: onbekende leeftijdsgroep '{value}' (gebruik 0-11, 12-17, 18-34, "
            "35-49, 50-64 of 65+)"
        ),
        "duplicate": _("rij {row}: leeftijdsgroep '{value}' staat er twee keer in"),
        "number": _("rij {row}: '{value}' is geen geheel aantal inwoners"),
    }
    return texts[problem.code].format(row=problem.row, value=problem.value)


@router.post("/landschap/vraag", response_class=HTMLResponse)
async def demand_upload(request: Request) -> HTMLResponse:
    """The demand form posted: residents per age band from a two-column CSV, and/or the
    rows of an analysed own survey (`dataset`) as the offer; the other fields as they were.
    From the language switch: the page again with the fields as they were."""
    async with request.form(max_part_size=MAX_UPLOAD_BYTES + 64 * 1024) as form:
        typed = {
            k: v
            for k, v in form.multi_items()
            if isinstance(v, str) and (k == "municipality" or k.startswith(("prev_", "res_")))
        }
        token = form.get("dataset")
        name = str(form.get("dataset_name") or "")[:200]
        upload = form.get("file")
        problems: list[CsvProblem] = []
        if is_language_switch(form):
            pass  # the language switch: the page again with the fields as they were
        elif isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_CSV_BYTES + 1)
            residents, problems = parse_residents_csv(data)
            if not problems:
                for band in BANDS:
                    typed[f"res_{band.id}"] = residents.get(band.id, "")
        elif not (isinstance(token, str) and token):
            problems.append(CsvProblem(0, "empty"))
    # Reading the carried rows and counting the offer take a while: off the event loop.
    return await run_in_threadpool(_demand_posted, request, typed, token, name, problems)


def _demand_posted(
    request: Request,
    typed: dict[str, str],
    token: object,
    name: str,
    problems: list[CsvProblem],
) -> HTMLResponse:
    _lang(request)
    records = None
    dataset = None
    if isinstance(token, str) and token:
        items, errors = read_dataset(token, Codebook.from_knowledge(request.app.state.knowledge))
        if errors:  # the carried rows are damaged: say so, and count the catalogue
            return render(
                request, "landscape_demand.html", _context(demand_page(request, typed), errors)
            )
        records = to_records(items)
        dataset = (encode_dataset(items), name or _("zonder naam"))
    upload_errors = [_problem_text(p) for p in problems[:10]]
    page = demand_page(request, typed, records)
    return render(request, "landscape_demand.html", _context(page, upload_errors, dataset))


@router.get("/landschap/vraag.svg")
def demand_svg(request: Request) -> Response:
    view = demand_page(request).view
    return Response(
        view["chart"],
        media_type="image/svg+xml",
        headers={"Content-Disposition": 'attachment; filename="landschap-vraag-en-aanbod.svg"'},
    )


@router.get("/landschap/vraag.csv")
def demand_csv(request: Request) -> Response:
    page = demand_page(request)
    out = io.StringIO()
    w = SafeCsvWriter(out)
    w.writerow(
        [
            "band",
            "age_group",
            "prevalence_percent",
            "residents",
            "often_lonely",
            "initiatives_for_group",
            "initiatives_incl_all_ages",
            "per_1000_often_lonely",
            "residents_approximate",
            "municipality",
            "note",
        ]
    )
    where = page.place.name if page.place else "Vlaanderen"
    for r in page.view["rows"]:
        w.writerow(
            [
                r.band,
                r.age_group,
                "" if r.prevalence is None else r.prevalence,
                "" if r.residents is None else r.residents,
                "" if r.lonely is None else r.lonely,
                r.explicit,
                r.supply,
                "" if r.per_1000 is None else r.per_1000,
                "yes" if r.approximate else "",
                where,
                r.note or "",
            ]
        )
    slug = page.place.nis if page.place else "vlaanderen"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="vraag-en-aanbod-{slug}.csv"',
        },
    )
