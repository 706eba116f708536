"""HTML pages: home and the intake wizard (the result lives in app/web/result.py).

Every URL works as a full page without JavaScript; with htmx (HX-Request) the same URL
returns only the part that changes. Routes stay thin: answers → Intake → engine → template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.advice.knowledge import Knowledge
from app.core.i18n import current_language, ngettext_, set_language
from app.core.i18n import gettext_ as _
from app.domain.intake import OLDER_AGE_FROM
from app.domain.places import load_places
from app.domain.scales import djg6_items, score_djg6
from app.domain.vocabulary import AgeGroup, CrisisSign, DjgAnswer, RiskFactor
from app.web.intake_form import (
    DJG6_FIELDS,
    STEP_BY_ID,
    STEP_IDS,
    Answers,
    age_range,
    check_municipality,
    course_warnings,
    derived_age_group,
    neighbours,
    normalise_answers,
    parse_age,
    validate_step,
    whole_number,
)
from app.web.synonyms import load_synonyms
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

# "?back_to=review" marks a step opened with "Wijzig" on the overview: its main button
# then validates the step and returns to the overview instead of going to the next step.
BACK_TO = "back_to"
REVIEW = "review"
# A "Wijzig" button on the overview names its step: the step opens in back-to-review mode.
EDIT = "edit"
# A suggested municipality name, as a button of the context step.
PICK_MUNICIPALITY = "pick_municipality"
# The datalist shows this many postcodes beside a name; Antwerpen alone has fifteen.
DATALIST_POSTCODES = 3
_TRAILING_NOTE = re.compile(r"\s*\([^)]*\)$")


# A request from app.js that restores a step or result on Back/Forward or reload: answer it
# without pushing a new history entry.
RESTORE_HEADER = "x-restore"


def _prepare(
    request: Request, pairs: list[tuple[str, str]] | None = None
) -> tuple[Answers, Knowledge]:
    """The answers of this request: the form body of a POST, else the query string.

    Forms post the answers, so that they stay out of the address bar, the browser's history
    list and the access logs of proxies. A query string still works, for a link made with
    "Link delen" and for older bookmarks.
    """
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    if pairs is None:
        pairs = request.query_params.multi_items()
    answers = Answers.from_pairs(pairs)
    return answers, request.app.state.knowledge


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The (name, value) pairs of a posted form, files left out."""
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def push_url(request: Request, path: str) -> dict[str, str] | None:
    """The HX-Push-Url header for an htmx navigation: the path only, never the answers."""
    if not is_htmx(request) or request.headers.get(RESTORE_HEADER) == "1":
        return None
    return {"HX-Push-Url": path}


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
    request: Request,
    step_id: str,
    answers: Answers,
    errors: dict[str, str],
    knowledge: Knowledge,
    *,
    back_to_review: bool = False,
) -> HTMLResponse:
    # A former name or a postcode becomes the current official name from here on.
    answers, place_notice = normalise_answers(answers)
    back_to_review = back_to_review and step_id != REVIEW
    prev, nxt = neighbours(step_id)
    step_fields = STEP_BY_ID[step_id].fields
    lang = current_language()
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
        "back_to_review": back_to_review,
        "place_notice": place_notice,
        "crisis": crisis_banner(answers, knowledge),
        "djg6_items": djg6_items(current_language()),
        "djg6_fields": DJG6_FIELDS,
        "djg6_score": _djg6_score(answers),
        "course_warnings": course_warnings(answers) if step_id in ("course", REVIEW) else [],
        "review_rows": _review_rows(answers, knowledge) if step_id == REVIEW else [],
    }
    if step_id == "context":
        context.update(_context_step(answers, knowledge, lang, back_to_review))
    if step_id == "risks":
        context["risk_options"] = _risk_options(knowledge, lang)
        age = parse_age(answers.get("age"))
        context["older_by_age"] = age if age is not None and age >= OLDER_AGE_FROM else None
    block = "main" if is_htmx(request) else None
    headers = push_url(request, f"/intake/{step_id}")
    return render(request, "intake.html", context, block=block, headers=headers)


