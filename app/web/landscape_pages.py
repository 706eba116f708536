"""Landscape pages for local government: the matrix, facet charts, gaps, crosstabs,
supply against demand, and analysis of an uploaded survey export (kept in memory only)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.catalogue.columns import Codebook
from app.catalogue.csvio import (
    CsvImportError,
    SafeCsvWriter,
    parse_csv,
    to_records,
)
from app.catalogue.models import InitiativeBase
from app.catalogue.records import InitiativeRecord
from app.catalogue.service import export_csv_chunks
from app.core.i18n import current_language, set_language
from app.core.i18n import gettext_ as _
from app.domain.places import Municipality, load_places
from app.landscape.api_support import catalogue_records, labeller
from app.landscape.explain import crosstab_words
from app.landscape.facets import FACETS, FilterError, Filters, facet_ids
from app.landscape.index import Bits, LandscapeIndex, Tiers, landscape_index
from app.landscape.municipality import (
    benchmark_from_counts,
    load_inventory,
    region_of,
    where_label,
)
from app.landscape.service import Cell
from app.landscape.view import (
    MATRIX_COLUMNS,
    facet_titles,
    indexed_overview,
    matrix_rows,
    table_from_counts,
)
from app.web.templating import is_htmx, render
from app.web.upload_support import (
    MAX_ROWS,
    TEMPLATE_NAME,
    codebook_context,
    encode_dataset,
    issue_text,
    read_dataset,
    template_csv,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
# The municipality's lists show this many initiatives each, by name; the counts are whole.
LIST_LIMIT = 100
FILTER_FACETS = (
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "risk_factors",
    "geographic_level",
    "effect_ladder",
    "primary_actor",
)
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def _lang(request: Request) -> str:
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    return current_language()


# Query parameters that are not filters: the crosstab, the matrix page, the language, and
# the demand page's numbers (it reads the same filters).
NOT_FILTERS = ("row", "col", "page", "lang")
COUNT_FIELDS = ("min_elements", "max_elements")


def _filter_message(field: str) -> str:
    if field in COUNT_FIELDS:
        return _("Geef een geheel getal (0 of meer), of laat dit veld leeg.")
    return _("Kies een waarde uit de lijst.")


def _read_filters(request: Request) -> tuple[Filters, Municipality | None, dict[str, str]]:
    """The filters as a browser's form sends them: empty fields mean "no filter"; a wrong
    field gets a message and is left out while the other filters apply. The municipality
    may be typed as a current or former name or a postcode; it becomes the current name."""
    params = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in NOT_FILTERS and not k.startswith(("prev_", "res_"))
    ]
    filters, problems = Filters.read(params)
    # A parameter that is no filter at all (no field of the form) is ignored.
    errors = {
        p.field: _filter_message(p.field)
        for p in problems
        if p.field in FACETS or p.field in COUNT_FIELDS
    }
    place = None
    if filters.municipality:
        place = load_places().find(filters.municipality)
        if place is None:
            errors["municipality"] = _(
                "Deze gemeente kennen we niet. Typ de naam of de postcode van een Vlaamse "
                "gemeente en kies uit de lijst."
            )
        filters = replace(filters, municipality=place.name if place else None)
    return filters, place, errors


def _filters(request: Request) -> tuple[Filters, dict[str, str]]:
    filters, _place, errors = _read_filters(request)
    return filters, errors


@dataclass(frozen=True)
class Selection:
    """What the filters select, as bitsets of the index: for a municipality its own offer
    (`mask`) and the offer it can reach (`reach`, with the same filters)."""

    filters: Filters
    errors: dict[str, str]
    place: Municipality | None
    index: LandscapeIndex
    mask: Bits
    reach: Tiers | None

    @property
    def records(self) -> list[InitiativeRecord]:
        return self.index.take(self.mask)


def _select(request: Request, all_records: Sequence[InitiativeRecord]) -> Selection:
    filters, place, errors = _read_filters(request)
    index = landscape_index(all_records)
    if place is None:
        return Selection(filters, errors, None, index, index.mask(filters), None)
    # Places are compared as places (a former name is the municipality it merged into).
    pool = index.mask(replace(filters, municipality=None))
    tiers = index.tiers(place, load_places())
    found = Tiers(tiers.own & pool, tiers.regional & pool, tiers.flanders & pool)
    return Selection(filters, errors, place, index, found.own, found)


def _options(request: Request, lang: str) -> dict[str, list[tuple[str, str]]]:
    label = labeller(request.app.state.knowledge, lang)
    return {f: [(i, label(f, i)) for i in facet_ids(f)] for f in FACETS}


def _municipality_options() -> list[tuple[str, str]]:
    """(name, label) for the datalist: every municipality, with its postcodes and former
    names, so that either can be typed."""
    options = []
    for m in load_places().all():
        label = ", ".join(m.postcodes[:3]) + (", …" if len(m.postcodes) > 3 else "")
        if m.former:
            label += " · " + _("vroeger {names}").format(names=", ".join(m.former))
        options.append((m.name, label))
    return options


def _municipality_view(request: Request, selection: Selection, lang: str) -> dict[str, Any] | None:
    """Own offer, reachable offer and the Flemish benchmark for the chosen municipality.
    The lists hold the first LIST_LIMIT initiatives by name; the counts are whole."""
    if selection.place is None or selection.reach is None:
        return None
    places = load_places()
    index, found = selection.index, selection.reach
    # The benchmark compares the municipality's whole offer, whatever the other filters.
    whole = index.tiers(selection.place, places)
    reachable = whole.own | whole.regional | whole.flanders
    own = (index.count(whole.own), index.facet_counts(whole.own))
    reach_counts = (index.count(reachable), index.facet_counts(reachable))
    inventory = load_inventory()
    label = labeller(request.app.state.knowledge, lang)
    others = replace(selection.filters, municipality=None)
    return {
        "place": selection.place,
        "region": region_of(selection.place, places),
        "own": index.by_name(found.own, LIST_LIMIT),
        "own_total": index.count(found.own),
        "regional": [
            (r, where_label(r, places)) for r in index.by_name(found.regional, LIST_LIMIT)
        ],
        "regional_total": index.count(found.regional),
        "flanders": index.by_name(found.flanders, LIST_LIMIT),
        "flanders_total": index.count(found.flanders),
        "list_limit": LIST_LIMIT,
        "filtered": not others.is_empty(),
        "bench": benchmark_from_counts(own, reach_counts, inventory, label, lang),
        "bench_own": own[0],
        "bench_reachable": reach_counts[0],
        "inventory": inventory,
    }


def _crosstab_view(
    index: LandscapeIndex, mask: Bits, request: Request, lang: str
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    row_spec = request.query_params.get("row", "elements:meeting")
    col_spec = request.query_params.get("col", "age_groups:older")
    try:
        row, col = Cell.parse(row_spec, "row"), Cell.parse(col_spec, "col")
    except FilterError as exc:
        return None, {exc.field: _("Kies een kenmerk uit de lijst.")}
    label = labeller(request.app.state.knowledge, lang)
    result = index.crosstab(mask, row, col)
    result["row_label"] = label(row.facet, row.id)
    result["col_label"] = label(col.facet, col.id)
    result.update(crosstab_words(result, result["row_label"], result["col_label"], lang))
    result["row_spec"], result["col_spec"] = row_spec, col_spec
    return result, {}


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    # ASCII digits only ("²" passes isdigit() but not int()); a page past the end is clamped.
    return int(raw) if re.fullmatch(r"[0-9]{1,6}", raw) and int(raw) > 0 else 1


def _dashboard_context(
    request: Request,
    index: LandscapeIndex,
    mask: Bits,
    filters: Filters,
    errors: dict[str, str],
    lang: str,
    uploaded: str | None = None,
    municipality: dict[str, Any] | None = None,
) -> dict[str, Any]:
    knowledge = request.app.state.knowledge
    cross, cross_errors = _crosstab_view(index, mask, request, lang)
    tables, gaps = indexed_overview(index, mask, knowledge, lang)
    n = index.count(mask)
    page = _page_number(request)
    pages = max(1, -(-n // PAGE_SIZE))
    page = min(page, pages)
    start = (page - 1) * PAGE_SIZE
    filter_query = urlencode(filters.as_pairs())
    return {
        "n": n,
        "total": index.n,
        "filters": filters,
        "filter_query": filter_query,
        "errors": {**errors, **cross_errors},
        "tables": tables,
        "gaps": gaps,
        "cross": cross,
        "matrix": matrix_rows(index.take(mask, start, start + PAGE_SIZE), knowledge, lang),
        "matrix_columns": MATRIX_COLUMNS,
        "page": page,
        "pages": pages,
        "titles": facet_titles(),
        "options": _options(request, lang),
        "filter_facets": FILTER_FACETS,
        "municipality_options": _municipality_options(),
        "typed": {} if uploaded else _typed(request, errors),
        "municipality": municipality,
        "uploaded": uploaded,
    }


def _typed(request: Request, errors: dict[str, str]) -> dict[str, str]:
    """What was typed in a text field that was wrong, to show it again for correction."""
    q = request.query_params
    return {f: q.get(f, "") for f in ("municipality", *COUNT_FIELDS) if f in errors}


@router.get("/landschap", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    lang = _lang(request)
    all_records = catalogue_records(request)
    sel = _select(request, all_records)
    context = _dashboard_context(
        request,
        sel.index,
        sel.mask,
        sel.filters,
        sel.errors,
        lang,
        municipality=_municipality_view(request, sel, lang),
    )
    target = request.headers.get("hx-target")
    block = ("crosstab" if target == "crosstab" else "main") if is_htmx(request) else None
    headers = {"HX-Push-Url": str(request.url)} if block == "main" else None
    return render(request, "landscape.html", context, block=block, headers=headers)


def _filtered(request: Request) -> Selection:
    sel = _select(request, catalogue_records(request))
    if sel.errors:
        raise HTTPException(status_code=404)
    return sel


def _facet_download(request: Request, facet: str, kind: str) -> Response:
    """A facet's chart (SVG) or table (CSV) for the current filters."""
    lang = _lang(request)
    if facet not in (*FACETS, "element_count"):
        raise HTTPException(status_code=404)
    sel = _filtered(request)
    counts = sel.index.facet_counts(sel.mask)
    label = labeller(request.app.state.knowledge, lang)
    table = table_from_counts(sel.index.count(sel.mask), facet, label, counts)
    body, media = (
        (table.chart(), "image/svg+xml")
        if kind == "svg"
        else (table.csv(), "text/csv; charset=utf-8")
    )
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="landschap-{facet}.{kind}"'},
    )


