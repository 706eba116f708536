"""Curator pages under /beheer (issue 11, item 4): import with a dry-run preview, and export.

/beheer/import takes a CSV of the exchange format (DOMAIN.md §6) or an HSDS file (JSON, or
the zip data package of our export). The file is read and compared with the catalogue off
the event loop (app.catalogue.import_preview), and the preview lists every error by row
and column and every change; nothing is written until the curator confirms, and a file
with any error cannot be confirmed.

Between preview and confirmation the uploaded file (as the text it was read into) is kept
in the database (app.catalogue.pending_imports: every app container sees it), named by a
random token and bound to the curator's session (user id, session counter and a hash of
the browser's session cookie); it expires after an hour and is removed once applied. The
confirmation applies the same file to the same catalogue version, so it writes exactly
what the preview showed; when the catalogue changed in between, it is refused and the
curator previews again.

/beheer/export offers the whole catalogue as CSV (active records, the archive, or both)
and as HSDS JSON or zip, each streamed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth.models import CuratorUser
from app.auth.sessions import SESSION_COOKIE
from app.catalogue import hsds, pending_imports
from app.catalogue.columns import Codebook, dutch_name
from app.catalogue.csvio import ALL_COLUMNS, EXPORT_BATCH, InitiativeCsvWriter
from app.catalogue.import_preview import (
    KINDS,
    MAX_BYTES,
    MAX_ROWS,
    SAMPLE,
    Entry,
    FieldDiff,
    NotApplicable,
    Plan,
    Problem,
    StalePreview,
    Upload,
    apply,
    preview,
    read_upload,
)
from app.catalogue.models import Initiative
from app.core.db import SessionDep
from app.core.i18n import gettext_ as _
from app.core.i18n import set_language
from app.web.admin_pages import _lang, _page
from app.web.beheer import CuratorDep, beheer_router
from app.web.dates import long_date
from app.web.upload_support import issue_text

router = beheer_router()
logger = logging.getLogger(__name__)

# The largest upload (app.main lets requests to /beheer/import carry this much).
MAX_UPLOAD_BYTES = MAX_BYTES

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")
EXPORT_SCOPES = ("actief", "archief", "alles")


# --- the pending upload between preview and confirmation --------------------------------


def _browser(request: Request) -> str:
    """This browser's session (a hash of its session cookie: the row does not hold it)."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return hashlib.sha256(cookie.encode("utf-8")).hexdigest()


def _store(request: Request, user: CuratorUser, upload: Upload, plan: Plan) -> str:
    """Keep the upload for its confirmation (app.catalogue.pending_imports); its token."""
    assert user.id is not None
    data = {
        "filename": upload.filename,
        "source": upload.source,
        "text": upload.text,
        "records": list(upload.records),
        "replace": plan.replace,
        "version": plan.version,
    }
    engine = request.app.state.engine
    return pending_imports.store(engine, user.id, user.session_counter, _browser(request), data)


def _load(request: Request, token: str, user: CuratorUser) -> dict[str, Any] | None:
    """The pending upload of this token and this session, unexpired; None otherwise."""
    if not TOKEN_SHAPE.fullmatch(token) or user.id is None:
        return None
    engine = request.app.state.engine
    return pending_imports.load(engine, token, user.id, user.session_counter, _browser(request))


# --- messages ----------------------------------------------------------------------------


