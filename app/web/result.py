"""The result page, its what-if panel, the two plan PDFs and anonymous saving.

Routes stay thin: answers → Intake → engine → template. The what-if answers travel in
their own `wi_…` parameters, so the real answers (and every download link built from
them) stay as the intake gave them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app.advice.compare import AdviceDiff, compare
from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.advice.models import Advice
from app.api.errors import describe
from app.catalogue.service import save_anonymous
from app.core.cpu import run_cpu_bound
from app.core.i18n import current_language, ngettext_, set_language
from app.core.i18n import gettext_ as _
from app.core.rate_limit import check_rate
from app.web.intake_form import CHOICES, Answers, first_invalid_step, to_intake
from app.web.pages import _prepare, _render_step, _step_url, form_pairs, push_url
from app.web.plan import (
    PlanKind,
    arrange,
    count_elements,
    count_offers,
    offer_place,
    render_plan_pdf,
    scale_words,
    short_description,
    split_first,
)
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("eenzaamheidswijzer")

# The answers the what-if panel can change, in the order it shows them.
WHATIF_FIELDS = ("problem_nature", "wants_contact", "coping", "course")
WHATIF_PREFIX = "wi_"
# The course as derived (from the duration or the nature of the problem), in the panel.
COURSE_DERIVED = "auto"
WHATIF_TARGET = "whatif"
# "Link delen": the share box asks for the address that carries the answers, on request only.
SHARE = "share"
SHARE_TARGET = "share"


@dataclass(frozen=True)
class WhatIf:
    """A hypothetical intake beside the real one, and what it changes in the plan."""

    answers: Answers
    advice: Advice
    changed: dict[str, str]  # field → the real answer in words, for each changed answer
    diff: AdviceDiff


def _whatif_values(controls: Mapping[str, str], answers: Answers) -> dict[str, str]:
    """The panel's answers: the hypothetical ones given, else the real ones."""
    values = {}
    for name in WHATIF_FIELDS:
        given = controls.get(WHATIF_PREFIX + name)
        real = answers.get(name) or (COURSE_DERIVED if name == "course" else "")
        allowed = CHOICES[name] | ({COURSE_DERIVED} if name == "course" else set())
        values[name] = given if given is not None and given in allowed and given else real
    return values


def _answer_words(knowledge: Knowledge, name: str, value: str, advice: Advice, lang: str) -> str:
    if name == "course" and value in ("", COURSE_DERIVED):
        # Say what the course was derived as, so the worker sees what the what-if changes.
        derived = knowledge.label("course", advice.course, lang)
        return _("zoals afgeleid ({course})").format(course=derived.lower())
    return knowledge.label(name, value, lang)


def _whatif(
    request: Request, answers: Answers, advice: Advice, values: dict[str, str]
) -> WhatIf | None:
    """The hypothetical advice, when the panel's answers differ from the real ones."""
    real = {n: answers.get(n) or (COURSE_DERIVED if n == "course" else "") for n in WHATIF_FIELDS}
    if values == real:
        return None
    knowledge: Knowledge = request.app.state.knowledge
    lang = current_language()
    changes = {n: ("" if v == COURSE_DERIVED else v) for n, v in values.items()}
    hypothetical = answers.replace(**changes)
    other = advise(to_intake(hypothetical), knowledge, request.app.state.catalogue.get(), lang=lang)
    return WhatIf(
        answers=hypothetical,
        advice=other,
        changed={
            n: _answer_words(knowledge, n, real[n], advice, lang)
            for n in WHATIF_FIELDS
            if values[n] != real[n]
        },
        diff=compare(advice, other),
    )


def _advice_or_step(
    request: Request, answers: Answers, knowledge: Knowledge, *, posted: bool
) -> Advice | Response:
    """The advice, or the first step that needs fixing with its messages."""
    if not posted and not answers.pairs():
        # No answers in the address (a reload, or a bookmark of /advies): the intake's start,
        # from which app.js posts the answers this tab still holds, if any.
        return _render_step(request, "context", answers, {}, knowledge)
    invalid = first_invalid_step(answers)
    if invalid is not None:
        step_id, errors = invalid
        if posted or is_htmx(request):
            return _render_step(request, step_id, answers, errors, knowledge)
        return RedirectResponse(_step_url(step_id, answers, check="1"), status_code=303)
    return advise(
        to_intake(answers), knowledge, request.app.state.catalogue.get(), lang=current_language()
    )


@router.get("/advies", response_class=HTMLResponse)
def result(request: Request) -> Response:
    """The result of a shared link ("Link delen"): the answers are in its query string."""
    answers, _k = _prepare(request)
    return _result(request, answers, request.query_params, posted=False)


@router.post("/advies", response_class=HTMLResponse)
async def result_posted(request: Request) -> Response:
    """The result of the overview's form, and of the what-if panel: answers in the body."""
    pairs = await form_pairs(request)
    answers, _k = _prepare(request, pairs)
    return await run_cpu_bound(_result, request, answers, dict(pairs), posted=True)


def _result(
    request: Request, answers: Answers, controls: Mapping[str, str], *, posted: bool
) -> Response:
    outcome = _advice_or_step(request, answers, request.app.state.knowledge, posted=posted)
    if isinstance(outcome, Response):
        return outcome
    context = _result_context(request, answers, outcome, controls)
    if controls.get(SHARE) == "1":
        context["share_url"] = share_url(answers)
    target = request.headers.get("hx-target") if is_htmx(request) else None
    if target in (WHATIF_TARGET, SHARE_TARGET):
        # The what-if panel or the share box swaps only itself: the advice stays as it is.
        context["whatif_open"] = target == WHATIF_TARGET
        return render(request, "result.html", context, block=target)
    block = "main" if is_htmx(request) else None
    headers = push_url(request, "/advies")
    return render(request, "result.html", context, block=block, headers=headers)


