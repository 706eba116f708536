"""CSRF protection and security headers, as pure ASGI middleware.

CSRF: an unsafe request (POST, PUT, PATCH, DELETE) from a browser is refused when
`Sec-Fetch-Site` says it came from another site, or when its `Origin` does not match the
host (the approach of datasette's csrf check). This works for plain forms and htmx alike;
non-browser clients that send neither header (curl, scripts) pass.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Strict policy: everything from our own origin, no inline script or style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
CSP_HEADER = (b"content-security-policy", CSP.encode())
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # A shared link carries intake answers: never send an address to another site.
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Pages and answers that show intake answers: no browser, proxy or back-forward cache keeps
# them (issue 8, defect 5).
ANSWER_PATHS = ("/intake", "/advies", "/api/v1/advice")
NO_STORE = (b"cache-control", b"no-store")


def shows_answers(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ANSWER_PATHS)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def is_cross_site(scope: Scope) -> bool:
    """True when a browser tells us the request comes from another site."""
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = _header(scope, b"origin")
    if origin is None:  # not a browser, or a same-origin request of an old one
        return False
    if origin == "null":  # opaque origin: sandboxed frame, file:, privacy redirect
        return True
    host = _header(scope, b"host")
    return urlsplit(origin).netloc != host


class SecurityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in UNSAFE and is_cross_site(scope):
            await self._forbidden(scope, receive, send)
            return

        no_store = shows_answers(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append(CSP_HEADER)
                headers.extend(HEADERS)
                if no_store:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _forbidden(self, scope: Scope, receive: Receive, send: Send) -> None:
        from app.api.errors import _html_error, is_json_path

        if is_json_path(scope["path"]):
            body = json.dumps({"detail": "Cross-site request refused (CSRF protection)"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        CSP_HEADER,
                        *HEADERS,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        # A page in the site's layout, in the language the user chose (this runs before the
        # language middleware, so it is worked out here the same way).
        from fastapi import Request

        from app.core.i18n import _cookie_lang, _query_lang, negotiate

        scope.setdefault("state", {})["lang"] = negotiate(_query_lang(scope), _cookie_lang(scope))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), CSP_HEADER, *HEADERS]
            await send(message)

        await _html_error(Request(scope), 403)(scope, receive, with_headers)
