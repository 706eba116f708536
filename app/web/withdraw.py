"""Withdrawing an anonymous record: the worker types the code shown when it was saved."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.catalogue.service import normalise_record_code, withdraw_anonymous
from app.core.i18n import set_language
from app.core.rate_limit import check_rate, too_many_attempts
from app.web.forms import form_text
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)

# Its own rate limit (same settings as saving): a wrong code costs an attempt, so codes
# cannot be tried in bulk.
WITHDRAW_ACTION = "withdraw"
# Longer than any code as typed with spaces; the rest is not read.
MAX_CODE_CHARS = 40


@router.get("/advies/intrekken", response_class=HTMLResponse)
def withdraw_page(request: Request) -> HTMLResponse:
    """The form that deletes an anonymous record by its code."""
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    return _page(request, {})


@router.get("/advies/bewaar/intrekken")
def withdraw_get(request: Request) -> RedirectResponse:
    """The form's own page: what a language switch on the answer page (a GET of the
    address it was posted to) or a reload lands on."""
    query = request.url.query
    return RedirectResponse("/advies/intrekken" + (f"?{query}" if query else ""), status_code=303)


@router.post("/advies/bewaar/intrekken", response_class=HTMLResponse)
async def withdraw(request: Request) -> HTMLResponse:
    """Delete the anonymous record with the posted code, and say whether there was one."""
    form = await request.form()
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    typed = form_text(form, "code", MAX_CODE_CHARS)
    wait = check_rate(request, WITHDRAW_ACTION)
    if wait is not None:
        message = too_many_attempts(wait)
        context = {"typed": typed, "wait": message}
        return _page(request, context, status_code=429, headers={"Retry-After": str(wait)})
    removed = await run_in_threadpool(withdraw_anonymous, request.app.state.engine, typed)
    if removed:
        return _page(request, {"removed": normalise_record_code(typed)})
    return _page(request, {"typed": typed, "not_found": True})


def _page(
    request: Request,
    context: Mapping[str, object],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    block = "main" if is_htmx(request) else None
    full = {"typed": "", "removed": None, "not_found": False, "wait": None, **context}
    return render(
        request, "withdraw.html", full, block=block, status_code=status_code, headers=headers
    )
