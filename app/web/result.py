"""The result page, the plan PDF and anonymous saving.

Routes stay thin: answers → Intake → engine → template.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.advice.engine import advise
from app.advice.models import Advice
from app.catalogue.service import save_anonymous
from app.core.i18n import current_language, set_language
from app.core.i18n import gettext_ as _
from app.web.intake_form import Answers, first_invalid_step, to_intake
from app.web.pages import _prepare, _render_step, _step_url
from app.web.plan import render_plan_pdf
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)


def _advice_or_redirect(request: Request) -> tuple[Answers, Advice] | Response:
    answers, knowledge = _prepare(request)
    invalid = first_invalid_step(answers)
    if invalid is not None:
        step_id, errors = invalid
        if is_htmx(request):
            return _render_step(request, step_id, answers, errors, knowledge)
        return RedirectResponse(_step_url(step_id, answers, check="1"), status_code=303)
    advice = advise(
        to_intake(answers), knowledge, request.app.state.catalogue.get(), lang=current_language()
    )
    return answers, advice


@router.get("/advies", response_class=HTMLResponse)
def result(request: Request) -> Response:
    outcome = _advice_or_redirect(request)
    if isinstance(outcome, Response):
        return outcome
    answers, advice = outcome
    context = _result_context(request, answers, advice)
    block = "main" if is_htmx(request) else None
    headers = {"HX-Push-Url": f"/advies?{answers.query()}"} if block else None
    return render(request, "result.html", context, block=block, headers=headers)


@router.get("/advies/plan.pdf")
def plan_pdf(request: Request) -> Response:
    outcome = _advice_or_redirect(request)
    if isinstance(outcome, Response):
        return outcome
    _answers, advice = outcome
    pdf = render_plan_pdf(advice, request.app.state.knowledge)
    today = datetime.now(UTC).date().isoformat()
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="eenzaamheidswijzer-plan-{today}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _result_context(request: Request, answers: Answers, advice: Advice) -> dict[str, Any]:
    return {
        "advice": advice,
        "answers": answers,
        "k": request.app.state.knowledge,
        "hidden": answers.pairs(),
        "whatif_hidden": answers.pairs(exclude=("course", "wants_contact", "coping")),
        "query": answers.query(),
        "saved": None,
        "save_error": None,
    }


@router.post("/advies/bewaar", response_class=HTMLResponse)
async def save_anonymous_page(request: Request) -> Response:
    """Store a pseudonymous record of this advice, on explicit request only."""
    form = await request.form()
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    answers = Answers.from_pairs((k, v) for k, v in form.multi_items() if isinstance(v, str))
    if first_invalid_step(answers) is not None:
        return RedirectResponse(_step_url("review", answers, check="1"), status_code=303)
    intake = to_intake(answers)
    advice = advise(
        intake,
        request.app.state.knowledge,
        request.app.state.catalogue.get(),
        lang=current_language(),
    )
    context = _result_context(request, answers, advice)
    if form.get("consent") != "yes":
        context["save_error"] = _("Vink aan dat u dit anonieme record wilt bewaren.")
    else:
        context["saved"] = {"code": save_anonymous(request.app.state.engine, intake, advice)}
    block = "save" if is_htmx(request) else None
    return render(request, "result.html", context, block=block)