def problem_text(problem: Problem, codes: Codebook, lang: str) -> str:
    """What is wrong, in the UI language (row and column are shown beside it)."""
    if problem.issue is not None:
        return issue_text(dataclasses.replace(problem.issue, row=None), codes, lang)
    value = problem.value or ""
    texts = {
        "too_large": _("Het bestand is groter dan {mb} MB. Splits het op.").format(
            mb=MAX_BYTES // (1024 * 1024)
        ),
        "too_many_rows": _(
            "Het bestand telt {n} initiatieven; een import neemt er hoogstens {max}. Splits het op."
        ).format(n=value, max=f"{MAX_ROWS:,}".replace(",", ".")),
        "not_utf8": _(
            "Het bestand is geen UTF-8-tekst. Bewaar het in uw rekenblad als ‘CSV UTF-8’."
        ),
        "not_hsds": _(
            "Dit is geen HSDS-bestand dat we kunnen lezen (een JSON-lijst van diensten of "
            "het zip-gegevenspakket van onze export)."
        ),
        "no_rows": _("Het bestand heeft kolomnamen maar geen enkel initiatief."),
        "spreadsheet": _(
            "Dit is een rekenblad, geen CSV-bestand. Kies in uw rekenblad ‘Opslaan als’ en "
            "dan ‘CSV UTF-8’, en laad dat bestand op."
        ),
        "duplicate": _(
            "Dit initiatief (zelfde naam en gemeente) staat al op rij {row}. Elk initiatief "
            "mag maar één keer in het bestand staan."
        ).format(row=value),
        "unknown_term": _("Onbekende taxonomieterm ‘{value}’: het is geen van onze termen.").format(
            value=value
        ),
        "many_values": _("Meer dan één waarde ({value}) voor een veld met één waarde.").format(
            value=value
        ),
    }
    return texts.get(problem.code or "", value)


def _shown(value: Any) -> str:
    if value is None or value == ():
        return "–"
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return long_date(value)
    return str(value)


def _diff_rows(diffs: tuple[FieldDiff, ...]) -> list[tuple[str, str, str]]:
    return [(dutch_name(d.column), _shown(d.before), _shown(d.after)) for d in diffs]


def _kept_text(e: Entry) -> str:
    """Why a record's last_verified does not change: the stored date is the later one."""
    assert e.kept_verified is not None
    if e.file_verified is None:
        return _("blijft {kept} (het bestand geeft geen datum).").format(
            kept=long_date(e.kept_verified)
        )
    return _("blijft {kept} (het bestand geeft {older}).").format(
        kept=long_date(e.kept_verified), older=long_date(e.file_verified)
    )


def kind_titles() -> dict[str, str]:
    return {
        "new": _("Nieuw"),
        "changed": _("Gewijzigd"),
        "restored": _("Teruggezet uit het archief"),
        "unchanged": _("Ongewijzigd"),
        "archived": _("Naar het archief (niet in het bestand)"),
    }


def _plan_context(plan: Plan, codes: Codebook, lang: str) -> dict[str, Any]:
    problems = [
        {
            "row": p.row,
            "record": p.record,
            "column": p.column,
            "text": problem_text(p, codes, lang),
        }
        for p in plan.problems
    ]
    groups = [
        {
            "kind": kind,
            "title": kind_titles()[kind],
            "count": plan.counts[kind],
            "shown": len(plan.samples[kind]),
            "entries": [
                {
                    "row": e.row,
                    "name": e.name,
                    "municipality": e.municipality,
                    "id": e.id,
                    "diffs": _diff_rows(e.diffs),
                }
                for e in plan.samples[kind]
            ],
        }
        for kind in KINDS
        if kind != "archived" or plan.replace
    ]
    kept = [
        {"row": e.row, "name": e.name, "municipality": e.municipality, "text": _kept_text(e)}
        for e in plan.kept_samples
    ]
    return {
        "plan": plan,
        "problems": problems,
        "groups": groups,
        "kept": kept,
        "sample": SAMPLE,
        "hsds": plan.source != "csv",
    }


# --- import ------------------------------------------------------------------------------


