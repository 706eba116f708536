"""HTML pages: home and the intake wizard (the result lives in app/web/result.py).

Every URL works as a full page without JavaScript; with htmx (HX-Request) the same URL
returns only the part that changes. Routes stay thin: answers → Intake → engine → template.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.advice.knowledge import Knowledge
from app.core.i18n import current_language, set_language
from app.core.i18n import gettext_ as _
from app.domain.scales import DJG6_ITEMS, score_djg6
from app.domain.vocabulary import DjgAnswer
from app.web.intake_form import (
    DJG6_FIELDS,
    STEP_BY_ID,
    STEP_IDS,
    Answers,
    neighbours,
    validate_step,
)
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)


def _prepare(request: Request) -> tuple[Answers, Knowledge]:
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    answers = Answers.from_pairs(request.query_params.multi_items())
    return answers, request.app.state.knowledge


def step_titles() -> dict[str, str]:
    return {
        "context": _("Context"),
        "questions": _("Drie vragen"),
        "course": _("Duur en verloop"),
        "dimensions": _("Dimensies"),
        "risks": _("Risicofactoren"),
        "scale": _("Schaal"),
        "review": _("Overzicht"),
    }


def _step_url(step_id: str, answers: Answers, **extra: str) -> str:
    query = answers.query(**extra)
    return f"/intake/{step_id}" + (f"?{query}" if query else "")


def _render_step(
    request: Request, step_id: str, answers: Answers, errors: dict[str, str], knowledge: Knowledge
) -> HTMLResponse:
    prev, nxt = neighbours(step_id)
    step_fields = STEP_BY_ID[step_id].fields
    context: dict[str, Any] = {
        "step": step_id,
        "steps": STEP_IDS,
        "titles": step_titles(),
        "position": STEP_IDS.index(step_id) + 1,
        "prev": prev,
        "next": nxt,
        "answers": answers,
        "errors": errors,
        "hidden": answers.pairs(exclude=step_fields),
        "k": knowledge,
        "djg6_items": DJG6_ITEMS,
        "djg6_fields": DJG6_FIELDS,
        "djg6_score": _djg6_score(answers),
        "review_rows": _review_rows(answers, knowledge) if step_id == "review" else [],
        "step_url": lambda s: _step_url(s, answers),
    }
    block = "main" if is_htmx(request) else None
    headers = {"HX-Push-Url": _step_url(step_id, answers)} if block else None
    return render(request, "intake.html", context, block=block, headers=headers)


def _djg6_score(answers: Answers) -> dict[str, object] | None:
    values = [answers.get(f) for f in DJG6_FIELDS]
    if not all(v in {a.value for a in DjgAnswer} for v in values):
        return None
    return score_djg6([DjgAnswer(v) for v in values]).as_dict()


def _review_rows(answers: Answers, k: Knowledge) -> list[tuple[str, str, str]]:
    """(step, question, answer) rows for the overview."""
    lang = current_language()

    def lab(section: str, value: str) -> str:
        return k.label(section, value, lang) if value else _("niet ingevuld")

    yes_no = {"true": _("ja"), "false": _("nee"), "": _("onbekend")}
    duration = answers.get("duration_months")
    score = _djg6_score(answers)
    return [
        ("context", _("Leeftijdsgroep"), lab("age_groups", answers.get("age_group"))),
        ("context", _("Gemeente"), answers.get("municipality") or _("niet ingevuld")),
        (
            "questions",
            _("Aard van het probleem"),
            lab("problem_nature", answers.get("problem_nature")),
        ),
        (
            "questions",
            _("Behoefte aan nieuwe contacten"),
            lab("wants_contact", answers.get("wants_contact")),
        ),
        ("questions", _("Copingstijl"), lab("coping", answers.get("coping"))),
        (
            "course",
            _("Duur"),
            _("{n} maanden").format(n=duration) if duration else _("niet ingevuld"),
        ),
        (
            "course",
            _("Verloop"),
            lab("course", answers.get("course"))
            if answers.get("course")
            else _("afgeleid uit duur of aard"),
        ),
        (
            "dimensions",
            _("Dimensies"),
            ", ".join(k.label("dimensions", d, lang) for d in answers.getlist("dimensions"))
            or _("geen gekozen"),
        ),
        ("dimensions", _("Sociaal geïsoleerd"), yes_no.get(answers.get("socially_isolated"), "")),
        (
            "risks",
            _("Risicofactoren"),
            ", ".join(k.label("risk_factors", r, lang) for r in answers.getlist("risk_factors"))
            or _("geen gekozen"),
        ),
        (
            "risks",
            _("Crisissignalen"),
            ", ".join(_crisis_label(c) for c in answers.getlist("crisis_signs")) or _("geen"),
        ),
        (
            "scale",
            _("De Jong Gierveld-schaal"),
            _("score {total} van 6").format(total=score["total"]) if score else _("niet afgenomen"),
        ),
    ]


def _crisis_label(sign: str) -> str:
    return {
        "suicidal_thoughts": _("Signalen van zelfmoordgedachten"),
        "acute_crisis": _("Acute crisis"),
    }.get(sign, sign)


def _goto(request: Request, step_id: str, answers: Answers, knowledge: Knowledge) -> Response:
    if is_htmx(request):
        return _render_step(request, step_id, answers, {}, knowledge)
    return RedirectResponse(_step_url(step_id, answers), status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    _answers, knowledge = _prepare(request)
    block = "main" if is_htmx(request) else None
    return render(request, "home.html", {"k": knowledge}, block=block)


@router.get("/intake")
def intake_start(request: Request) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse("/intake/context" + (f"?{query}" if query else ""), status_code=303)


@router.get("/intake/{step_id}", response_class=HTMLResponse)
def intake_step(
    request: Request, step_id: str, go: str | None = None, check: str | None = None
) -> Response:
    answers, knowledge = _prepare(request)
    if step_id not in STEP_IDS:
        raise HTTPException(status_code=404)
    prev, nxt = neighbours(step_id)
    errors: dict[str, str] = {}
    if go == "back" and prev:
        return _goto(request, prev, answers, knowledge)
    if go in STEP_IDS:  # jump from the progress bar, keeping this step's answers
        return _goto(request, go, answers, knowledge)
    if go == "next" or check:
        errors = validate_step(answers, step_id)
        if go == "next" and not errors and nxt:
            return _goto(request, nxt, answers, knowledge)
    return _render_step(request, step_id, answers, errors, knowledge)


@router.get("/intake/scale/score", response_class=HTMLResponse)
def scale_score(request: Request) -> HTMLResponse:
    """The live score of the 6-item scale (an htmx fragment)."""
    answers, _k = _prepare(request)
    return render(request, "_djg6_score_text.html", {"djg6_score": _djg6_score(answers)})
