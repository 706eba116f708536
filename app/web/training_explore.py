"""Trainer mode (issue 12): the eight profiles, compare, and the projector view.

Routes stay thin: app/training/explore.py runs the engine on the personas and says what
changes; the templates under templates/training/explore/ show it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.core.i18n import current_language
from app.core.i18n import gettext_ as _
from app.training.explore import (
    COLUMNS,
    OVERRIDES,
    QUESTIONS,
    TOP_ELEMENTS,
    presentation_slides,
    presets,
    profile_overview,
    read_comparison,
)
from app.training.personas import load_personas, persona_by_id
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)


@router.get("/training/profielen", response_class=HTMLResponse)
async def profiles(request: Request) -> Response:
    """The three questions as a tree, and per profile its direction and advice."""
    knowledge: Knowledge = request.app.state.knowledge
    lang = current_language()
    views = await run_in_threadpool(profile_overview, knowledge, load_personas(lang), lang)
    context = {"k": knowledge, "views": views, "questions": QUESTIONS, "top": TOP_ELEMENTS}
    return render(
        request,
        "training/explore/profiles.html",
        context,
        block="main" if is_htmx(request) else None,
    )


@router.get("/training/vergelijk", response_class=HTMLResponse)
async def compare_page(request: Request) -> Response:
    """Two or three personas side by side, each with optional what-if answers."""
    knowledge: Knowledge = request.app.state.knowledge
    lang = current_language()
    personas = load_personas(lang)
    comparison = await run_in_threadpool(
        read_comparison,
        request.query_params,
        {p.id: p for p in personas},
        knowledge,
        request.app.state.catalogue.get(),
        lang,
    )
    context = {
        "k": knowledge,
        "personas": personas,
        "comparison": comparison,
        "presets": presets(personas),
        "columns": COLUMNS,
        "overrides": OVERRIDES,
        "top": TOP_ELEMENTS,
    }
    # The shareable address holds only persona ids and what-if answers, never an intake.
    headers = {"HX-Push-Url": comparison.url} if is_htmx(request) else None
    return render(
        request,
        "training/explore/compare.html",
        context,
        # htmx swaps no 4xx answer; the message shows in the swapped page all the same.
        status_code=400 if comparison.errors and not is_htmx(request) else 200,
        block="main" if is_htmx(request) else None,
        headers=headers,
    )


@router.get("/training/persona/{persona_id}/presentatie", response_class=HTMLResponse)
async def presentation(request: Request, persona_id: str) -> Response:
    """A persona for the projector: one idea per screen, the sources on the last."""
    lang = current_language()
    persona = persona_by_id(persona_id, lang)
    if persona is None:
        return render(
            request,
            "error.html",
            {
                "title": _("Persona niet gevonden"),
                "message": _(
                    "Er is geen persona met dit adres. Kies een persona in de bibliotheek."
                ),
            },
            status_code=404,
        )
    if is_htmx(request):
        # A page of its own (no site menu, its own script): a boosted link loads it whole.
        return Response(status_code=204, headers={"HX-Redirect": request.url.path})
    knowledge: Knowledge = request.app.state.knowledge
    advice = await run_in_threadpool(
        advise, persona.intake_model, knowledge, request.app.state.catalogue.get(), lang
    )
    slides = presentation_slides(persona, advice, knowledge, lang)
    return render(
        request,
        "training/explore/presentation.html",
        {"persona": persona, "slides": slides},
    )
