"""Trainer mode pages (issue 12): the persona library, a persona's page and its worksheets.

Routes stay thin: persona → its intake → the engine → the same view of the advice that the
result page uses (app.web.plan.arrange). The personas are fictional, so their ids may
appear in addresses; their advice is never saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.advice.models import Advice
from app.core.i18n import current_language, ngettext_
from app.core.i18n import gettext_ as _
from app.domain.intake import derive_course, derive_facts
from app.domain.vocabulary import AgeGroup, Course, Dimension, ElementId
from app.training.personas import Persona, load_personas, persona_by_id
from app.web.intake_form import age_range
from app.web.plan import (
    intake_summary,
)
from app.web.result import advice_view_context
from app.web.templating import is_htmx, render
from app.web.training_voting import remember_start_form, start_form

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Card:
    """One persona in the library, with the facts a trainer chooses by."""

    persona: Persona
    profile: str  # the three answers in words
    age_group: AgeGroup
    course: Course
    dimensions: tuple[str, ...]


def profile_words(profile_id: str, knowledge: Knowledge, lang: str) -> str:
    """ "Situationeel · wil contact · actief": a profile id's three answers in words."""
    nature, need, coping = profile_id.split("-")
    return " · ".join(
        (
            knowledge.label("problem_nature", nature, lang),
            knowledge.label("wants_contact", "true" if need == "need" else "false", lang).lower(),
            knowledge.label("coping", coping, lang).lower(),
        )
    )


def _card(persona: Persona, knowledge: Knowledge, lang: str) -> Card:
    # The engine's own derivations: course from duration or nature, dimensions from the scale.
    facts = derive_facts(persona.intake_model)
    course, _basis = derive_course(persona.intake_model)
    return Card(
        persona=persona,
        profile=profile_words(persona.profile_id, knowledge, lang),
        age_group=persona.intake_model.age_group,
        course=course,
        dimensions=tuple(
            knowledge.label("dimensions", d.value, lang)
            for d in sorted(facts.dimensions, key=list(Dimension).index)
        ),
    )


def _page(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    block = "main" if is_htmx(request) else None
    return render(request, template, context, block=block)


def _not_found(request: Request) -> HTMLResponse:
    return render(
        request,
        "training/persona_missing.html",
        {},
        status_code=404,
        block="main" if is_htmx(request) else None,
    )


@router.get("/training", response_class=HTMLResponse)
def library(request: Request, leeftijd: str = "", verloop: str = "") -> HTMLResponse:
    """The persona library: a card per persona, filterable by age group and course."""
    knowledge: Knowledge = request.app.state.knowledge
    lang = current_language()
    cards = [_card(p, knowledge, lang) for p in load_personas(lang)]
    ages = [g for g in AgeGroup if any(c.age_group is g for c in cards)]
    # An unknown filter value is ignored rather than refused: the library simply shows all.
    age = next((g for g in ages if g.value == leeftijd), None)
    course = next((c for c in Course if c.value == verloop), None)
    shown = [
        c
        for c in cards
        if (age is None or c.age_group is age) and (course is None or c.course is course)
    ]
    return _page(
        request,
        "training/library.html",
        {
            "k": knowledge,
            "cards": shown,
            "total": len(cards),
            "ages": ages,
            "age": age,
            "course": course,
            "courses": list(Course),
            "age_range": age_range,
        },
    )


def _advice(request: Request, persona: Persona) -> Advice:
    knowledge: Knowledge = request.app.state.knowledge
    return advise(
        persona.intake_model, knowledge, request.app.state.catalogue.get(), lang=current_language()
    )


def _answers(persona: Persona, advice: Advice, knowledge: Knowledge, lang: str) -> list[Any]:
    """The intake in words, as the file's plan says it, plus the age and the municipality."""
    rows = intake_summary(advice, knowledge, lang, persona.intake_model)
    intake = persona.intake_model
    if intake.age is not None:
        # ngettext: the catalogue holds "{n} jaar" as a plural ("1 year", "31 years").
        age = ngettext_("{n} jaar", "{n} jaar", intake.age).format(n=intake.age)
        rows.insert(0, (_("Leeftijd"), age))
    if intake.municipality:
        rows.append((_("Gemeente"), intake.municipality))
    return rows


def _persona_context(request: Request, persona: Persona, advice: Advice) -> dict[str, Any]:
    knowledge: Knowledge = request.app.state.knowledge
    lang = current_language()
    return {
        **advice_view_context(advice, knowledge, lang),
        "persona": persona,
        "profile": profile_words(persona.profile_id, knowledge, lang),
        "answers": _answers(persona, advice, knowledge, lang),
    }


async def _persona_page(request: Request, persona_id: str, template: str) -> Response:
    persona = persona_by_id(persona_id, current_language())
    if persona is None:
        return _not_found(request)
    # Off the event loop: matching walks the whole catalogue.
    advice = await run_in_threadpool(_advice, request, persona)
    context = _persona_context(request, persona, advice)
    if template == "training/persona.html":
        return _with_vote_form(request, template, context)
    if template == "training/worksheet.html":
        knowledge: Knowledge = request.app.state.knowledge
        lang = current_language()
        # Every element to choose from, in the rules' order: the plan is not singled out.
        context["choices"] = [
            knowledge.elements[e].label.get(lang)
            for e in sorted(knowledge.elements, key=lambda e: knowledge.element_order.get(e, 0))
            if e is not ElementId.other
        ]
    return _page(request, template, context)


def _with_vote_form(request: Request, template: str, context: dict[str, Any]) -> Response:
    """The persona page with the form that opens a voting round (app/web/training_voting.py)."""
    form = start_form(request)
    context["vote_token"] = form.token
    response = _page(request, template, context)
    remember_start_form(request, response, form)
    return response


@router.get("/training/persona/{persona_id}", response_class=HTMLResponse)
async def persona_page(request: Request, persona_id: str) -> Response:
    """A persona: the story, the intake in words, the full advice and the learning points."""
    return await _persona_page(request, persona_id, "training/persona.html")


@router.get("/training/persona/{persona_id}/werkblad", response_class=HTMLResponse)
async def worksheet(request: Request, persona_id: str) -> Response:
    """The printable worksheet: story, intake, questions and room to write; no answers."""
    return await _persona_page(request, persona_id, "training/worksheet.html")


@router.get("/training/persona/{persona_id}/antwoorden", response_class=HTMLResponse)
async def answer_key(request: Request, persona_id: str) -> Response:
    """The printable answer key: the plan with its reasons, what to avoid, learning points."""
    return await _persona_page(request, persona_id, "training/answers.html")
