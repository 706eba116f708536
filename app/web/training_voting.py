"""Class voting pages (issue 12, item 5).

Trainer: /training/stemmen (choose a persona, start), /training/stemmen/{code}/beheer (the
projected screen: code, QR code, the live spread, the reveal). Participants: /stem (type
the code) and /stem/{code} (pick three elements). The rounds and votes are kept by
app.training.voting.

Who may do what rests on cookies holding random secrets, each scoped to its round's path:
the browser that opened a round holds the trainer key, each participant's browser a token
of its own. Forms carry a token signed from the cookie of the same browser (the
double-submit pattern of the registration form), besides the site-wide Origin check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.advice.engine import advise
from app.advice.knowledge import Knowledge
from app.auth.sessions import form_token, is_https, new_login_nonce, token_matches
from app.catalogue.freshness import BELGIUM
from app.core.i18n import current_language, decimal, ngettext_, set_language
from app.core.i18n import gettext_ as _
from app.core.rate_limit import UNKNOWN_CLIENT, SlidingWindowLimiter, check_rate
from app.domain.vocabulary import ElementId
from app.training.personas import Persona, load_personas, persona_by_id
from app.training.voting import (
    CHOICES,
    ChoiceError,
    Lookup,
    RoundStatus,
    Spread,
    TrainingRound,
    as_utc,
    cast_vote,
    check_choice,
    close_round,
    compare_with_advice,
    create_round,
    find_round,
    is_trainer,
    new_secret,
    reveal,
    spread_of,
    vote_of,
)
from app.web.beheer import key_of
from app.web.templating import render

router = APIRouter(include_in_schema=False)

START_PATH = "/training/stemmen"
JOIN_PATH = "/stem"
REVEAL_ANCHOR = "reveal-title"  # the id of the outcome's heading (_result.html)
START_COOKIE = "ezw_stemronde_start"
START_PURPOSE = "training-round"
START_COOKIE_SECONDS = 8 * 60 * 60
TRAINER_COOKIE = "ezw_stemronde_trainer"
REVEAL_PURPOSE = "training-reveal"
PARTICIPANT_COOKIE = "ezw_stem"
VOTE_PURPOSE = "training-vote"
CREATE_ACTION = "training-round"
# A class votes from one school network (one address for all): room for sixty phones
# voting and changing their mind within a minute, not for a script.
VOTES_PER_ADDRESS = 240
VOTES_OVERALL = 2400
VOTE_WINDOW_SECONDS = 60.0
POLL_SECONDS = 2
# A participant who voted waits for the reveal; their page asks less often than the
# trainer's screen (a class of phones), and reloads itself once the advice is shown.
STATUS_SECONDS = 4


def _lang(request: Request) -> str:
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    return current_language()


def _engine(request: Request) -> Any:
    return request.app.state.engine


def _hours(request: Request) -> float:
    return float(request.app.state.settings.training_round_hours)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, path: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(_hours(request) * 3600),
        path=path,
        httponly=True,
        secure=is_https(request),
        samesite="lax",
    )


def trainer_path(code: str) -> str:
    return f"{START_PATH}/{code}"


def vote_path(code: str) -> str:
    return f"{JOIN_PATH}/{code}"


# --- the start form (also rendered by the persona pages) ---------------------------------


@dataclass(frozen=True)
class StartForm:
    """The cookie value and the matching token of the form that starts a round."""

    nonce: str
    token: str


def start_form(request: Request) -> StartForm:
    """The token for the hidden field `csrf` of a form that posts to /training/stemmen."""
    nonce = request.cookies.get(START_COOKIE) or new_login_nonce()
    return StartForm(nonce, form_token(key_of(request), nonce, START_PURPOSE))


def remember_start_form(request: Request, response: Response, form: StartForm) -> None:
    """Give the browser the cookie that `form`'s token is tied to (valid on /training)."""
    response.set_cookie(
        START_COOKIE,
        form.nonce,
        max_age=START_COOKIE_SECONDS,
        path="/training",
        httponly=True,
        secure=is_https(request),
        samesite="strict",
    )


