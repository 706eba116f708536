"""GET /api/v1/landscape and /api/v1/landscape/crosstab (DOMAIN.md §7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.landscape.api_support import catalogue_records, labeller
from app.landscape.facets import FACETS, FilterError, Filters
from app.landscape.gaps import find_gaps, render_gaps
from app.landscape.service import Cell, all_facet_counts, crosstab, landscape

router = APIRouter(prefix="/api/v1", tags=["landscape"])


def _error(exc: FilterError) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={
            "detail": [
                {
                    "field": exc.field,
                    "loc": ["query", exc.field],
                    "msg": str(exc),
                    "type": "value_error",
                }
            ]
        },
    )


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "nl"


FILTER_DOC = (
    "Filters, all optional and combinable: `municipality`, `min_elements`, `max_elements`, and "
    "any facet (" + ", ".join(f"`{f}`" for f in FACETS) + ") with one or more ids, comma "
    "separated or repeated. Within a facet any id matches; across facets all must hold."
)


@router.get("/landscape", description=FILTER_DOC)
def get_landscape(request: Request) -> Any:
    """Counts and percentages per facet over the (filtered) catalogue, and the gaps."""
    try:
        filters = Filters.parse(request.query_params.multi_items(), ignore=("lang",))
    except FilterError as exc:
        return _error(exc)
    records = filters.apply(catalogue_records(request))
    lang = _lang(request)
    label = labeller(request.app.state.knowledge, lang)
    counts = all_facet_counts(records)
    gaps = find_gaps(records, label, counts)
    return {
        **landscape(records, counts),
        "gaps": render_gaps(gaps, request.app.state.knowledge.gaps, lang),
        "filters": dict(filters.as_pairs()),
    }


@router.get("/landscape/crosstab", description="`row` and `col` as facet:id. " + FILTER_DOC)
def get_crosstab(request: Request) -> Any:
    """A 2×2 crosstab of two facet values with Pearson's chi-square (no continuity correction)."""
    params = request.query_params
    try:
        for name in ("row", "col"):
            if not params.get(name):
                raise FilterError(name, f"{name} is required, e.g. {name}=elements:meeting")
        row = Cell.parse(params["row"], "row")
        col = Cell.parse(params["col"], "col")
        filters = Filters.parse(params.multi_items(), ignore=("row", "col", "lang"))
    except FilterError as exc:
        return _error(exc)
    return crosstab(filters.apply(catalogue_records(request)), row, col)