@router.get("/landschap/grafiek/{facet}.svg")
def chart_svg(request: Request, facet: str) -> Response:
    return _facet_download(request, facet, "svg")


@router.get("/landschap/tabel/{facet}.csv")
def table_csv(request: Request, facet: str) -> Response:
    return _facet_download(request, facet, "csv")


@router.get("/landschap/initiatieven.csv")
def matrix_csv(request: Request) -> Response:
    """The filtered matrix in the exchange format of DOMAIN.md §6."""
    records = _filtered(request).records
    # Streamed as it is read, a batch of rows at a time: constant memory at any size.
    chunks = export_csv_chunks(request.app.state.engine, [r.id for r in records])
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="landschap-initiatieven.csv"'},
    )


@router.get("/landschap/kruistabel.csv")
def crosstab_csv(request: Request) -> Response:
    lang = _lang(request)
    sel = _filtered(request)
    cross, _errors = _crosstab_view(sel.index, sel.mask, request, lang)
    if cross is None:
        raise HTTPException(status_code=404)
    out = io.StringIO()
    w = SafeCsvWriter(out)
    w.writerow(["", f"{cross['col_label']}: ja", f"{cross['col_label']}: nee"])
    w.writerow([f"{cross['row_label']}: ja", *cross["counts"][0]])
    w.writerow([f"{cross['row_label']}: nee", *cross["counts"][1]])
    w.writerow([])
    w.writerow(["chi2", cross["chi2"], "df", cross["df"], "p", cross["p"]])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="landschap-kruistabel.csv"'},
    )