def _context_step(
    answers: Answers, k: Knowledge, lang: str, back_to_review: bool
) -> dict[str, Any]:
    return {
        "age_options": age_options(k, lang),
        "older_age_from": OLDER_AGE_FROM,
        "places": municipality_options(),
        "suggestions": _place_suggestions(answers),
    }


def _place_suggestions(answers: Answers) -> list[str]:
    """Names close to an unknown municipality, closest first; each is a button that posts
    the step again with that name (PICK_MUNICIPALITY)."""
    return [m.name for m in check_municipality(answers.get("municipality")).suggestions]


def age_options(k: Knowledge, lang: str) -> list[tuple[str, str, None]]:
    """The age-group radios, each label with its ages: "Volwassenen (26–59 jaar)"."""
    options = []
    for group in AgeGroup:
        entry = k.vocabulary["age_groups"][group.value]
        # The vocabulary's "Ouderen (60+)" already names an age: show the range only once.
        name = _TRAILING_NOTE.sub("", entry.label.get(lang))
        # No description: beside the ages it would only lengthen a choice made in seconds.
        options.append((group.value, f"{name} ({age_range(group)})", None))
    return options


def municipality_options() -> list[tuple[str, str]]:
    """(name, label) for the datalist: postcodes, and former names since the 2025 mergers."""
    options = []
    for m in load_places().all():
        codes = ", ".join(m.postcodes[:DATALIST_POSTCODES])
        if len(m.postcodes) > DATALIST_POSTCODES:
            codes += ", …"
        label = codes
        if m.former:
            label += " · " + _("vroeger {names}").format(names=", ".join(m.former))
        options.append((m.name, label))
    return options


def _risk_options(k: Knowledge, lang: str) -> list[dict[str, str]]:
    """Risk-factor checkboxes with the folded text the search box looks in."""
    synonyms = load_synonyms()
    options = []
    for entry in k.vocabulary["risk_factors"].values():
        label = entry.label.get(lang)
        description = entry.description.get(lang) if entry.description else ""
        # Both languages' labels: a worker may think of the Dutch word in the English UI.
        options.append(
            {
                "id": entry.id,
                "label": label,
                "group": entry.group or "other",
                "search": synonyms.search_text(
                    RiskFactor(entry.id), entry.label.nl, entry.label.en, description
                ),
            }
        )
    return options


@dataclass(frozen=True)
class CrisisContact:
    name: str
    phone: str | None
    tel: str | None
    url: str | None
    note: str | None


