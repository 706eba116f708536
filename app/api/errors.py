"""Error responses: 422 names the field, nothing ever returns a traceback."""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("eenzaamheidswijzer")

_SKIP = {"body", "query", "path", "header"}
# Enough frames to find the failing line, few enough for one log line.
MAX_FRAMES = 8


class ErrorMessage(BaseModel):
    """The body of every JSON error that is not about a field (404, 403, 413, 500)."""

    detail: str


class FieldError(BaseModel):
    """One refused input: `field` names it as the client wrote it (`dimensions[1]`)."""

    field: str
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """The body of a 422: every refused field."""

    detail: list[FieldError]


# Documented on every /api route, so clients and fuzzers know the error bodies.
API_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorMessage, "description": "The request could not be read"},
    404: {"model": ErrorMessage, "description": "No such resource"},
    422: {"model": ValidationErrorBody, "description": "A parameter or field was refused"},
}


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


async def validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _wants_html(request):
        # A page: an address whose id is no number names nothing (404); anything else is
        # a request no form of ours sends (a file in a text field): a page, never JSON.
        errors = exc.errors()
        on_path = any(e.get("loc", ("",))[0] == "path" for e in errors)
        return _html_error(request, 404 if on_path else 400)
    return JSONResponse(status_code=422, content={"detail": [_clean(e) for e in exc.errors()]})


# Paths whose clients read JSON: the API, the HSDS feed, the schema and the probes. Every
# other path is a page, and its refusals are pages.
JSON_PATHS = ("/api/", "/hsds", "/openapi", "/healthz", "/livez", "/readyz")


def is_json_path(path: str) -> bool:
    return path.startswith(JSON_PATHS)


def _wants_html(request: Request) -> bool:
    return not is_json_path(request.url.path)


def size_words(limit: int) -> str:
    """A body limit as people read it: whole MB from 1 MB (an upload's limit carries some
    slack for the form around the file), else kB."""
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit >= mb else f"{limit // 1024} kB"


def _html_error(request: Request, status: int, *, upload_limit: int | None = None) -> Response:
    """The error page in the site's layout and the request's language.

    `upload_limit`: for a 413, the limit of a path that takes a file (else the text of a
    form was too long)."""
    from app.core.i18n import gettext_ as _
    from app.core.i18n import set_language
    from app.web.templating import render

    set_language(request.scope.get("state", {}).get("lang", "nl"))
    back: tuple[str, str] | None = None
    if status == 413 and upload_limit is not None:
        # Back to the page whose form took the file, to choose another.
        back = {
            "/landschap/upload": ("/landschap", _("Terug naar het landschap")),
            "/landschap/vraag": ("/landschap/vraag", _("Terug naar vraag en aanbod")),
            "/beheer/import": ("/beheer/import", _("Terug naar import en export")),
        }.get(request.url.path)
        title, message = (
            _("Te groot"),
            _(
                "Het bestand is te groot: de grens is {size}. Kies een kleiner bestand, of "
                "verdeel de gegevens over meer bestanden."
            ).format(size=size_words(upload_limit)),
        )
    elif status == 413:
        title, message = (
            _("Te groot"),
            _(
                "Wat u verstuurde is te lang. Ga terug met de knop Vorige van uw browser: wat u "
                "invulde staat er nog. Maak de tekst korter en verstuur opnieuw."
            ),
        )
    elif status == 403:
        title, message = (
            _("Verzoek geweigerd"),
            _(
                "Dit formulier werd vanaf een andere website verstuurd en is daarom niet "
                "verwerkt. Ga naar de Eenzaamheidswijzer zelf en probeer opnieuw."
            ),
        )
    elif status == 404:
        title, message = (
            _("Pagina niet gevonden"),
            _("Deze pagina bestaat niet (meer). Controleer het adres of begin opnieuw."),
        )
    elif status == 405:
        title, message = _("Niet toegestaan"), _("Deze actie is op deze pagina niet mogelijk.")
    elif 400 <= status < 500:
        # Any other refusal of a request no form of ours sends: said as a 400.
        status = 400
        title, message = (
            _("Dit verzoek kon niet gelezen worden"),
            _(
                "Wat de browser verstuurde, past niet bij deze pagina. Ga terug met de knop "
                "Vorige van uw browser, of open de pagina opnieuw, en probeer opnieuw."
            ),
        )
    else:
        title, message = (
            _("Er ging iets mis"),
            _(
                "Er liep iets fout aan onze kant. Uw antwoorden zijn niet bewaard; ga terug met de "
                "knop Vorige van uw browser en probeer opnieuw."
            ),
        )
    context = {"title": title, "message": message, "back": back}
    return render(request, "error.html", context, status_code=status)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _wants_html(request) and exc.status_code < 600:
        # The detail of Starlette's own errors is technical English ("Missing boundary in
        # multipart."): a page says what to do instead.
        upload_limit = getattr(exc, "upload_limit", None)
        return _html_error(request, exc.status_code, upload_limit=upload_limit)
    return JSONResponse(
        status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
    )


def _frames(exc: BaseException) -> str:
    """Where it failed, as file:line frames only: no message, no source text, no locals."""
    frames = traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))


def describe(exc: BaseException) -> str:
    """The exception's class and frames: its message may carry answers, so it is left out."""
    return f"{type(exc).__name__} at {_frames(exc)}"


def _route(scope: Scope) -> str:
    route = scope.get("route")
    # The template (/api/v1/initiatives/{initiative_id}), never the path or the query.
    return str(getattr(route, "path", None) or "(no route)")


def log_unexpected(scope: Scope, exc: BaseException) -> None:
    """One line per unexpected error: class, route template, request id and frames."""
    log.error(
        "unhandled %s on %s %s request %s",
        describe(exc),
        scope.get("method", ""),
        _route(scope),
        scope.get("state", {}).get("request_id", "-"),
    )


def _error_response(request: Request) -> Response:
    if _wants_html(request):
        return _html_error(request, 500)
    return JSONResponse(status_code=500, content={"detail": "Internal server error"})


async def unexpected_handler(request: Request, exc: Exception) -> Response:
    log_unexpected(request.scope, exc)
    return _error_response(request)


class CatchAll:
    """Answer every unexpected error inside the security headers, and let none escape.

    Starlette's own fallback answers outside the other middleware (so without the CSP and
    frame headers) and then re-raises, which makes the server print a traceback with the
    exception's message: a pydantic error or a failed INSERT carries the answers there.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:12]
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            log_unexpected(scope, exc)
            if started:  # too late for an error page: the client sees a cut-off response
                return
            response = _error_response(Request(scope, receive))
            await response(scope, receive, tracked)


class _NoValues(logging.Filter):
    """Strip exception messages and tracebacks from the server's own error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg).strip()
        exc = record.exc_info[1] if record.exc_info else None
        # Uvicorn logs a failed start-up with the whole traceback text as the message.
        if record.levelno < logging.ERROR or (exc is None and "\n" not in text):
            return True
        first = text.splitlines()[0] if text else ""
        if first.startswith("Traceback"):
            first = "error (details withheld: they may contain answers)"
        record.msg = f"{first} {describe(exc)}" if exc is not None else first
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


_GUARD = _NoValues()


def install_log_guard() -> None:
    """Guard uvicorn's error logger, the one path where values could still be printed."""
    for name in ("uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if _GUARD not in logger.filters:
            logger.addFilter(_GUARD)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_handler)