def _codebook(request: Request) -> Codebook:
    return Codebook.from_knowledge(request.app.state.knowledge)


def _upload_error_page(request: Request, lang: str, errors: list[str]) -> HTMLResponse:
    index = landscape_index(catalogue_records(request))
    context = _dashboard_context(request, index, index.all, Filters(), {}, lang)
    context["upload_errors"] = errors
    return render(request, "landscape.html", context, status_code=200)


async def _read_upload(
    upload_file: UploadFile, codebook: Codebook, lang: str
) -> tuple[list[InitiativeBase], list[str]]:
    """The rows of an uploaded file, or the messages that say what is wrong with it."""
    data = await upload_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return [], [_("Het bestand is groter dan 2 MB.")]
    # Parsing a large file takes a while: off the event loop, so no request waits for it.
    return await run_in_threadpool(_parse_upload, data, codebook, lang)


def _parse_upload(
    data: bytes, codebook: Codebook, lang: str
) -> tuple[list[InitiativeBase], list[str]]:
    set_language(lang)
    try:
        items = parse_csv(data.decode("utf-8"), codebook)
    except UnicodeDecodeError:
        return [], [_("Het bestand is geen UTF-8-tekst. Bewaar het als CSV UTF-8.")]
    except CsvImportError as exc:
        return [], [issue_text(i, codebook, lang) for i in exc.issues]
    if len(items) > MAX_ROWS:
        message = _("Het bestand telt {n} initiatieven; we analyseren er hoogstens {max}.")
        return [], [message.format(n=len(items), max=MAX_ROWS)]
    return items, []


