"""ASGI middleware that refuses request bodies above a size limit (413)."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths that accept larger bodies (file uploads), with their own limit.
        self.overrides = overrides or {}

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        from app.api.errors import _html_error, is_json_path

        path = scope["path"]
        if is_json_path(path):
            body = json.dumps({"detail": f"Request body larger than {limit} bytes"}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 413, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        # A page in the site's layout and language (set by the language middleware, which
        # runs before this one); the body was not read, so nothing of it is shown or kept.
        from fastapi import Request

        upload = limit if path in self.overrides else None
        response = _html_error(Request(scope), 413, upload_limit=upload)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.overrides.get(scope["path"], self.max_bytes)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    await self._reject(scope, receive, send, limit)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit, scope["path"] in self.overrides)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, receive, send, limit)


class _TooLarge(HTTPException):
    """Raised while reading a chunked body; the app's error handler turns it into a 413
    (a page for a page, JSON for the API)."""

    def __init__(self, max_bytes: int, upload: bool) -> None:
        super().__init__(413, f"Request body larger than {max_bytes} bytes")
        self.upload_limit = max_bytes if upload else None
