"""ASGI entry point: create_app() with a lifespan that loads the rules and seeds the catalogue."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware

from app.advice.knowledge import load_knowledge
from app.api.errors import CatchAll, install_error_handlers, install_log_guard
from app.api.routes import advice, hsds, initiatives, landscape, reference
from app.catalogue.service import CatalogueSnapshot, seed_if_empty
from app.core.access_log import AccessLog
from app.core.config import Settings, get_settings
from app.core.db import init_db, make_engine
from app.core.i18n import LanguageMiddleware
from app.core.limits import BodySizeLimit
from app.core.security import SecurityMiddleware
from app.training.personas import load_personas
from app.web import (
    admin_pages,
    catalogue_pages,
    curator_import,
    curator_records,
    demand_pages,
    docs,
    health,
    intake_stats_pages,
    landscape_pages,
    pages,
    registration_pages,
    result,
    training_explore,
    training_pages,
    training_voting,
    withdraw,
)
from app.web.templating import STATIC_DIR

log = logging.getLogger("eenzaamheidswijzer")


def prepare_database(engine: Engine, settings: Settings) -> None:
    """Migrate the schema to the newest revision and seed an empty catalogue."""
    init_db(engine)
    if settings.seed_catalogue:
        result = seed_if_empty(engine, settings.catalogue_csv)
        if result is not None:
            log.info("seeded the catalogue with %d initiatives", result.created)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the rules are validated before it serves anything."""
    settings = settings or get_settings()
    # Load the knowledge eagerly: a malformed rules file must stop start-up.
    knowledge = load_knowledge(settings.rules_dir)
    # So must a malformed persona file (data/personas.yaml, trainer mode).
    load_personas()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        # `python -m app serve` prepares the database once, before its workers start.
        if settings.prepare_database:
            prepare_database(engine, settings)
        app.state.engine = engine
        catalogue = CatalogueSnapshot(engine, settings.catalogue_check_seconds)
        # Loaded before the first request; later versions load in the background.
        await anyio.to_thread.run_sync(catalogue.start)
        app.state.catalogue = catalogue
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(catalogue.stop)
            engine.dispose()

    app = FastAPI(
        title="Eenzaamheidswijzer",
        version="1.0",
        summary="Evidence-informed advice on loneliness interventions for professionals in "
        "Flanders.",
        lifespan=lifespan,
        # FastAPI's own pages load Swagger UI from a CDN; app/web/docs.py serves it locally.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.knowledge = knowledge
    # Added innermost first: limits and compression inside, security headers outermost.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        # Uploads, and the analysed rows that pages post back to these two.
        overrides={
            "/landschap/upload": landscape_pages.MAX_UPLOAD_BYTES + 64 * 1024,
            "/landschap/vraag": landscape_pages.MAX_UPLOAD_BYTES + 64 * 1024,
            "/beheer/import": curator_import.MAX_UPLOAD_BYTES + 64 * 1024,
        },
    )
    # Level 3: within 10 % of level 5 in size at half its cost (a 27 KB advice: 161 µs
    # against 324 µs), which matters for the advice API.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=3)
    app.add_middleware(LanguageMiddleware)
    # Inside the security headers, so that a 500 page carries them too.
    app.add_middleware(CatchAll)
    app.add_middleware(SecurityMiddleware)
    # Outermost: one line per request, with the final status and the whole duration.
    app.add_middleware(AccessLog)
    install_error_handlers(app)
    install_log_guard()
    app.include_router(advice.router)
    app.include_router(reference.router)
    app.include_router(initiatives.router)
    app.include_router(landscape.router)
    app.include_router(pages.router)
    app.include_router(result.router)
    app.include_router(landscape_pages.router)
    app.include_router(demand_pages.router)
    app.include_router(intake_stats_pages.router)
    app.include_router(docs.router)
    app.include_router(withdraw.router)
    app.include_router(health.router)
    app.include_router(hsds.router)
    app.include_router(registration_pages.router)
    app.include_router(catalogue_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(curator_records.router)
    app.include_router(curator_import.router)
    app.include_router(training_pages.router)
    app.include_router(training_explore.router)
    app.include_router(training_voting.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.ASSETS_DIR), name="docs-assets")

    return app


app = create_app()