@router.post("/landschap/upload", response_class=HTMLResponse)
async def upload(request: Request) -> HTMLResponse:
    """Analyse a municipality's own survey export without adding it to the catalogue.

    A first post carries the file; the analysis page then posts the parsed rows back
    (`dataset`) with its filters and crosstab, so that nothing is kept on the server."""
    lang = _lang(request)
    codebook = _codebook(request)
    async with request.form(max_part_size=MAX_UPLOAD_BYTES + 64 * 1024) as form:
        upload_file = form.get("file")
        token = form.get("dataset")
        name = str(form.get("dataset_name") or "")[:200]
        fields = [
            (k, v)
            for k, v in form.multi_items()
            if isinstance(v, str) and k not in ("file", "dataset", "dataset_name")
        ]
        if form.get("clear"):  # "Wis filters": the whole file again
            fields = []
        if isinstance(upload_file, UploadFile) and upload_file.filename:
            name = upload_file.filename
            items, errors = await _read_upload(upload_file, codebook, lang)
        elif isinstance(token, str) and token:
            items, errors = await run_in_threadpool(read_dataset, token, codebook)
        else:
            items, errors = [], [_("Kies een CSV-bestand om te analyseren.")]
    # The analysis of up to 5 000 rows takes a while: off the event loop.
    return await run_in_threadpool(_analyse_upload, request, lang, items, errors, name, fields)


def _analyse_upload(
    request: Request,
    lang: str,
    items: list[InitiativeBase],
    errors: list[str],
    name: str,
    fields: list[tuple[str, str]],
) -> HTMLResponse:
    set_language(lang)
    if errors:
        return _upload_error_page(request, lang, errors)
    records = to_records(items)
    # The posted filters read as the landscape page reads its query string.
    view = Request({**request.scope, "query_string": urlencode(fields).encode()}, request.receive)
    sel = _select(view, records)
    context = _dashboard_context(
        view,
        sel.index,
        sel.mask,
        sel.filters,
        sel.errors,
        lang,
        uploaded=name or _("zonder naam"),
        municipality=_municipality_view(view, sel, lang),
    )
    context["dataset"] = encode_dataset(items)
    # The language switch posts the rows and the view along, like the other forms.
    context["upload_carry"] = [
        ("dataset", context["dataset"]),
        ("dataset_name", context["uploaded"]),
        *fields,
    ]
    return render(request, "landscape.html", context)


@router.get("/landschap/upload")
def upload_again() -> RedirectResponse:
    """A reload or bookmark of an analysis: the rows were never kept, so upload again."""
    return RedirectResponse("/landschap#upload", status_code=303)


@router.get("/landschap/sjabloon.csv")
def upload_template(request: Request) -> Response:
    """The template for an own survey: Dutch column names and one example row."""
    body = template_csv(_codebook(request), date.today())
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'},
    )


@router.get("/landschap/codeboek", response_class=HTMLResponse)
def upload_codebook(request: Request) -> HTMLResponse:
    """Every column of the template and every value a coded column accepts."""
    lang = _lang(request)
    context = codebook_context(_codebook(request), lang)
    return render(request, "landscape_codebook.html", context)
