"""POST /api/v1/advice: the intake in, the explained advice out."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response

from app.advice.engine import advise
from app.advice.models import Advice
from app.domain.intake import Intake

router = APIRouter(prefix="/api/v1", tags=["advice"])

Lang = Literal["nl", "en"]


@router.post("/advice", response_model=Advice)
def post_advice(intake: Intake, request: Request, lang: Lang = "nl") -> Response:
    """Compute the advice for one intake. Nothing of the intake is stored or logged."""
    state = request.app.state
    advice = advise(intake, state.knowledge, state.catalogue.get(), lang=lang)
    # The engine's output is already a validated Advice: serialise it once, directly.
    return Response(advice.model_dump_json(), media_type="application/json")
