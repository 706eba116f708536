"""GET /api/v1/landscape and /api/v1/landscape/crosstab (DOMAIN.md §7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, create_model

from app.api.errors import API_ERRORS
from app.landscape.api_support import (
    LANGS,
    catalogue_records,
    crosstab_parameters,
    filter_parameters,
    labeller,
)
from app.landscape.explain import describe_crosstab
from app.landscape.facets import FACETS, FilterError, Filters
from app.landscape.gaps import gaps_from_counts, render_gaps
from app.landscape.index import landscape_index
from app.landscape.service import Cell, landscape_from_counts

router = APIRouter(prefix="/api/v1", tags=["landscape"], responses=API_ERRORS)


# Documentation of the bodies the services build (response_model=None: the dicts are
# sent as built, and the schemathesis test checks that they fit these models).
class FacetShare(BaseModel):
    count: int
    percent: float


FacetCounts = create_model(  # one field per facet, in the order of DOMAIN.md
    "FacetCounts",
    **{facet: (dict[str, FacetShare], ...) for facet in FACETS},  # type: ignore[call-overload]
    element_count=(dict[str, int], ...),
)


class GapAction(BaseModel):
    text: str
    source: str


class GapOut(BaseModel):
    id: str
    kind: str
    severity: str
    text: str
    source: str
    group: str  # "missing" (the offer lacks it) or "unknown" (the records do not say)
    action: GapAction | None  # what a local government can do, with its source
    figures: dict[str, Any]


class LandscapeOut(BaseModel):
    n: int
    facets: FacetCounts
    gaps: list[GapOut]
    filters: dict[str, str]


class CellOut(BaseModel):
    facet: str
    id: str


class CrosstabOut(BaseModel):
    row: CellOut
    col: CellOut
    n: int
    counts: list[list[int]]
    column_percentages: list[list[float]]
    expected: list[list[float]] | None
    chi2: float | None
    df: int
    p: float | None
    p_exact: float | None
    p_fisher: float | None  # Fisher's exact p, when an expected count is below 5
    warnings: list[str]
    summary: str  # the result in one plain sentence, in `lang`


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
    lang = request.query_params.get("lang", "nl")
    if lang not in LANGS:
        raise FilterError("lang", "lang must be one of: " + ", ".join(LANGS))
    return lang


FILTER_DOC = (
    "Filters, all optional and combinable: `municipality`, `min_elements`, `max_elements`, and "
    "any facet (" + ", ".join(f"`{f}`" for f in FACETS) + ") with one or more ids, comma "
    "separated or repeated. Within a facet any id matches; across facets all must hold. "
    "An unknown parameter or id is refused (422) with the parameter named."
)


# The query string is parsed by hand (Filters.parse) so that an unknown parameter is
# refused by name; `openapi_extra` declares the same parameters for clients and fuzzers.
@router.get(
    "/landscape",
    description=FILTER_DOC,
    response_model=None,
    responses={200: {"model": LandscapeOut}},
    openapi_extra={"parameters": filter_parameters()},
)
def get_landscape(request: Request) -> Any:
    """Counts and percentages per facet over the (filtered) catalogue, and the gaps."""
    try:
        lang = _lang(request)
        filters = Filters.parse(request.query_params.multi_items(), ignore=("lang",))
    except FilterError as exc:
        return _error(exc)
    index = landscape_index(catalogue_records(request))
    mask = index.mask(filters)
    n = index.count(mask)
    label = labeller(request.app.state.knowledge, lang)
    counts = index.facet_counts(mask)
    gaps = gaps_from_counts(n, counts, index.unspecified_dimensions(mask), label)
    return {
        **landscape_from_counts(n, counts),
        "gaps": render_gaps(gaps, request.app.state.knowledge.gaps, lang),
        "filters": dict(filters.as_pairs()),
    }


@router.get(
    "/landscape/crosstab",
    description="`row` and `col` as facet:id. " + FILTER_DOC,
    response_model=None,
    responses={200: {"model": CrosstabOut}},
    openapi_extra={"parameters": crosstab_parameters()},
)
def get_crosstab(request: Request) -> Any:
    """A 2×2 crosstab of two facet values with Pearson's chi-square (no continuity correction)."""
    params = request.query_params
    try:
        for name in ("row", "col"):
            if not params.get(name):
                raise FilterError(name, f"{name} is required, e.g. {name}=elements:meeting")
        row = Cell.parse(params["row"], "row")
        col = Cell.parse(params["col"], "col")
        lang = _lang(request)
        filters = Filters.parse(params.multi_items(), ignore=("row", "col", "lang"))
    except FilterError as exc:
        return _error(exc)
    index = landscape_index(catalogue_records(request))
    result = index.crosstab(index.mask(filters), row, col)
    label = labeller(request.app.state.knowledge, lang)
    result["summary"] = describe_crosstab(
        result, label(row.facet, row.id), label(col.facet, col.id), lang
    )
    return result
