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

    async def _reject(self, send: Send, limit: int, path: str) -> None:
        if path.startswith("/api/"):
            body = json.dumps({"detail": f"Request body larger than {limit} bytes"}).encode()
            ctype = b"application/json"
        else:
            body = (
                "<!doctype html><html lang=nl><meta charset=utf-8><title>Te groot</title>"
                f"<h1>Te groot</h1><p>Wat u verstuurde is groter dan {limit // 1024} kB. "
                "Ga terug en kies een kleiner bestand.</p></html>"
            ).encode()
            ctype = b"text/html; charset=utf-8"
        headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

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
                    await self._reject(send, limit, scope["path"])
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
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
                await self._reject(send, limit, scope["path"])


class _TooLarge(HTTPException):
    """Raised while reading a chunked body; FastAPI turns it into a 413 response."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Request body larger than {max_bytes} bytes")
