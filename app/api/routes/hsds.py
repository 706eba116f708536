"""Open Referral HSDS 3.0 API over the catalogue (issue 11): read-only and public.

The paths, parameters and the page object follow the HSDS 3.0 OpenAPI description
(`/services`, `/services/{id}`, `/taxonomies`, `/taxonomy_terms`, `page`, `per_page`,
`total_items`, `contents`, ...); the mapping itself is app.catalogue.hsds. Pages are read
from the database, never the whole catalogue.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.errors import API_ERRORS
from app.catalogue import hsds
from app.core.db import SessionDep
from app.domain.places import load_places
from app.landscape.api_support import catalogue_records

router = APIRouter(prefix="/hsds", tags=["hsds"], responses=API_ERRORS)
# Far beyond any real catalogue (100 000 initiatives are 1 000 pages of 100), low enough
# that page × per_page stays a small number for the database.
MAX_PAGE = 1_000_000

Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PerPage = Annotated[
    int,
    Query(
        ge=1,
        le=hsds.MAX_PER_PAGE,
        description=f"Results per page (at most {hsds.MAX_PER_PAGE}).",
    ),
]
Search = Annotated[
    str | None,
    Query(max_length=200, description="Text in the name, description or goal (any case)."),
]


class ApiMeta(BaseModel):
    """What this API is: its HSDS version, profile and OpenAPI description."""

    version: str
    profile: str
    openapi_url: str


class HsdsPage(BaseModel):
    """A page of results as the HSDS API describes it."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


def _not_found(what: str, id_: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": f"{what} {id_} not found"})


def _mapper(request: Request) -> hsds.Mapper:
    knowledge = request.app.state.knowledge
    return hsds.Mapper(hsds.vocabulary(knowledge), load_places(), knowledge)


def _index(request: Request) -> hsds.ServiceIndex:
    index: hsds.ServiceIndex | None = getattr(request.app.state, "hsds_index", None)
    if index is None:
        index = hsds.ServiceIndex()
        request.app.state.hsds_index = index
    return index


def _clean(text: str | None) -> str | None:
    # No control characters (PostgreSQL refuses NUL in a parameter); blank means no filter.
    if text is None:
        return None
    kept = "".join(c for c in text if c.isprintable() or c == " ").strip()
    return kept or None


@router.get("/", response_model=ApiMeta)
def api_meta(request: Request) -> ApiMeta:
    """Information about this API: the HSDS version it serves (3.0), the profile and
    where its OpenAPI description is."""
    return ApiMeta(
        version=hsds.HSDS_VERSION,
        profile=hsds.HSDS_PROFILE,
        openapi_url=str(request.base_url) + "openapi.json",
    )


@router.get("/services", response_model=HsdsPage)
def list_services(
    request: Request,
    session: SessionDep,
    page: Page = 1,
    per_page: PerPage = hsds.DEFAULT_PER_PAGE,
    search: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words that must each occur in the name, description or goal (any "
            "case, with or without accents: as the catalogue search /aanbod).",
        ),
    ] = None,
    taxonomy_term_id: Annotated[
        uuid.UUID | None, Query(description="Only services with this taxonomy term.")
    ] = None,
    taxonomy_id: Annotated[
        uuid.UUID | None, Query(description="Only services with a term of this taxonomy.")
    ] = None,
    modified_after: Annotated[
        datetime | None,
        Query(
            description="Only services changed at or after this time (ISO 8601; UTC if "
            "no offset is given)."
        ),
    ] = None,
) -> JSONResponse:
    """Services (initiatives) in a stable order, each fully nested (organisation,
    locations with addresses, phones, contacts, attributes with their taxonomy terms).

    An unknown `taxonomy_term_id` or `taxonomy_id` matches no service; a page beyond the
    last is empty."""
    vocab = hsds.vocabulary(request.app.state.knowledge)
    term = vocab.by_id.get(str(taxonomy_term_id)) if taxonomy_term_id else None
    taxonomy = vocab.taxonomy_by_id.get(str(taxonomy_id)) if taxonomy_id else None
    text = _clean(search)
    search_ids = None
    if text:
        # Search the catalogue as the database holds it now: a change another worker
        # made reloads this worker's snapshot first (one tiny SELECT when nothing changed).
        request.app.state.catalogue.refresh()
        search_ids = hsds.matching_ids(catalogue_records(request), text)
    filters = hsds.ServiceFilter(
        search_ids=search_ids,
        taxonomy_term=term,
        taxonomy=taxonomy,
        modified_after=modified_after,
        nothing=(taxonomy_term_id is not None and term is None)
        or (taxonomy_id is not None and taxonomy is None),
    )
    result = hsds.services_page(session, _mapper(request), filters, page, per_page)
    return JSONResponse(result.as_json())


