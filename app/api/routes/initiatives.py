"""Read-only catalogue of initiatives."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlmodel import col, select

from app.api.errors import API_ERRORS
from app.catalogue.models import Initiative, InitiativePublic
from app.catalogue.search import SearchQuery, search_index
from app.catalogue.service import initiatives_page
from app.core.db import SessionDep
from app.domain.places import PROVINCES, load_places
from app.domain.vocabulary import (
    Approach,
    Course,
    EffectLadder,
    ElementId,
    GeographicLevel,
    InitiativeDimension,
    PreventionLevel,
    PrimaryActor,
    RiskFactor,
    TargetAgeGroup,
)
from app.landscape.api_support import catalogue_records

router = APIRouter(prefix="/api/v1", tags=["initiatives"], responses=API_ERRORS)
MAX_ID = 2**31 - 1


class InitiativePage(BaseModel):
    total: int
    items: list[InitiativePublic]


@router.get("/initiatives", response_model=InitiativePage)
def list_initiatives(
    session: SessionDep,
    municipality: Annotated[str | None, Query(max_length=100)] = None,
    element: ElementId | None = None,
    age_group: TargetAgeGroup | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InitiativePage:
    """Initiatives in id order, optionally filtered by municipality, element and age group;
    each with its referral details (phone, email, address, last_verified) when the
    catalogue has them. `total` counts every match; `limit` and `offset` pick the page."""
    total, rows = initiatives_page(
        session,
        municipality=municipality,
        element=element.value if element else None,
        age_group=age_group.value if age_group else None,
        limit=limit,
        offset=offset,
    )
    return InitiativePage(total=total, items=[InitiativePublic.model_validate(r) for r in rows])


Province = Literal[
    "Antwerpen", "Brussel", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant", "West-Vlaanderen"
]
assert set(get_args(Province)) == PROVINCES


class InitiativeSearchPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[InitiativePublic]
    # Per facet value, how many initiatives the search finds with that value added (the
    # facet's own filter left out, the other parameters kept).
    facets: dict[str, dict[str, int]]


def _facet(what: str) -> object:
    return Query(description=f"Only initiatives with any of these {what}; repeat the parameter.")


@router.get("/initiatives/search", response_model=InitiativeSearchPage)
def search_initiatives(
    request: Request,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words to find in name, goal and description (all of them; case "
            "and accents ignored). Sorts by relevance; without words, by name.",
        ),
    ] = None,
    municipality: Annotated[
        str | None,
        Query(
            max_length=100,
            description="A Flemish or Brussels municipality (name, former name or postcode): "
            "the offer located there, in its region, and Flanders-wide, as the advice matches.",
        ),
    ] = None,
    province: Annotated[
        Province | None,
        Query(description="The offer located in this province, and the Flanders-wide offer."),
    ] = None,
    elements: Annotated[list[ElementId] | None, _facet("elements")] = None,
    prevention_levels: Annotated[list[PreventionLevel] | None, _facet("prevention levels")] = None,
    dimensions: Annotated[list[InitiativeDimension] | None, _facet("dimensions")] = None,
    age_groups: Annotated[list[TargetAgeGroup] | None, _facet("age groups")] = None,
    risk_factors: Annotated[list[RiskFactor] | None, _facet("risk factors")] = None,
    geographic_level: Annotated[list[GeographicLevel] | None, _facet("geographic levels")] = None,
    effect_ladder: Annotated[list[EffectLadder] | None, _facet("effect ladder levels")] = None,
    primary_actor: Annotated[list[PrimaryActor] | None, _facet("primary actors")] = None,
    course: Annotated[list[Course] | None, _facet("courses")] = None,
    approach: Annotated[list[Approach] | None, _facet("approaches")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> InitiativeSearchPage:
    """Search the catalogue as /aanbod does: words, every facet of DOMAIN.md §5 (within a
    facet any of the ids, across facets all), municipality (with its reach) or province.
    `total` counts every match; `limit` and `offset` pick the page."""
    place = None
    if municipality and municipality.strip():
        place = load_places().find(municipality)
        if place is None:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("query", "municipality"),
                        "msg": "Unknown municipality: give a current or former name or a "
                        "postcode of a Flemish or Brussels municipality",
                        "input": municipality,
                    }
                ]
            )
    chosen = {
        "elements": elements,
        "prevention_levels": prevention_levels,
        "dimensions": dimensions,
        "age_groups": age_groups,
        "risk_factors": risk_factors,
        "geographic_level": geographic_level,
        "effect_ladder": effect_ladder,
        "primary_actor": primary_actor,
        "course": course,
        "approach": approach,
    }
    facets = {k: frozenset(v.value for v in vs) for k, vs in chosen.items() if vs}
    query = SearchQuery(q or "", facets, place, province)
    records = catalogue_records(request)
    result = search_index(records).search(query, load_places())
    ids = [records[int(i)].id for i in result.order[offset : offset + limit]]
    found = select(Initiative).where(
        col(Initiative.id).in_(ids), col(Initiative.archived_at).is_(None)
    )
    rows = {r.id: r for r in session.exec(found)}
    items = [InitiativePublic.model_validate(rows[i]) for i in ids if i in rows]
    return InitiativeSearchPage(
        total=result.total, limit=limit, offset=offset, items=items, facets=result.facet_counts
    )


@router.get("/initiatives/{initiative_id}", response_model=InitiativePublic)
def get_initiative(initiative_id: int, session: SessionDep) -> InitiativePublic:
    """One initiative by id."""
    # Ids are 32-bit integers (PostgreSQL's int4): a larger one overflows the query.
    row = session.get(Initiative, initiative_id) if 0 < initiative_id <= MAX_ID else None
    if row is None or row.archived_at is not None:  # archived: out of the catalogue
        raise HTTPException(status_code=404, detail=f"initiative {initiative_id} not found")
    return InitiativePublic.model_validate(row)