def _form_page(
    request: Request, user: CuratorUser, message: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return _page(
        request,
        "beheer/import_form.html",
        user,
        {"message": message, "max_mb": MAX_BYTES // (1024 * 1024), "max_rows": MAX_ROWS},
        status_code=status_code,
    )


@router.get("/beheer/import", response_class=HTMLResponse)
def import_form(request: Request, user: CuratorDep) -> Response:
    """Choose a file to preview."""
    _lang(request)
    return _form_page(request, user)


def _codebook(request: Request) -> Codebook:
    return Codebook.from_knowledge(request.app.state.knowledge)


def _preview_in_thread(
    request: Request, user: CuratorUser, filename: str, data: bytes, replace: bool, lang: str
) -> tuple[Plan, str | None]:
    set_language(lang)
    upload = read_upload(filename, data)
    del data
    with Session(request.app.state.engine) as session:
        plan = preview(session, upload, replace=replace, codes=_codebook(request))
    token = _store(request, user, upload, plan) if plan.ok else None
    return plan, token


@router.post("/beheer/import", response_class=HTMLResponse)
async def import_preview_page(request: Request, user: CuratorDep) -> Response:
    """The dry run: what the uploaded file would change, or why it cannot be imported."""
    lang = _lang(request)
    form = await request.form()
    try:
        upload_file = form.get("bestand")
        replace = form.get("vervang") == "ja"
        if not isinstance(upload_file, UploadFile) or not upload_file.filename:
            return _form_page(request, user, _("Kies een bestand om te importeren."))
        filename = os.path.basename(upload_file.filename.replace("\\", "/"))[:200]
        data = await upload_file.read(MAX_BYTES + 1)
    finally:
        await form.close()
    if len(data) > MAX_BYTES:
        message = _("Het bestand is groter dan {mb} MB. Splits het op.").format(
            mb=MAX_BYTES // (1024 * 1024)
        )
        return _form_page(request, user, message)
    # Reading and comparing 100 000 rows takes seconds: off the event loop.
    plan, token = await run_in_threadpool(
        _preview_in_thread, request, user, filename, data, replace, lang
    )
    set_language(lang)
    context = _plan_context(plan, _codebook(request), lang)
    context["pending"] = token
    return _page(request, "beheer/import_preview.html", user, context)


def _apply_in_thread(request: Request, user: CuratorUser, pending: dict[str, Any]) -> Plan:
    upload = Upload(
        pending["filename"],
        pending["source"],
        pending["text"],
        records=tuple(pending.get("records") or ()),
    )
    with Session(request.app.state.engine) as session:
        plan = apply(
            session,
            upload,
            replace=bool(pending["replace"]),
            version=int(pending["version"]),
            user_id=user.id,
            codes=_codebook(request),
        )
    # This worker loads the new version now (the others within their check interval).
    request.app.state.catalogue.refresh()
    return plan


@router.post("/beheer/import/bevestig", response_class=HTMLResponse)
async def import_confirm(request: Request, user: CuratorDep) -> Response:
    """Write what the preview showed, all or nothing."""
    lang = _lang(request)
    form = await request.form()
    token = str(form.get("voorbeeld") or "")
    pending = await run_in_threadpool(_load, request, token, user)
    if pending is None:
        message = _(
            "Dit voorbeeld is verlopen of hoort niet bij uw aanmelding. Laad het bestand "
            "opnieuw op."
        )
        return _form_page(request, user, message, status_code=400)
    try:
        plan = await run_in_threadpool(_apply_in_thread, request, user, pending)
    except StalePreview:
        await run_in_threadpool(pending_imports.drop, request.app.state.engine, token)
        message = _(
            "De catalogus is gewijzigd sinds dit voorbeeld (door iemand anders of door een "
            "andere import). Er werd niets geïmporteerd. Laad het bestand opnieuw op om "
            "een nieuw voorbeeld te zien."
        )
        return _form_page(request, user, message, status_code=409)
    except NotApplicable:
        message = _("Dit bestand bevat fouten en werd niet geïmporteerd.")
        return _form_page(request, user, message, status_code=409)
    except SQLAlchemyError as exc:
        # Rolled back: nothing of the file was written. The kind of error goes to the log,
        # not the file's contents.
        logger.warning("import refused by the database: %s", type(exc).__name__)
        message = _(
            "De databank weigerde de import; er werd niets veranderd. Probeer het opnieuw "
            "met een nieuw voorbeeld."
        )
        return _form_page(request, user, message, status_code=409)
    await run_in_threadpool(pending_imports.drop, request.app.state.engine, token)
    set_language(lang)
    counts = [(kind_titles()[k], plan.counts[k]) for k in KINDS if k != "archived" or plan.replace]
    return _page(
        request,
        "beheer/import_done.html",
        user,
        {"plan": plan, "counts": counts},
    )


# --- export ------------------------------------------------------------------------------


@router.get("/beheer/export", response_class=HTMLResponse)
def export_page(request: Request, session: SessionDep, user: CuratorDep) -> Response:
    """The whole catalogue to download, in the exchange format or as HSDS."""
    _lang(request)
    table = Initiative.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(select(table.c.archived_at)).all()
    archived = sum(1 for (at,) in rows if at is not None)
    return _page(
        request,
        "beheer/export.html",
        user,
        {"active": len(rows) - archived, "archived": archived},
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _export_chunks(engine: Any, scope: str, text: str = "") -> Iterator[str]:
    """The catalogue's rows of the scope in the exchange format, a batch at a time; with
    `text`, only those whose name or municipality holds each of its words (any case), as
    the curators' record search finds them."""
    import io

    table = Initiative.__table__  # type: ignore[attr-defined]
    query = select(*(table.c[c] for c in ALL_COLUMNS)).order_by(table.c.id)
    if scope == "actief":
        query = query.where(table.c.archived_at.is_(None))
    elif scope == "archief":
        query = query.where(table.c.archived_at.is_not(None))
    for word in text.split()[:20]:
        pattern = f"%{_escape_like(word.lower())}%"
        query = query.where(
            or_(
                func.lower(table.c.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(table.c.municipality, "")).like(pattern, escape="\\"),
            )
        )
    out = io.StringIO()
    writer = InitiativeCsvWriter(out)
    with Session(engine) as session:
        rows = session.connection().execute(query.execution_options(yield_per=EXPORT_BATCH))
        for n, row in enumerate(rows, start=1):
            writer.write(row)
            if n % EXPORT_BATCH == 0:
                yield _take(out)
    yield _take(out)


def _take(out: Any) -> str:
    text: str = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


@router.get("/beheer/export/initiatieven.csv")
def export_csv(request: Request, user: CuratorDep, scope: str = "actief") -> Response:
    """The catalogue in the exchange format: active records, the archive, or both."""
    scope = scope if scope in EXPORT_SCOPES else "actief"
    name = {"actief": "initiatieven", "archief": "archief", "alles": "initiatieven-en-archief"}
    return StreamingResponse(
        _export_chunks(request.app.state.engine, scope),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name[scope]}.csv"'},
    )


@router.get("/beheer/export/zoekresultaten.csv")
def export_search(
    request: Request, user: CuratorDep, q: str = "", gearchiveerd: str = ""
) -> Response:
    """The results of the curators' record search (/beheer/aanbod, same query: `q`, and
    `gearchiveerd=1` for the archive) in the exchange format."""
    scope = "archief" if gearchiveerd == "1" else "actief"
    return StreamingResponse(
        _export_chunks(request.app.state.engine, scope, q[:200]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="zoekresultaten.csv"'},
    )


def _hsds_json_chunks(engine: Any) -> Iterator[str]:
    with Session(engine) as session:
        n = 0
        yield "["
        for service in hsds.iter_services(session):
            yield (",\n" if n else "\n") + json.dumps(
                service, ensure_ascii=False, separators=(",", ":")
            )
            n += 1
        yield "\n]\n" if n else "]\n"


@router.get("/beheer/export/hsds.json")
def export_hsds_json(request: Request, user: CuratorDep) -> Response:
    """The catalogue as a JSON list of full HSDS services, streamed."""
    return StreamingResponse(
        _hsds_json_chunks(request.app.state.engine),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="hsds-diensten.json"'},
    )


def _hsds_zip(engine: Any) -> str:
    fd, path = tempfile.mkstemp(prefix="hsds-", suffix=".zip")
    os.close(fd)
    with Session(engine) as session:
        hsds.write_zip(session, path)
    return path


@router.get("/beheer/export/hsds.zip")
async def export_hsds_zip(request: Request, user: CuratorDep) -> Response:
    """The tabular HSDS form (CSV data package), built in a temporary file and sent."""
    path = await run_in_threadpool(_hsds_zip, request.app.state.engine)
    return FileResponse(
        path,
        media_type="application/zip",
        filename="hsds-gegevenspakket.zip",
        background=BackgroundTask(os.unlink, path),
    )
