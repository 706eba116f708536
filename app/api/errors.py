"""Error responses: 422 names the field, nothing ever returns a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


async def unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    # Log the type and route only: request bodies may hold sensitive intake answers.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return JSONResponse(status_code=500, content={"detail": "Internal server error"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(Exception, unexpected_handler)