# --- what the pages show ------------------------------------------------------------------


def element_choices(knowledge: Knowledge, lang: str) -> list[dict[str, str]]:
    """The elements in vocabulary order, each with its label and a plain-words help."""
    out = []
    for element_id in ElementId:
        element = knowledge.elements[element_id]
        plain = knowledge.client_texts.get(element_id)
        out.append(
            {
                "id": element_id.value,
                "label": element.label.get(lang),
                "help": plain.get(lang) if plain else element.description.get(lang),
            }
        )
    return out


def story_summary(persona: Persona) -> str:
    """The story's first paragraph: enough to recall the persona on a screen or phone."""
    paragraphs = persona.paragraphs
    return paragraphs[0] if paragraphs else persona.story


def qr_svg(url: str, title: str) -> str:
    """The QR code of `url` as inline SVG markup (no style attributes: the CSP allows none)."""
    return str(segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True, title=title))


def _origin(request: Request) -> str:
    # The join address is shown to the trainer who asked for this very page (never cached
    # or stored), so the Host header the trainer's browser sent is the one to show.
    return str(request.base_url).rstrip("/")


def _clock(moment: datetime) -> str:
    """A moment as Belgian clock time (hh:mm)."""
    return as_utc(moment).astimezone(BELGIUM).strftime("%H:%M")


def _bars(spread: Spread, labels: dict[str, str]) -> list[dict[str, Any]]:
    most = max(spread.counts.values(), default=0) or 1
    return [
        {"id": e, "label": labels[e], "count": n, "width": round(100 * n / most)}
        for e, n in spread.ranked()
        if n > 0
    ]


def _spread_context(
    spread: Spread, knowledge: Knowledge, lang: str, advice: Any = None
) -> dict[str, Any]:
    labels = {e.value: knowledge.elements[e].label.get(lang) for e in ElementId}
    chosen = {e for e, n in spread.counts.items() if n > 0}
    return {
        "spread": spread,
        "bars": _bars(spread, labels),
        "unchosen": [labels[e.value] for e in ElementId if e.value not in chosen],
        "plan_ids": set(advice.plan) if advice else set(),
        "discouraged_ids": {d.id for d in advice.discouraged} if advice else set(),
    }


async def _advice_context(
    request: Request, round_: TrainingRound, spread: Spread, lang: str
) -> dict[str, Any]:
    """The advice for the round's persona and how the class's choices compare with it."""
    persona = persona_by_id(round_.persona_id)
    if persona is None:
        return {}
    knowledge: Knowledge = request.app.state.knowledge
    # The plan does not depend on the catalogue's offers: none are matched here.
    advice = await run_in_threadpool(advise, persona.intake_model, knowledge, (), lang=lang)
    labels = {e.value: knowledge.elements[e].label.get(lang) for e in ElementId}
    return {"advice": advice, "comparison": compare_with_advice(spread, advice, labels)}


def hours_text(hours: float) -> str:
    """How long a round lasts, as the UI writes it: "4", or "1,5" in Dutch."""
    return str(int(hours)) if float(hours).is_integer() else decimal(hours)


def _lookup_message(lookup: Lookup, typed: str, hours: float) -> str:
    """Why a typed code leads to no round, in plain words."""
    if lookup is Lookup.EXPIRED:
        return _(
            "Deze stemronde is verlopen: een ronde loopt {n} uur. Vraag de trainer om een "
            "nieuwe code."
        ).format(n=hours_text(hours))
    if not typed.strip():
        return _("Vul de code in die de trainer toont.")
    return _(
        "Er is geen stemronde met de code ‘{code}’. Kijk de code na op het scherm van de "
        "trainer: vijf letters en cijfers."
    ).format(code=typed.strip()[:20])


# --- trainer: start a round ---------------------------------------------------------------


