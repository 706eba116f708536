"""Error responses: 422 names the field, nothing ever returns a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("eenzaamheidswijzer")

_SKIP = {"body", "query", "path", "header"}


def field_name(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """('body', 'dimensions', 0) → 'dimensions[0]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _SKIP and not out:
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def _clean(err: dict[str, object]) -> dict[str, object]:
    loc = err.get("loc", ())
    item: dict[str, object] = {
        "field": field_name(loc),  # type: ignore[arg-type]
        "loc": list(loc),  # type: ignore[call-overload]
        "msg": err.get("msg"),
        "type": err.get("type"),
    }
    return item


async def validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": [_clean(e) for e in exc.errors()]})


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/openapi", "/healthz"))


def _html_error(request: Request, status: int) -> Response:
    from app.core.i18n import gettext_ as _
    from app.core.i18n import set_language
    from app.web.templating import render

    set_language(request.scope.get("state", {}).get("lang", "nl"))
    if status == 404:
        title, message = (
            _("Pagina niet gevonden"),
            _("Deze pagina bestaat niet (meer). Controleer het adres of begin opnieuw."),
        )
    elif status == 405:
        title, message = _("Niet toegestaan"), _("Deze actie is op deze pagina niet mogelijk.")
    else:
        title, message = (
            _("Er ging iets mis"),
            _(
                "Er liep iets fout aan onze kant. Uw antwoorden zijn niet bewaard; ga terug met de "
                "knop Vorige van uw browser en probeer opnieuw."
            ),
        )
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _wants_html(request) and exc.status_code in (404, 405):
        return _html_error(request, exc.status_code)
    return JSONResponse(
        status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
    )


async def unexpected_handler(request: Request, exc: Exception) -> Response:
    # Log the type and route only: URLs and bodies may hold sensitive intake answers.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    if _wants_html(request):
        return _html_error(request, 500)
    return JSONResponse(status_code=500, content={"detail": "Internal server error"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_handler)