@router.get(
    "/services/{id}",
    response_model=dict[str, Any],
    responses={200: {"description": "A fully nested service (HSDS compiled/service.json)."}},
)
def get_service(id: str, request: Request, session: SessionDep) -> JSONResponse:
    """One service with all its related data, by its UUID."""
    try:
        wanted = str(uuid.UUID(id))
    except ValueError:
        return _not_found("service", id[:100])
    service = hsds.service_by_uuid(session, _mapper(request), _index(request), wanted)
    if service is None:
        return _not_found("service", wanted)
    return JSONResponse(service)


@router.get("/taxonomies", response_model=HsdsPage)
def list_taxonomies(
    request: Request,
    page: Page = 1,
    per_page: PerPage = hsds.DEFAULT_PER_PAGE,
    search: Search = None,
) -> JSONResponse:
    """The taxonomies: the 22 elements and the other facets of the report's matrix."""
    vocab = hsds.vocabulary(request.app.state.knowledge)
    wanted = (_clean(search) or "").casefold()
    items = [
        t.as_json()
        for t in vocab.taxonomies
        if wanted in t.name.casefold() or wanted in t.description.casefold()
    ]
    return JSONResponse(hsds.paged(items, page, per_page).as_json())


@router.get("/taxonomies/{id}", response_model=dict[str, Any])
def get_taxonomy(id: str, request: Request) -> JSONResponse:
    """One taxonomy by its UUID."""
    vocab = hsds.vocabulary(request.app.state.knowledge)
    taxonomy = vocab.taxonomy_by_id.get(id.strip().lower())
    if taxonomy is None:
        return _not_found("taxonomy", id[:100])
    return JSONResponse(taxonomy.as_json())


@router.get("/taxonomy_terms", response_model=HsdsPage)
def list_taxonomy_terms(
    request: Request,
    page: Page = 1,
    per_page: PerPage = hsds.DEFAULT_PER_PAGE,
    search: Search = None,
    taxonomy_id: Annotated[
        uuid.UUID | None, Query(description="Only the terms of this taxonomy.")
    ] = None,
) -> JSONResponse:
    """The taxonomy terms (the element ids, and `<facet>:<id>` for the other facets)."""
    vocab = hsds.vocabulary(request.app.state.knowledge)
    wanted = (_clean(search) or "").casefold()
    items = [
        t.as_json()
        for t in vocab.terms
        if (taxonomy_id is None or t.taxonomy_id == str(taxonomy_id))
        and (wanted in t.name.casefold() or wanted in t.code.casefold())
    ]
    return JSONResponse(hsds.paged(items, page, per_page).as_json())


@router.get("/taxonomy_terms/{id}", response_model=dict[str, Any])
def get_taxonomy_term(id: str, request: Request) -> JSONResponse:
    """One taxonomy term by its UUID."""
    vocab = hsds.vocabulary(request.app.state.knowledge)
    term = vocab.by_id.get(id.strip().lower())
    if term is None:
        return _not_found("taxonomy term", id[:100])
    return JSONResponse(term.as_json())


# Last: any other path under /hsds is a JSON 404 too (not the site's HTML error page).
@router.get("/{path:path}", include_in_schema=False)
def unknown_path(path: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": "no such HSDS resource"})
