"""POST /api/v1/advice: the intake in, the explained advice out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from fastapi import APIRouter, Request, Response

from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.advice.models import Advice
from app.api.errors import API_ERRORS, ErrorMessage
from app.catalogue.records import InitiativeRecord
from app.core.cpu import run_cpu_bound
from app.domain.intake import Intake

router = APIRouter(prefix="/api/v1", tags=["advice"], responses=API_ERRORS)

Lang = Literal["nl", "en"]


# The two refusals that come before the route: a cross-site POST and an oversized body.
BEFORE_ROUTE_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorMessage, "description": "Cross-site request refused (CSRF protection)"},
    413: {"model": ErrorMessage, "description": "Request body too large"},
}


@router.post("/advice", response_model=Advice, responses=BEFORE_ROUTE_ERRORS)
async def post_advice(intake: Intake, request: Request, lang: Lang = "nl") -> Response:
    """Compute the advice for one intake. Nothing of the intake is stored or logged."""
    state = request.app.state
    # In the thread pool, with its serialisation (some 30 KB of JSON): matching a
    # catalogue of 100 000 initiatives must not hold up the event loop and the others.
    body = await run_cpu_bound(_advice_json, intake, state.knowledge, state.catalogue.get(), lang)
    return Response(body, media_type="application/json")


def _advice_json(
    intake: Intake, knowledge: Knowledge, catalogue: Sequence[InitiativeRecord], lang: str
) -> bytes:
    """The advice as JSON bytes: the engine's output is already a validated Advice, so it is
    serialised once, directly (as model_dump_json, without decoding to str and encoding
    back)."""
    advice = advise(intake, knowledge, catalogue, lang=lang)
    return Advice.__pydantic_serializer__.to_json(advice)