def _start_page(
    request: Request, selected: str | None, notice: str | None = None, status_code: int = 200
) -> Response:
    form = start_form(request)
    response = render(
        request,
        "training/voting/start.html",
        {
            "personas": load_personas(current_language()),
            "selected": selected,
            "notice": notice,
            "token": form.token,
            "hours": hours_text(_hours(request)),
        },
        status_code=status_code,
    )
    remember_start_form(request, response, form)
    return _no_store(response)


@router.get(START_PATH, response_class=HTMLResponse)
def start_page(request: Request, persona: str | None = None) -> Response:
    """Choose a persona and open a round."""
    _lang(request)
    return _start_page(request, persona)


@router.post(START_PATH, response_class=HTMLResponse)
async def start_round(request: Request) -> Response:
    """Open a round and send the trainer to its screen, holding the trainer key."""
    _lang(request)
    form = await request.form()
    persona_id = form.get("persona_id")
    persona_id = persona_id if isinstance(persona_id, str) else ""
    persona = persona_by_id(persona_id)
    if not token_matches(
        key_of(request), request.cookies.get(START_COOKIE), form.get("csrf"), START_PURPOSE
    ):
        # A persona page without this form's token, or an old tab: confirm here once.
        notice = _("Bevestig dat u een stemronde wilt starten.")
        return _start_page(request, persona_id, notice, status_code=403)
    if persona is None:
        notice = _("Kies een persona uit de lijst.")
        return _start_page(request, None, notice, status_code=400)
    wait = check_rate(request, CREATE_ACTION)
    if wait is not None:
        notice = ngettext_(
            "Te veel stemrondes in korte tijd. Wacht {n} seconde en probeer dan opnieuw.",
            "Te veel stemrondes in korte tijd. Wacht {n} seconden en probeer dan opnieuw.",
            wait,
        ).format(n=wait)
        response = _start_page(request, persona_id, notice, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response

    def create() -> tuple[TrainingRound, str]:
        with Session(_engine(request)) as session:
            return create_round(session, persona.id, _hours(request))

    round_, trainer_key = await run_in_threadpool(create)
    response = RedirectResponse(f"{trainer_path(round_.code)}/beheer", status_code=303)
    _set_cookie(request, response, TRAINER_COOKIE, trainer_key, trainer_path(round_.code))
    return _no_store(response)


# --- trainer: the screen, the live spread, reveal and close ------------------------------


def _trainer_round(request: Request, code: str) -> tuple[Response | None, TrainingRound | None]:
    """The round if this browser opened it; else the page that says why not."""
    with Session(_engine(request)) as session:
        lookup, round_ = find_round(session, code)
    if lookup is not Lookup.FOUND or round_ is None:
        return _join_page(request, code, lookup), None
    if round_.code != code:
        target = str(request.url.path).replace(f"/{code}/", f"/{round_.code}/", 1)
        return _no_store(RedirectResponse(target, status_code=303)), None
    if not is_trainer(round_, request.cookies.get(TRAINER_COOKIE)):
        response = render(
            request,
            "training/voting/not_trainer.html",
            {"code": round_.code, "vote_url": vote_path(round_.code)},
            status_code=403,
        )
        return _no_store(response), None
    return None, round_


async def _trainer_screen(
    request: Request, round_: TrainingRound, notice: str | None = None, status_code: int = 200
) -> Response:
    lang = current_language()
    knowledge: Knowledge = request.app.state.knowledge
    with Session(_engine(request)) as session:
        spread = spread_of(session, round_)
    persona = persona_by_id(round_.persona_id, lang)
    revealed = round_.status == RoundStatus.REVEALED
    advice_ctx = await _advice_context(request, round_, spread, lang) if revealed else {}
    origin = _origin(request)
    join_url = f"{origin}{vote_path(round_.code)}"
    context = {
        "round": round_,
        "persona": persona,
        "summary": story_summary(persona) if persona else "",
        "join_short": f"{origin.split('://', 1)[-1]}{JOIN_PATH}",
        "join_url": join_url,
        "join_url_shown": join_url.split("://", 1)[-1],
        "qr": qr_svg(join_url, _("QR-code naar {url}").format(url=join_url)),
        "expires": _clock(round_.expires_at),
        "revealed": revealed,
        "polling": not revealed,
        "poll_seconds": POLL_SECONDS,
        "spread_url": f"{trainer_path(round_.code)}/spreiding",
        "token": form_token(key_of(request), request.cookies[TRAINER_COOKIE], REVEAL_PURPOSE),
        "notice": notice,
        **_spread_context(spread, knowledge, lang, advice_ctx.get("advice")),
        **advice_ctx,
    }
    response = render(request, "training/voting/trainer.html", context, status_code=status_code)
    return _no_store(response)


@router.get(START_PATH + "/{code}/beheer", response_class=HTMLResponse)
async def trainer_screen(request: Request, code: str) -> Response:
    """The trainer's screen for the projector."""
    refused, round_ = await run_in_threadpool(_trainer_round, request, code)
    if refused is not None or round_ is None:
        assert refused is not None
        return refused
    return await _trainer_screen(request, round_)


@router.get(START_PATH + "/{code}/spreiding", response_class=HTMLResponse)
def spread_fragment(request: Request, code: str) -> Response:
    """The live spread (what htmx polls): counts only, never who chose what."""
    lang = _lang(request)
    with Session(_engine(request)) as session:
        lookup, round_ = find_round(session, code)
        if lookup is not Lookup.FOUND or round_ is None:
            # No polling attribute in this answer: the screen stops asking.
            gone = {"gone": _lookup_message(lookup, code, _hours(request))}
            response = render(request, "training/voting/_gone.html", gone)
            return _no_store(response)
        if not is_trainer(round_, request.cookies.get(TRAINER_COOKIE)):
            return _no_store(Response(status_code=403))
        spread = spread_of(session, round_)
    revealed = round_.status == RoundStatus.REVEALED
    context: dict[str, Any] = {
        "round": round_,
        "revealed": revealed,
        "polling": not revealed,
        "poll_seconds": POLL_SECONDS,
        "spread_url": f"{trainer_path(round_.code)}/spreiding",
        "live_update": True,
        **_spread_context(spread, request.app.state.knowledge, lang),
    }
    response = render(request, "training/voting/trainer.html", context, block="spread")
    return _no_store(response)


async def _trainer_action(
    request: Request, code: str
) -> tuple[Response | None, TrainingRound | None]:
    """The round for a trainer's button, or the page refusing it (not the trainer, or a
    form without its token)."""
    refused, round_ = await run_in_threadpool(_trainer_round, request, code)
    if refused is not None or round_ is None:
        return refused, None
    form = await request.form()
    key = request.cookies.get(TRAINER_COOKIE)
    if not token_matches(key_of(request), key, form.get("csrf"), REVEAL_PURPOSE):
        notice = _("Het formulier was verlopen. Probeer opnieuw.")
        return await _trainer_screen(request, round_, notice, status_code=403), round_
    return None, round_


@router.post(START_PATH + "/{code}/tonen", response_class=HTMLResponse)
async def reveal_advice(request: Request, code: str) -> Response:
    """Show the advice beside the class's choices (trainer only)."""
    refused, round_ = await _trainer_action(request, code)
    if refused is not None or round_ is None:
        assert refused is not None
        return refused

    def run() -> None:
        with Session(_engine(request)) as session:
            fresh = session.get(TrainingRound, round_.id)
            if fresh is not None:
                reveal(session, fresh)

    await run_in_threadpool(run)
    # Straight to the outcome: on a 1280x720 projector it starts below the fold.
    address = f"{trainer_path(round_.code)}/beheer#{REVEAL_ANCHOR}"
    return _no_store(RedirectResponse(address, status_code=303))


@router.post(START_PATH + "/{code}/sluiten", response_class=HTMLResponse)
async def close(request: Request, code: str) -> Response:
    """End the round now: it and its votes are deleted (trainer only)."""
    refused, round_ = await _trainer_action(request, code)
    if refused is not None or round_ is None:
        assert refused is not None
        return refused

    def run() -> None:
        with Session(_engine(request)) as session:
            fresh = session.get(TrainingRound, round_.id)
            if fresh is not None:
                close_round(session, fresh)

    await run_in_threadpool(run)
    response = RedirectResponse(START_PATH + "?gesloten=1", status_code=303)
    response.delete_cookie(
        TRAINER_COOKIE,
        path=trainer_path(round_.code),
        httponly=True,
        secure=is_https(request),
        samesite="lax",
    )
    return _no_store(response)


# --- participants --------------------------------------------------------------------------


def _join_page(request: Request, typed: str = "", lookup: Lookup | None = None) -> Response:
    """The form for the code; with `lookup`, why the typed code leads nowhere."""
    error = None if lookup is None else _lookup_message(lookup, typed, _hours(request))
    status = {None: 200, Lookup.EXPIRED: 410}.get(lookup, 404)
    response = render(
        request,
        "training/voting/join.html",
        {"typed": typed, "error": error},
        status_code=status,
    )
    return _no_store(response)


@router.get(JOIN_PATH, response_class=HTMLResponse)
def join(request: Request, code: str | None = None) -> Response:
    """Type the code of a round; a known code leads to its voting page."""
    _lang(request)
    if code is None:
        return _join_page(request)
    with Session(_engine(request)) as session:
        lookup, round_ = find_round(session, code)
    if lookup is Lookup.FOUND and round_ is not None:
        return _no_store(RedirectResponse(vote_path(round_.code), status_code=303))
    return _join_page(request, code, lookup)


async def _vote_page(
    request: Request,
    round_: TrainingRound,
    token: str,
    *,
    ticked: list[str] | None = None,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = current_language()
    knowledge: Knowledge = request.app.state.knowledge
    with Session(_engine(request)) as session:
        vote = vote_of(session, round_, token)
        spread = spread_of(session, round_)
    persona = persona_by_id(round_.persona_id, lang)
    revealed = round_.status == RoundStatus.REVEALED
    advice_ctx = await _advice_context(request, round_, spread, lang) if revealed else {}
    mine = list(vote.elements) if vote else []
    context = {
        "round": round_,
        "persona": persona,
        "summary": story_summary(persona) if persona else "",
        "choices": element_choices(knowledge, lang),
        "ticked": set(ticked if ticked is not None else mine),
        "mine": mine,
        "mine_labels": [knowledge.elements[ElementId(e)].label.get(lang) for e in mine],
        "error": error,
        "notice": notice,
        "needed": CHOICES,
        "status_seconds": STATUS_SECONDS,
        "revealed": revealed,
        "token": form_token(key_of(request), token, VOTE_PURPOSE),
        **_spread_context(spread, knowledge, lang, advice_ctx.get("advice")),
        **advice_ctx,
    }
    response = render(request, "training/voting/vote.html", context, status_code=status_code)
    _set_cookie(request, response, PARTICIPANT_COOKIE, token, vote_path(round_.code))
    return _no_store(response)


def _participant_round(request: Request, code: str) -> tuple[Response | None, TrainingRound | None]:
    with Session(_engine(request)) as session:
        lookup, round_ = find_round(session, code)
    if lookup is not Lookup.FOUND or round_ is None:
        return _join_page(request, code, lookup), None
    return None, round_


@router.get(JOIN_PATH + "/{code}", response_class=HTMLResponse)
async def vote_page(request: Request, code: str) -> Response:
    """The persona and the elements to choose from; after the reveal, the outcome."""
    _lang(request)
    refused, round_ = await run_in_threadpool(_participant_round, request, code)
    if refused is not None or round_ is None:
        assert refused is not None
        return refused
    if round_.code != code:  # typed in lower case or with spaces: the cookie's path is exact
        return _no_store(RedirectResponse(vote_path(round_.code), status_code=303))
    token = request.cookies.get(PARTICIPANT_COOKIE) or new_secret()
    return await _vote_page(request, round_, token)


@router.get(JOIN_PATH + "/{code}/status")
def round_status(request: Request, code: str) -> Response:
    """What a participant's waiting page polls: nothing to do (204) while the round is
    open, a reload once the advice is shown, and 286 (htmx: stop polling) once it is gone."""
    with Session(_engine(request)) as session:
        lookup, round_ = find_round(session, code)
    if lookup is not Lookup.FOUND or round_ is None:
        return _no_store(Response(status_code=286))
    if round_.status == RoundStatus.REVEALED:
        return _no_store(Response(status_code=200, headers={"HX-Refresh": "true"}))
    return _no_store(Response(status_code=204))


def _vote_limiter(request: Request) -> SlidingWindowLimiter:
    state = request.app.state
    limiter: SlidingWindowLimiter | None = getattr(state, "training_vote_limiter", None)
    if limiter is None:
        limiter = SlidingWindowLimiter(VOTES_PER_ADDRESS, VOTES_OVERALL, VOTE_WINDOW_SECONDS)
        state.training_vote_limiter = limiter
    return limiter


def choice_message(problem: ChoiceError, chosen: int) -> str:
    if problem is ChoiceError.UNKNOWN:
        return _("Kies alleen elementen uit de lijst.")
    if problem is ChoiceError.TOO_MANY:
        return _("Kies precies 3 elementen: u koos er {n}. Haal er een of meer weg.").format(
            n=chosen
        )
    return _("Kies precies 3 elementen: u koos er {n}.").format(n=chosen)


@router.post(JOIN_PATH + "/{code}", response_class=HTMLResponse)
async def vote(request: Request, code: str) -> Response:
    """Store this browser's three elements (replacing its earlier choice)."""
    _lang(request)
    refused, round_ = await run_in_threadpool(_participant_round, request, code)
    if refused is not None or round_ is None:
        assert refused is not None
        return refused
    form = await request.form()
    values = [v for v in form.getlist("elements") if isinstance(v, str)]
    chosen, problem = check_choice(values)
    cookie = request.cookies.get(PARTICIPANT_COOKIE)
    token = cookie or new_secret()
    if not token_matches(key_of(request), cookie, form.get("csrf"), VOTE_PURPOSE):
        notice = _(
            "Uw keuze werd niet verstuurd: het formulier was verlopen. Uw vinkjes staan er "
            "nog: verstuur opnieuw."
        )
        return await _vote_page(
            request, round_, token, ticked=chosen, notice=notice, status_code=403
        )
    if round_.status == RoundStatus.REVEALED:
        notice = _("Het advies is al getoond: stemmen kan niet meer.")
        return await _vote_page(request, round_, token, notice=notice, status_code=409)
    if problem is not None:
        return await _vote_page(
            request,
            round_,
            token,
            ticked=chosen,
            error=choice_message(problem, len(chosen)),
            status_code=400,
        )
    client = request.client.host if request.client else UNKNOWN_CLIENT
    wait = _vote_limiter(request).hit(client)
    if wait is not None:
        notice = ngettext_(
            "Te veel stemmen in korte tijd. Wacht {n} seconde en probeer dan opnieuw.",
            "Te veel stemmen in korte tijd. Wacht {n} seconden en probeer dan opnieuw.",
            wait,
        ).format(n=wait)
        response = await _vote_page(
            request, round_, token, ticked=chosen, notice=notice, status_code=429
        )
        response.headers["Retry-After"] = str(wait)
        return response

    def store() -> None:
        with Session(_engine(request)) as session:
            cast_vote(session, round_, token, chosen)

    await run_in_threadpool(store)
    return _no_store(RedirectResponse(vote_path(round_.code) + "?gestemd=1", status_code=303))
