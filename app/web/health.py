"""Probes for an orchestrator: is the process alive, and can it serve (its database answers)?

Left out of the OpenAPI schema: they are for the platform, not for API clients. Neither says
why the database failed (no exception text, no URL): probes are often reachable from outside.
"""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

router = APIRouter(include_in_schema=False)
log = logging.getLogger("eenzaamheidswijzer")

# A probe that hangs is worse than one that fails: an unreachable host may take a minute
# to time out on its own. The abandoned thread ends when the driver gives up.
READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive (kept for existing checks; the same as /livez)."""
    return {"status": "ok"}


@router.get("/livez")
def livez() -> dict[str, str]:
    """Alive: answers without touching the database or anything else."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers `SELECT 1` within a short time. The answer also
    says which catalogue version this worker serves, and how many initiatives it holds, so
    that after an import each worker and machine can be checked (all show the new one)."""
    engine: Engine | None = getattr(request.app.state, "engine", None)
    ready = False
    if engine is not None:
        with anyio.move_on_after(READY_TIMEOUT_SECONDS):
            ready = await anyio.to_thread.run_sync(_ping, engine, abandon_on_cancel=True)
    if not ready:
        return JSONResponse({"status": "unavailable", "detail": "database"}, status_code=503)
    body: dict[str, object] = {"status": "ready"}
    snapshot = getattr(request.app.state, "catalogue", None)
    current = snapshot.current() if snapshot is not None else None
    if current is not None:
        body["catalogue"] = {"version": current[0], "initiatives": len(current[1])}
    return JSONResponse(body)


def _ping(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the reason stays in the log
        log.warning("readiness check: the database did not answer (%s)", type(exc).__name__)
        return False
    return True
