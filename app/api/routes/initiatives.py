"""Read-only catalogue of initiatives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from app.api.errors import API_ERRORS
from app.catalogue.models import Initiative, InitiativePublic
from app.catalogue.service import initiatives_page
from app.core.db import SessionDep
from app.domain.vocabulary import ElementId, TargetAgeGroup

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


@router.get("/initiatives/{initiative_id}", response_model=InitiativePublic)
def get_initiative(initiative_id: int, session: SessionDep) -> InitiativePublic:
    """One initiative by id."""
    # Ids are 32-bit integers (PostgreSQL's int4): a larger one overflows the query.
    row = session.get(Initiative, initiative_id) if 0 < initiative_id <= MAX_ID else None
    if row is None:
        raise HTTPException(status_code=404, detail=f"initiative {initiative_id} not found")
    return InitiativePublic.model_validate(row)