def crisis_banner(answers: Answers, k: Knowledge) -> dict[str, Any] | None:
    """What the crisis banner shows for the ticked signs, from rules/signals.yaml.

    The numbers come from the same signal definitions as the result page, so both say
    the same. Awel is added for children and young people, and while the age is unknown.
    """
    signs = [s for s in answers.getlist("crisis_signs") if s in {c.value for c in CrisisSign}]
    if not signs:
        return None
    lang = current_language()
    group = derived_age_group(answers)
    young = group in (AgeGroup.children, AgeGroup.youth)
    # Every sign lists all crisis contacts (the worker may need any of them), those of the
    # ticked sign first; Awel first for a child or young person, last while the age is unknown.
    ids = ["crisis-youth"] if young else []
    if CrisisSign.suicidal_thoughts in signs:
        ids += ["crisis-suicide", "crisis-acute"]
    else:
        ids += ["crisis-acute", "crisis-suicide"]
    if group is None:
        ids.append("crisis-youth")
    youth = k.signals.get("crisis-youth")
    youth_names = {c.name for c in youth.contacts} if youth else set()
    contacts: dict[str, CrisisContact] = {}
    for signal_id in ids:
        signal = k.signals.get(signal_id)
        for c in signal.contacts if signal else ():
            note = c.note.get(lang) if c.note else None
            if note is None and c.name in youth_names:
                note = _("voor kinderen en jongeren")
            tel = re.sub(r"[^0-9+]", "", c.phone) if c.phone else None
            contacts.setdefault(c.name, CrisisContact(c.name, c.phone, tel, c.url, note))
    return {"signs": signs, "contacts": list(contacts.values())}


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
    age = parse_age(answers.get("age"))
    if age is None:
        age_text = _("niet ingevuld")
    else:
        age_text = ngettext_("{n} jaar", "{n} jaar", age).format(n=age)
        if age >= OLDER_AGE_FROM:
            age_text += " – " + _("hoge leeftijd: telt mee als risicofactor")
    group_labels = {value: label for value, label, _none in age_options(k, lang)}
    derived = derived_age_group(answers)
    if derived is None:
        group_text = _("niet ingevuld")
    elif answers.get("age_group"):
        group_text = group_labels[derived.value]
    else:
        group_text = _("{group} – afgeleid uit de leeftijd").format(
            group=group_labels[derived.value]
        )
    risks = [k.label("risk_factors", r, lang) for r in answers.getlist("risk_factors")]
    if (
        age is not None
        and age >= OLDER_AGE_FROM
        and "older_age" not in answers.getlist("risk_factors")
    ):
        risks.append(
            _("{label} (uit de leeftijd)").format(label=k.label("risk_factors", "older_age", lang))
        )
    return [
        (
            "context",
            _("Crisissignalen"),
            ", ".join(crisis_label(c) for c in answers.getlist("crisis_signs")) or _("geen"),
        ),
        ("context", _("Leeftijd"), age_text),
        ("context", _("Leeftijdsgroep"), group_text),
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
            ngettext_("{n} maand", "{n} maanden", months).format(n=months)
            if (months := whole_number(duration)) is not None
            else duration or _("niet ingevuld"),
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
            ", ".join(risks) or _("geen gekozen"),
        ),
        (
            "scale",
            _("De Jong Gierveld-schaal"),
            _("score {total} van 6").format(total=score["total"]) if score else _("niet afgenomen"),
        ),
    ]


def crisis_label(sign: str) -> str:
    """The short Dutch name of a crisis sign."""
    return {
        "suicidal_thoughts": _("Signalen van zelfmoordgedachten"),
        "acute_crisis": _("Acute crisis"),
    }.get(sign, sign)


def _goto(
    request: Request, step_id: str, answers: Answers, knowledge: Knowledge, *, posted: bool
) -> Response:
    if posted or is_htmx(request):
        # The answers came in a form body: show the step at once rather than redirect to an
        # address that would have to carry them.
        return _render_step(request, step_id, answers, {}, knowledge)
    return RedirectResponse(_step_url(step_id, answers), status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    _answers, knowledge = _prepare(request)
    block = "main" if is_htmx(request) else None
    return render(request, "home.html", {"k": knowledge}, block=block)


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request) -> HTMLResponse:
    """What is kept where: the browser tab, the server, downloads, the anonymous record."""
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    block = "main" if is_htmx(request) else None
    hours = request.app.state.settings.training_round_hours
    return render(request, "privacy.html", {"round_hours": f"{hours:g}"}, block=block)


@router.get("/intake")
def intake_start(request: Request) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse("/intake/context" + (f"?{query}" if query else ""), status_code=303)


@router.get("/intake/{step_id}", response_class=HTMLResponse)
def intake_step(request: Request, step_id: str) -> Response:
    answers, knowledge = _prepare(request)
    return _step(request, step_id, answers, knowledge, request.query_params, posted=False)


@router.post("/intake/{step_id}", response_class=HTMLResponse)
async def intake_step_posted(request: Request, step_id: str) -> Response:
    """A step's form, posted: the answers travel in the body, never in the address."""
    pairs = await form_pairs(request)
    answers, knowledge = _prepare(request, pairs)
    controls = dict(pairs)
    return await run_in_threadpool(
        _step, request, step_id, answers, knowledge, controls, posted=True
    )