def share_url(answers: Answers) -> str:
    """The address that shows this advice again: all answers in its query string.

    Relative: the page makes it absolute with its own origin (never the Host header).
    """
    return f"/advies?{answers.query()}"


async def _pdf(request: Request, kind: PlanKind) -> Response:
    if request.method == "POST":
        answers, knowledge = _prepare(request, await form_pairs(request))
    else:
        answers, knowledge = _prepare(request)
    outcome = await run_in_threadpool(
        _advice_or_step, request, answers, knowledge, posted=request.method == "POST"
    )
    if isinstance(outcome, Response):
        return outcome
    pdf = await run_in_threadpool(render_plan_pdf, outcome, knowledge, kind, to_intake(answers))
    today = datetime.now(UTC).date().isoformat()
    name = "plan" if kind == "client" else "dossier"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="eenzaamheidswijzer-{name}-{today}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.api_route("/advies/plan.pdf", methods=["GET", "POST"])
async def plan_pdf(request: Request) -> Response:
    """The plan for the client: plain words, the next steps and where to go."""
    return await _pdf(request, "client")


@router.api_route("/advies/plan-dossier.pdf", methods=["GET", "POST"])
async def plan_file_pdf(request: Request) -> Response:
    """The plan for the file or a colleague: the intake in words and the reasoning."""
    return await _pdf(request, "file")


def advice_view_context(advice: Advice, knowledge: Knowledge, lang: str) -> dict[str, Any]:
    """What templates/_advice_sections.html needs to show an advice (the result page and the
    trainers' persona page)."""
    return {
        "advice": advice,
        "view": arrange(advice, knowledge, lang),
        "k": knowledge,
        "place": lambda o: offer_place(o, knowledge, lang),
        "scale_words": scale_words,
        "short_description": short_description,
        "split_first": split_first,
        "count_offers": count_offers,
        "count_elements": count_elements,
    }


def _result_context(
    request: Request, answers: Answers, advice: Advice, controls: Mapping[str, str]
) -> dict[str, Any]:
    knowledge: Knowledge = request.app.state.knowledge
    lang = current_language()
    values = _whatif_values(controls, answers)
    whatif = _whatif(request, answers, advice, values)
    return {
        **advice_view_context(advice, knowledge, lang),
        "answers": answers,
        "hidden": answers.pairs(),
        "whatif": whatif,
        "whatif_values": values,
        "whatif_open": whatif is not None,
        "whatif_fields": WHATIF_FIELDS,
        "course_derived": COURSE_DERIVED,
        "saved": None,
        "save_error": None,
        "share_url": None,
    }


@router.post("/advies/bewaar", response_class=HTMLResponse)
async def save_anonymous_page(request: Request) -> Response:
    """Store a pseudonymous record of this advice, on explicit request only."""
    form = await request.form()
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    answers = Answers.from_pairs((k, v) for k, v in form.multi_items() if isinstance(v, str))
    invalid = first_invalid_step(answers)
    if invalid is not None:
        # The step that needs fixing, with its message; the answers stay in the form.
        return _render_step(request, invalid[0], answers, invalid[1], request.app.state.knowledge)
    intake = to_intake(answers)
    # Off the event loop: matching walks the whole catalogue.
    advice = await run_cpu_bound(
        advise,
        intake,
        request.app.state.knowledge,
        request.app.state.catalogue.get(),
        lang=current_language(),
    )
    context = _result_context(request, answers, advice, {})
    status, headers = 200, None
    if form.get("consent") != "yes":
        context["save_error"] = _("Vink aan dat u dit anonieme record wilt bewaren.")
    elif (wait := check_rate(request, SAVE_ACTION)) is not None:
        # Too many saves: nothing is stored, the advice and the answers stay on the page.
        status, headers = 429, {"Retry-After": str(wait)}
        context["save_error"] = too_many_saves(wait)
    else:
        try:
            code = await run_in_threadpool(save_anonymous, request.app.state.engine, intake, advice)
        except SQLAlchemyError as exc:
            # The statement's parameters are answers: log the class and frames only.
            log.error("anonymous save failed: %s", describe(exc))
            context["save_error"] = _(
                "Het anonieme record werd niet bewaard: de databank weigerde het. Het advies "
                "hieronder blijft geldig; probeer later opnieuw."
            )
        else:
            context["saved"] = {"code": code}
    block = "save" if is_htmx(request) else None
    return render(request, "result.html", context, block=block, status_code=status, headers=headers)


# The rate limits' name for saving (app/core/rate_limit.py; settings save_limit_*).
SAVE_ACTION = "save"


def too_many_saves(wait: int) -> str:
    """The message when the save limit is reached: how long to wait, and that nothing is lost."""
    return ngettext_(
        "Er werden in korte tijd te veel anonieme records bewaard. Wacht {n} seconde en "
        "probeer dan opnieuw. Het advies blijft staan en uw antwoorden gaan niet verloren.",
        "Er werden in korte tijd te veel anonieme records bewaard. Wacht {n} seconden en "
        "probeer dan opnieuw. Het advies blijft staan en uw antwoorden gaan niet verloren.",
        wait,
    ).format(n=wait)
