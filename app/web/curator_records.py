"""Curators keep published records up to date (issue 11, item 3): /beheer/aanbod.

A list to find a record (by name or municipality, archived ones under their own filter),
a page per record with its recent history, an edit form with the registration's fields
and checks, a preview with the field-level diff before anything is saved, and archive /
restore instead of delete. The service is app.catalogue.edits; every write raises the
catalogue version, and this worker loads the new catalogue before answering (as
"Nagekeken" does), so advice and landscape use it at once.

The draft travels in the form (hidden fields on the preview), never in a cookie or the
server's memory; its `versie` field is the fingerprint of the record it was opened on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth.audit import audit_page
from app.catalogue.columns import Codebook
from app.catalogue.edits import (
    MAX_ARCHIVE_REASON,
    FieldChange,
    StaleRecord,
    archive,
    archive_reason,
    check_edit,
    curator_page,
    diff,
    form_data,
    new_values,
    record_fingerprint,
    restore,
    save_edit,
    stored_values,
)
from app.catalogue.freshness import INITIATIVE_TABLE, is_stale, today_in_belgium
from app.catalogue.models import LIST_FIELDS, Initiative
from app.catalogue.submissions import FIELDS, DuplicateInitiative, clean_fields, field_pairs
from app.core.db import SessionDep
from app.core.i18n import gettext_ as _
from app.web.admin_pages import (
    _lang,
    _page,
    action_label,
    field_label,
    page_number,
    pager,
)
from app.web.beheer import (
    VERSION_FIELD,
    BadFormToken,
    CuratorDep,
    beheer_router,
    draft_pairs,
    form_is_stale,
    keeps_draft,
    settings_of,
    stale_notice,
)
from app.web.dates import long_date, moment
from app.web.forms import form_text, is_language_switch
from app.web.registration_pages import codebook_of, field_errors, fields_context

router = beheer_router()

BASE = "/beheer/aanbod"
MAX_QUERY = 100
MAX_ID = 2**31 - 1
HISTORY = 5


def _row(session: Session, initiative_id: int) -> Initiative | None:
    return session.get(Initiative, initiative_id) if 0 < initiative_id <= MAX_ID else None


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def shown(codebook: Codebook, name: str, value: Any, lang: str) -> str:
    """A stored value in words: labels for ids, – for nothing."""
    if name in LIST_FIELDS:
        return ", ".join(codebook.label(name, v, lang) for v in value or []) or "–"
    if value and name in codebook.codes:
        return codebook.label(name, str(value), lang)
    return str(value) if value else "–"


def short_labels() -> dict[str, str]:
    """Each field by its short name, as the audit log names it (the CSV column's)."""
    return {name: field_label(INITIATIVE_TABLE, name) for name in FIELDS}


def diff_rows(changes: list[FieldChange], codebook: Codebook, lang: str) -> list[dict[str, Any]]:
    """The diff as the preview shows it: field, before, after; lists as added and removed."""
    labels = short_labels()
    rows = []
    for c in changes:
        row: dict[str, Any] = {"field": c.field, "label": labels.get(c.field, c.field)}
        if c.is_list:
            row["added"] = [codebook.label(c.field, v, lang) for v in c.added]
            row["removed"] = [codebook.label(c.field, v, lang) for v in c.removed]
        row["before"] = shown(codebook, c.field, c.before, lang)
        row["after"] = shown(codebook, c.field, c.after, lang)
        rows.append(row)
    return rows


# --- list and record page ----------------------------------------------------------------


@router.get(BASE, response_class=HTMLResponse)
def record_list(
    request: Request,
    session: SessionDep,
    user: CuratorDep,
    q: str = "",
    gearchiveerd: str = "",
    pagina: str | None = None,
) -> Response:
    """Find a record by name or municipality; the archived ones under their own filter."""
    return _list(request, session, user, q, gearchiveerd, pagina)


def _list(
    request: Request,
    session: Session,
    user: Any,
    q: str = "",
    gearchiveerd: str = "",
    pagina: str | None = None,
    *,
    missing: int | None = None,
) -> Response:
    _lang(request)
    text = " ".join(q.replace("\x00", "").split())[:MAX_QUERY]
    archived = gearchiveerd == "1"
    total, _rows = curator_page(session, text, archived=archived, limit=0, offset=0)
    pages = pager(page_number(pagina), total)
    _total, rows = curator_page(session, text, archived=archived, limit=25, offset=pages.offset)
    # Encoded: a name with "&" or "#" stays one search on the next page.
    query = urlencode(
        [(k, v) for k, v in (("q", text), ("gearchiveerd", "1" if archived else "")) if v]
    )
    months = settings_of(request).stale_after_months
    today = today_in_belgium()
    return _page(
        request,
        "beheer/record_list.html",
        user,
        {
            "rows": [(r, long_date(r.last_verified)) for r in rows],
            "stale_ids": {
                r.id for r in rows if not r.archived_at and is_stale(r.last_verified, today, months)
            },
            "pager": pages,
            "q": text,
            "archived": archived,
            "base": BASE + (f"?{query}" if query else ""),
            "missing": missing,
        },
        status_code=200 if missing is None else 404,
    )


def _missing(request: Request, session: Session, user: Any, initiative_id: int) -> Response:
    """The list (404), saying that the record asked for does not exist: an old link, a
    typo in the address, or a record another curator's import replaced."""
    if form_is_stale(request):
        raise BadFormToken  # a stale form for a record that is gone: nothing to show again
    return _list(request, session, user, missing=initiative_id)


def _record_page(
    request: Request,
    session: Session,
    user: Any,
    row: Initiative,
    *,
    reason: str = "",
    reason_error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = _lang(request)
    codebook = codebook_of(request)
    labels = short_labels()
    assert row.id is not None
    values = stored_values(row)
    fields = [
        {"label": labels.get(name, name), "value": shown(codebook, name, values[name], lang)}
        for name in FIELDS
    ]
    total, entries = audit_page(
        session, table_name=INITIATIVE_TABLE, record_id=row.id, limit=HISTORY, offset=0
    )
    history = [
        {
            "at": moment(entry.at),
            "who": who.name if who is not None else _("opdrachtregel"),
            "action": action_label(entry.action),
            "fields": [labels.get(str(c.get("field")), str(c.get("field"))) for c in entry.changes],
        }
        for entry, who in entries
    ]
    done = {
        "opgeslagen": _("De wijzigingen zijn opgeslagen."),
        "niets": _("Er is niets gewijzigd; er werd niets opgeslagen."),
        "gearchiveerd": _("Het initiatief is gearchiveerd: het staat niet meer in het aanbod."),
        "teruggezet": _("Het initiatief staat weer in het aanbod."),
        "nagekeken": _("Het initiatief is nagekeken: vandaag bevestigd."),
    }.get(request.query_params.get("klaar", ""))
    # The same test as the stale list and the public page: a curator who opens a stale
    # record sees so, and can confirm it here instead of looking it up in that list.
    months = settings_of(request).stale_after_months
    stale = row.archived_at is None and is_stale(row.last_verified, today_in_belgium(), months)
    return _page(
        request,
        "beheer/record_page.html",
        user,
        {
            "i": row,
            "fields": fields,
            "verified": long_date(row.last_verified),
            "stale": stale,
            "archived_on": moment(row.archived_at) if row.archived_at else None,
            "archived_reason": archive_reason(session, row.id) if row.archived_at else None,
            "history": history,
            "history_total": total,
            "done": done,
            "reason": reason,
            "reason_error": reason_error,
            "max_reason": MAX_ARCHIVE_REASON,
        },
        status_code=status_code,
    )


@router.get(BASE + "/{initiative_id}", response_class=HTMLResponse)
def record_page(
    request: Request, session: SessionDep, user: CuratorDep, initiative_id: int
) -> Response:
    """One record as the curators see it: every field, status, recent changes, actions."""
    row = _row(session, initiative_id)
    if row is None:
        return _missing(request, session, user, initiative_id)
    return _record_page(request, session, user, row)


# --- edit, preview, save -------------------------------------------------------------------


def _form(
    request: Request,
    user: Any,
    row: Initiative,
    data: dict[str, Any],
    version: str,
    errors: dict[str, str],
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        "beheer/record_edit.html",
        user,
        {
            **fields_context(request, data, errors),
            "curator_form": True,
            "i": row,
            "version": version,
            "notice": notice,
        },
        status_code=status_code,
    )


def _preview(
    request: Request,
    user: Any,
    row: Initiative,
    data: dict[str, Any],
    changes: list[FieldChange],
    version: str,
    *,
    conflict: bool = False,
) -> Response:
    lang = _lang(request)
    return _page(
        request,
        "beheer/record_preview.html",
        user,
        {
            "i": row,
            "diff": diff_rows(changes, codebook_of(request), lang),
            "hidden": field_pairs(data),
            # The switch posts the draft to the edit form's handler, which shows this
            # preview again in the other language.
            "carry": draft_pairs(request, data, version),
            "version": version,
            "conflict": conflict,
        },
        status_code=409 if conflict else 200,
    )


@router.get(BASE + "/{initiative_id}/bewerken", response_class=HTMLResponse)
def edit_form(
    request: Request, session: SessionDep, user: CuratorDep, initiative_id: int
) -> Response:
    """The record in the registration's form, with the fingerprint of what it holds now."""
    _lang(request)
    row = _row(session, initiative_id)
    if row is None:
        return _missing(request, session, user, initiative_id)
    return _form(request, user, row, form_data(stored_values(row)), record_fingerprint(row), {})


def _version(form: Any) -> str:
    return form_text(form, VERSION_FIELD, 64)


def _refused(
    request: Request,
    user: Any,
    row: Initiative,
    data: dict[str, Any],
    version: str,
    errors: dict[str, str],
) -> Response:
    """The form again with the draft and its problems. A form without its version (not one
    of ours) gets the record's current one: the next preview shows the diff against it."""
    notice = None
    if not version:
        version = record_fingerprint(row)
        notice = _(
            "Het formulier was onvolledig. Kijk de gegevens na en bekijk de wijzigingen opnieuw."
        )
    return _form(request, user, row, data, version, errors, notice=notice, status_code=400)


def _stale(request: Request, user: Any, row: Initiative, form: Any) -> Response:
    """The edit form again with what was posted, under a form token that was stale."""
    data, version = clean_fields(form), _version(form)
    return _form(request, user, row, data, version, {}, notice=stale_notice(), status_code=403)


@router.post(BASE + "/{initiative_id}/bewerken", response_class=HTMLResponse)
@keeps_draft
async def preview(
    request: Request, session: SessionDep, user: CuratorDep, initiative_id: int
) -> Response:
    """Check the draft: the form again with every problem beside its field, "niets
    gewijzigd", or the diff with Opslaan and Terug naar bewerken. `terug` and the language
    switch return to the form with the draft as it was."""
    lang = _lang(request)
    form = await request.form()
    row = _row(session, initiative_id)
    if row is None:
        return _missing(request, session, user, initiative_id)
    if form_is_stale(request):
        return _stale(request, user, row, form)
    data = clean_fields(form)
    version = _version(form)
    if form.get("terug") is not None or is_language_switch(form):
        return _form(request, user, row, data, version, {})
    codebook = codebook_of(request)
    stored = stored_values(row)
    checked = check_edit(stored, data, codebook)
    errors = field_errors(checked.issues, codebook, lang)
    if errors or not version:
        return _refused(request, user, row, data, version, errors)
    changes = diff(stored, new_values(checked, stored))
    current = record_fingerprint(row)
    if version != current:
        return _preview(request, user, row, data, changes, current, conflict=True)
    if not changes:
        notice = _("Niets gewijzigd: de gegevens zijn dezelfde als in de catalogus.")
        return _form(request, user, row, data, version, {}, notice=notice)
    return _preview(request, user, row, data, changes, version)


@router.post(BASE + "/{initiative_id}/opslaan", response_class=HTMLResponse)
@keeps_draft
async def save(
    request: Request, session: SessionDep, user: CuratorDep, initiative_id: int
) -> Response:
    """Save the draft if the record is still the one it was made on; else the diff against
    the record as it is now, to look at and save again. Under a stale form token: the
    draft in the edit form, saved nowhere."""
    lang = _lang(request)
    form = await request.form()
    row = _row(session, initiative_id)
    if row is None or user.id is None:
        return _missing(request, session, user, initiative_id)
    if form_is_stale(request):
        return _stale(request, user, row, form)
    data = clean_fields(form)
    version = _version(form)
    codebook = codebook_of(request)
    stored = stored_values(row)
    checked = check_edit(stored, data, codebook)
    errors = field_errors(checked.issues, codebook, lang)
    if errors or not version:
        return _refused(request, user, row, data, version, errors)
    values = new_values(checked, stored)
    verified_on = today_in_belgium() if form.get("nagekeken") == "1" else None
    try:
        saved = save_edit(
            session, initiative_id, values, expected=version, by=user.id, verified_on=verified_on
        )
    except StaleRecord:
        row = _row(session, initiative_id)
        if row is None:
            return _to(BASE)
        current = stored_values(row)
        changes = diff(current, new_values(checked, current))
        return _preview(request, user, row, data, changes, record_fingerprint(row), conflict=True)
    except DuplicateInitiative:
        row = _row(session, initiative_id)
        if row is None:
            return _to(BASE)
        errors = {
            "name": _(
                "Er staat al een ander initiatief met deze naam in deze gemeente in de "
                "catalogus (ook een gearchiveerd initiatief telt mee). Kies een andere naam "
                "of pas het andere initiatief aan."
            )
        }
        return _form(request, user, row, data, version, errors, status_code=400)
    if saved is None:
        return _to(BASE)
    if not saved.changes and not saved.verified:
        return _to(f"{BASE}/{initiative_id}?klaar=niets")
    # This worker answers with the new catalogue; the others see the new version.
    request.app.state.catalogue.refresh()
    return _to(f"{BASE}/{initiative_id}?klaar=opgeslagen")


# --- archive and restore ---------------------------------------------------------------------


@router.post(BASE + "/{initiative_id}/archiveren", response_class=HTMLResponse)
@keeps_draft
async def archive_record(
    request: Request, session: SessionDep, user: CuratorDep, initiative_id: int
) -> Response:
    """Take the record out of the catalogue, with a reason (required)."""
    _lang(request)
    form = await request.form()
    reason = form_text(form, "reason", MAX_ARCHIVE_REASON)
    row = _row(session, initiative_id)
    if row is None or user.id is None:
        return _missing(request, session, user, initiative_id)
    if form_is_stale(request):
        return _record_page(
            request, session, user, row, reason=reason, reason_error=stale_notice(), status_code=403
        )
    if is_language_switch(form):  # the page again, in the other language, with the reason
        return _record_page(request, session, user, row, reason=reason)
    if not reason:
        message = _("Geef een reden op: die wordt bewaard in het logboek.")
        return _record_page(request, session, user, row, reason_error=message, status_code=400)
    if archive(session, initiative_id, by=user.id, reason=reason) is None:
        return _to(BASE)
    request.app.state.catalogue.refresh()
    return _to(f"{BASE}/{initiative_id}?klaar=gearchiveerd")


@router.post(BASE + "/{initiative_id}/terugzetten", response_class=HTMLResponse)
def restore_record(
    request: Request, session: SessionDep, user: CuratorDep, initiative_id: int
) -> Response:
    """Put an archived record back in the catalogue."""
    row = _row(session, initiative_id)
    if row is None or user.id is None:
        return _missing(request, session, user, initiative_id)
    if row.archived_at is None:
        return _to(f"{BASE}/{initiative_id}")
    restore(session, initiative_id, by=user.id)
    request.app.state.catalogue.refresh()
    return _to(f"{BASE}/{initiative_id}?klaar=teruggezet")