def _step(
    request: Request,
    step_id: str,
    answers: Answers,
    knowledge: Knowledge,
    controls: Mapping[str, str],
    *,
    posted: bool,
) -> Response:
    """What a step's buttons do: `go` (back, next, overview or a step of the progress bar),
    `edit` (a "Wijzig" on the overview), `pick_municipality` (a suggested name), `check`."""
    if step_id not in STEP_IDS:
        raise HTTPException(status_code=404)
    go, check = controls.get("go"), controls.get("check")
    back_to_review = controls.get(BACK_TO) == REVIEW
    prev, nxt = neighbours(step_id)
    errors: dict[str, str] = {}
    edit = controls.get(EDIT)
    if edit in STEP_IDS and edit != REVIEW:
        return _render_step(request, edit, answers, {}, knowledge, back_to_review=True)
    picked = controls.get(PICK_MUNICIPALITY)
    if picked:
        answers = answers.replace(municipality=picked)
        return _render_step(request, step_id, answers, {}, knowledge, back_to_review=back_to_review)
    if go == "back" and prev:
        return _goto(request, prev, answers, knowledge, posted=posted)
    if go in STEP_IDS:  # jump from the progress bar, keeping this step's answers
        return _goto(request, go, answers, knowledge, posted=posted)
    if go in ("next", "overview") or check:
        errors = validate_step(answers, step_id)
        if not errors and go == "overview":
            return _goto(request, REVIEW, answers, knowledge, posted=posted)
        if not errors and go == "next" and nxt:
            return _goto(request, nxt, answers, knowledge, posted=posted)
    return _render_step(request, step_id, answers, errors, knowledge, back_to_review=back_to_review)


@router.api_route("/intake/context/crisis", methods=["GET", "POST"], response_class=HTMLResponse)
async def crisis_fragment(request: Request) -> HTMLResponse:
    """The crisis banner of the context step, as soon as a sign is ticked (htmx)."""
    answers, knowledge = _prepare(request, await _fragment_pairs(request))
    return render(request, "intake/_crisis.html", {"crisis": crisis_banner(answers, knowledge)})


@router.api_route(
    "/intake/context/municipality", methods=["GET", "POST"], response_class=HTMLResponse
)
async def municipality_fragment(request: Request) -> HTMLResponse:
    """The municipality field checked while typing (htmx): normalised, or an error."""
    raw, _k = _prepare(request, await _fragment_pairs(request))
    answers, place_notice = normalise_answers(raw)
    errors = {}
    check = check_municipality(raw.get("municipality"))
    if check.error:
        errors["municipality"] = check.error
    context = {
        "answers": answers,
        "errors": errors,
        "place_notice": place_notice,
        "live": True,
        "suggestions": _place_suggestions(answers),
    }
    return render(request, "intake/_municipality.html", context)


@router.api_route("/intake/course/check", methods=["GET", "POST"], response_class=HTMLResponse)
async def course_check_fragment(request: Request) -> HTMLResponse:
    """Warnings when duration, course and nature disagree (htmx, on change)."""
    answers, _k = _prepare(request, await _fragment_pairs(request))
    return render(
        request, "intake/_course_warnings.html", {"course_warnings": course_warnings(answers)}
    )


@router.api_route("/intake/scale/score", methods=["GET", "POST"], response_class=HTMLResponse)
async def scale_score(request: Request) -> HTMLResponse:
    """The live score of the 6-item scale (an htmx fragment)."""
    answers, _k = _prepare(request, await _fragment_pairs(request))
    return render(request, "_djg6_score_text.html", {"djg6_score": _djg6_score(answers)})


async def _fragment_pairs(request: Request) -> list[tuple[str, str]] | None:
    """The answers of a live check: posted by htmx; a query string still works."""
    return await form_pairs(request) if request.method == "POST" else None
