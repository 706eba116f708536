"""POST /api/v1/advice: the intake in, the explained advice out."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from app.advice.engine import advise
from app.advice.models import Advice
from app.domain.intake import Intake

router = APIRouter(prefix="/api/v1", tags=["advice"])

Lang = Literal["nl", "en"]


@router.post("/advice", response_model=Advice)
def post_advice(intake: Intake, request: Request, lang: Lang = "nl") -> Advice:
    """Compute the advice for one intake. Nothing of the intake is stored or logged."""
    state = request.app.state
    return advise(intake, state.knowledge, state.catalogue.get(), lang=lang)
