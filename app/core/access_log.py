"""The access log: one line per HTTP request, with an allow-list of fields and nothing else.

Each request is logged at INFO on the logger ``eenzaamheidswijzer.access`` as key=value
pairs, always these five and in this order::

    request_id=3f9c0a1b2d4e method=GET route=/intake/{step_id} status=200 duration_ms=4.1

- ``request_id``: the id that ``app.api.errors.CatchAll`` gives the request (also sent back
  as the ``X-Request-ID`` header and named in its error line), ``-`` when there is none;
- ``method``: the HTTP method, ``-`` when it is not a plain token;
- ``route``: the template of the route that answered (``/intake/{step_id}``,
  ``/static/{path}`` for a mounted directory), never the path as requested and never the
  query string, since both can carry intake answers; ``-`` when no route matched (a 404);
- ``status``: the status code sent, ``-`` when no response was started;
- ``duration_ms``: from the request's arrival to the end of the response, in milliseconds.

Uvicorn's own access log prints the request line with its query string, so the server runs
with it switched off (``python -m app serve``) and this middleware takes its place.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("eenzaamheidswijzer.access")

FIELDS = ("request_id", "method", "route", "status", "duration_ms")
FORMAT = "request_id=%s method=%s route=%s status=%s duration_ms=%.1f"
_METHOD = re.compile(r"[A-Z]{1,16}")


def route_template(scope: Scope) -> str:
    """The matched route's path format, or '-': never a value from the request."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(template, str) and template:
        return template
    endpoint = scope.get("endpoint")
    app = scope.get("app")
    if endpoint is not None and app is not None:
        # A mounted app (static files) sets no route, only its endpoint: find its Mount.
        for candidate in getattr(app, "routes", ()):
            if isinstance(candidate, Mount) and candidate.app is endpoint:
                return candidate.path_format
    return "-"


class AccessLog:
    """Log each HTTP request once, after its response, with the fields in ``FIELDS`` only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            method = str(scope.get("method", ""))
            request_id = scope.get("state", {}).get("request_id")
            log.info(
                FORMAT,
                request_id if isinstance(request_id, str) and request_id else "-",
                method if _METHOD.fullmatch(method) else "-",
                route_template(scope),
                status if status is not None else "-",
                round((time.perf_counter() - started) * 1000, 1),
            )
