"""The curators' review queue of registrations (issue 11, item 3): /beheer/aanmeldingen.

On a router of app.web.beheer: anonymous users go to the login, and every POST needs the
session's form token. A curator claims a submission, approves it (it becomes an initiative
through the import's checks, confirmed today, with an audit entry, and every worker sees
it at once), or rejects it with a reason. The claim is exclusive (submissions.claim): only
the curator who holds it may edit, approve or reject; the others see who has it since when
and may take it over ("Overnemen", audited) after submissions.TAKEOVER_AFTER, an admin at
any time. The curator who claimed it may first edit its fields, in the registration's form
and with its checks (audited; approval then publishes the edited data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from app.auth.models import CuratorUser
from app.catalogue.edits import (
    NotEditable,
    StaleRecord,
    form_data,
    save_submission_edit,
    submission_fingerprint,
)
from app.catalogue.freshness import today_in_belgium
from app.catalogue.models import LIST_FIELDS, Initiative, dedupe_key
from app.catalogue.service import official_municipality
from app.catalogue.submissions import (
    FIELDS,
    MAX_REASON,
    TAKEOVER_AFTER,
    ClaimOutcome,
    DuplicateInitiative,
    NotHolder,
    Status,
    Submission,
    approve,
    as_utc,
    check_fields,
    claim,
    clean_fields,
    may_take_over,
    pending,
    reject,
)
from app.core.db import SessionDep
from app.core.i18n import gettext_ as _
from app.web.admin_pages import _lang, _page
from app.web.beheer import (
    VERSION_FIELD,
    BadFormToken,
    CuratorDep,
    beheer_router,
    form_is_stale,
    keeps_draft,
    stale_notice,
)
from app.web.dates import moment
from app.web.forms import form_text, is_language_switch

curator = beheer_router()

QUEUE = "/beheer/aanmeldingen"


def _names(session: SessionDep, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(CuratorUser).where(col(CuratorUser.id).in_(wanted)))
    return {u.id: u.name for u in users if u.id is not None}


@curator.get(QUEUE, response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, user: CuratorDep) -> Response:
    """Pending submissions, oldest first, with who claimed each."""
    return _queue(request, session, user)


def _queue(
    request: Request, session: SessionDep, user: CuratorUser, *, missing: int | None = None
) -> Response:
    _lang(request)
    rows = pending(session)
    names = _names(session, {s.claimed_by for s in rows})
    items = [
        {
            "id": s.id,
            "reference": s.reference,
            "name": s.data.get("name") or "",
            "municipality": s.data.get("municipality") or "",
            "received": moment(s.created_at),
            "claimed_by": names.get(s.claimed_by) if s.claimed_by is not None else None,
            "claimed_at": _when(s.claimed_at),
            "mine": s.claimed_by == user.id,
        }
        for s in rows
    ]
    return _page(
        request,
        "beheer/submissions.html",
        user,
        {"items": items, "missing": missing},
        status_code=200 if missing is None else 404,
    )


def _missing(
    request: Request, session: SessionDep, user: CuratorUser, submission_id: int
) -> Response:
    """The queue (404), saying that the registration asked for does not exist."""
    if form_is_stale(request):
        raise BadFormToken  # a stale form for a registration that is gone
    return _queue(request, session, user, missing=submission_id)


def _when(at: datetime | None) -> str | None:
    return moment(as_utc(at)) if at is not None else None


def _detail(
    request: Request,
    session: SessionDep,
    user: CuratorUser,
    submission: Submission,
    *,
    problem: str | None = None,
    reason: str = "",
    reason_error: str | None = None,
    status_code: int = 200,
) -> Response:
    from app.web.registration_pages import codebook_of, field_errors, field_labels

    lang = _lang(request)
    codebook = codebook_of(request)
    checked = check_fields(submission.data, codebook)
    errors = field_errors(checked.issues, codebook, lang)
    labels = field_labels()
    rows = []
    for name in FIELDS:
        value = submission.data.get(name)
        if name in LIST_FIELDS:
            shown = ", ".join(codebook.label(name, v, lang) for v in value or [])
        elif name in codebook.codes and value:
            shown = codebook.label(name, value, lang)
        else:
            shown = value or ""
        rows.append(
            {
                "name": name,
                "label": labels.get(name, name),
                "value": shown,
                "error": errors.get(name),
            }
        )
    names = _names(session, {submission.claimed_by, submission.decided_by})
    is_pending = submission.status == Status.PENDING
    mine = submission.claimed_by is not None and submission.claimed_by == user.id
    context: dict[str, Any] = {
        "s": submission,
        "rows": rows,
        "valid": not errors,
        "problem": problem,
        "reason": reason,
        "reason_error": reason_error,
        "max_reason": MAX_REASON,
        "received": moment(submission.created_at),
        "claimed_by": names.get(submission.claimed_by) if submission.claimed_by else None,
        "decided_by": names.get(submission.decided_by) if submission.decided_by else None,
        "decided_at": moment(submission.decided_at) if submission.decided_at else None,
        "is_pending": is_pending,
        "mine": mine,
        # The approve and reject forms show (and the language switch carries the reason).
        "may_decide": is_pending and (mine or submission.claimed_by is None),
        "claimed_at": _when(submission.claimed_at),
        "may_take_over": may_take_over(submission, user.is_admin),
        "takeover_from": _when(
            as_utc(submission.claimed_at) + TAKEOVER_AFTER if submission.claimed_at else None
        ),
        "takeover_hours": int(TAKEOVER_AFTER.total_seconds() // 3600),
        "taken_over": request.query_params.get("overgenomen") == "1",
        "edited": request.query_params.get("bewerkt") == "1",
    }
    return _page(request, "beheer/submission.html", user, context, status_code=status_code)


def _found(session: SessionDep, submission_id: int) -> Submission | None:
    return session.get(Submission, submission_id)


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@curator.get(QUEUE + "/{submission_id}", response_class=HTMLResponse)
def submission_page(
    request: Request, session: SessionDep, user: CuratorDep, submission_id: int
) -> Response:
    """One submission in full, each field with whether the import would accept it."""
    submission = _found(session, submission_id)
    if submission is None:
        return _missing(request, session, user, submission_id)
    return _detail(request, session, user, submission)


@curator.post(QUEUE + "/{submission_id}/oppakken", response_class=HTMLResponse)
async def claim_submission(
    request: Request, session: SessionDep, user: CuratorDep, submission_id: int
) -> Response:
    """Put one's name on a free pending submission, or take over the claim the page showed
    (form field `overnemen`: the holder's id) when that is allowed."""
    _lang(request)
    form = await request.form()
    typed = form.get("overnemen")
    holder = int(typed) if isinstance(typed, str) and typed.isdigit() else None
    if _found(session, submission_id) is None or user.id is None:
        return _to(QUEUE)
    outcome = claim(session, submission_id, user.id, take_over_from=holder, is_admin=user.is_admin)
    if outcome is ClaimOutcome.TAKEN_OVER:
        return _to(f"{QUEUE}/{submission_id}?overgenomen=1")
    if outcome is ClaimOutcome.HELD:
        return _held(request, session, user, submission_id)
    return _to(f"{QUEUE}/{submission_id}")


def _held(
    request: Request,
    session: SessionDep,
    user: CuratorUser,
    submission_id: int,
    reason: str = "",
) -> Response:
    """The page again, saying that another curator holds the submission (409)."""
    submission = session.get(Submission, submission_id, populate_existing=True)
    if submission is None:
        return _to(QUEUE)
    if submission.status != Status.PENDING:
        return _to(f"{QUEUE}/{submission_id}")
    problem = _(
        "Een andere curator heeft deze aanmelding intussen opgepakt; er werd niets "
        "gewijzigd. Hieronder staat wie ze heeft en sinds wanneer."
    )
    return _detail(
        request, session, user, submission, problem=problem, reason=reason, status_code=409
    )


@curator.post(QUEUE + "/{submission_id}/goedkeuren", response_class=HTMLResponse)
def approve_submission(
    request: Request, session: SessionDep, user: CuratorDep, submission_id: int
) -> Response:
    """Publish the submission as an initiative, or say why it cannot be."""
    _lang(request)
    submission = _found(session, submission_id)
    if submission is None:
        return _to(QUEUE)
    if submission.status != Status.PENDING or user.id is None:
        return _to(f"{QUEUE}/{submission_id}")
    from app.web.registration_pages import codebook_of

    try:
        checked = approve(session, submission, user.id, codebook_of(request), today_in_belgium())
    except NotHolder:
        return _held(request, session, user, submission_id)
    except DuplicateInitiative:
        session.rollback()
        problem = _(
            "De catalogus bevat al een initiatief met deze naam in deze gemeente. Wijs de "
            "aanmelding af of pas het bestaande initiatief aan."
        )
        if _archived_twin(session, submission):
            problem = _(
                "Er is een gearchiveerd initiatief met deze naam in deze gemeente. Zet dat "
                "terug (Initiatieven, filter ‘gearchiveerd’) of pas de naam van de "
                "aanmelding aan."
            )
        return _detail(request, session, user, submission, problem=problem, status_code=400)
    if not checked.ok:
        problem = _(
            "Deze aanmelding kan niet gepubliceerd worden: los eerst de fouten hieronder op."
        )
        return _detail(request, session, user, submission, problem=problem, status_code=400)
    return _to(f"{QUEUE}/{submission_id}")


@curator.post(QUEUE + "/{submission_id}/afwijzen", response_class=HTMLResponse)
@keeps_draft
async def reject_submission(
    request: Request, session: SessionDep, user: CuratorDep, submission_id: int
) -> Response:
    """Close the submission with a reason (required)."""
    _lang(request)
    form = await request.form()
    reason = form_text(form, "reason", MAX_REASON)
    submission = _found(session, submission_id)
    if submission is None:
        return _missing(request, session, user, submission_id)
    if form_is_stale(request):
        return _detail(
            request,
            session,
            user,
            submission,
            reason=reason,
            reason_error=stale_notice(),
            status_code=403,
        )
    if submission.status != Status.PENDING or user.id is None:
        return _to(f"{QUEUE}/{submission_id}")
    if is_language_switch(form):  # the page again, in the other language, with the reason
        return _detail(request, session, user, submission, reason=reason)
    if not reason:
        return _detail(
            request,
            session,
            user,
            submission,
            reason_error=_("Geef een reden op: die wordt bewaard bij de aanmelding."),
            status_code=400,
        )
    try:
        reject(session, submission, user.id, reason)
    except NotHolder:
        return _held(request, session, user, submission_id, reason)
    return _to(f"{QUEUE}/{submission_id}")


def _archived_twin(session: SessionDep, submission: Submission) -> bool:
    """The name and municipality of the registration are those of an archived record."""
    town = official_municipality(submission.data.get("municipality") or None)
    key = dedupe_key(str(submission.data.get("name") or ""), town)
    row = session.exec(select(Initiative).where(col(Initiative.dedupe_key) == key)).first()
    return row is not None and row.archived_at is not None


# --- editing a claimed registration before approval ----------------------------------------


def _edit_form(
    request: Request,
    user: CuratorUser,
    submission: Submission,
    data: dict[str, Any],
    version: str,
    errors: dict[str, str],
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    from app.web.registration_pages import fields_context

    return _page(
        request,
        "beheer/submission_edit.html",
        user,
        {
            **fields_context(request, data, errors),
            "curator_form": True,
            "s": submission,
            "version": version,
            "notice": notice,
        },
        status_code=status_code,
    )


def _editable(submission: Submission | None, user: CuratorUser) -> bool:
    return (
        submission is not None
        and submission.status == Status.PENDING
        and submission.claimed_by is not None
        and submission.claimed_by == user.id
    )


@curator.get(QUEUE + "/{submission_id}/bewerken", response_class=HTMLResponse)
def submission_edit_form(
    request: Request, session: SessionDep, user: CuratorDep, submission_id: int
) -> Response:
    """The registration's fields in its own form, for the curator who claimed it."""
    _lang(request)
    submission = _found(session, submission_id)
    if submission is None:
        return _missing(request, session, user, submission_id)
    if not _editable(submission, user):
        return _to(f"{QUEUE}/{submission_id}")
    data = form_data(submission.data)
    return _edit_form(request, user, submission, data, submission_fingerprint(submission), {})


@curator.post(QUEUE + "/{submission_id}/bewerken", response_class=HTMLResponse)
@keeps_draft
async def submission_edit(
    request: Request, session: SessionDep, user: CuratorDep, submission_id: int
) -> Response:
    """Check the edited fields as the registration does; store them, audited, or show the
    form again with every problem beside its field and nothing lost (also under a stale
    form token, then storing nothing)."""
    from app.web.registration_pages import codebook_of, field_errors

    lang = _lang(request)
    form = await request.form()
    submission = _found(session, submission_id)
    if submission is None:
        return _missing(request, session, user, submission_id)
    data = clean_fields(form)
    version = form_text(form, VERSION_FIELD, 64)
    if form_is_stale(request):
        notice = stale_notice()
        return _edit_form(
            request, user, submission, data, version, {}, notice=notice, status_code=403
        )
    if not _editable(submission, user) or user.id is None:
        return _to(f"{QUEUE}/{submission_id}")
    if is_language_switch(form):
        return _edit_form(request, user, submission, data, version, {})
    codebook = codebook_of(request)
    errors = field_errors(check_fields(data, codebook).issues, codebook, lang)
    if errors or not version:
        return _edit_form(
            request,
            user,
            submission,
            data,
            version or submission_fingerprint(submission),
            errors,
            status_code=400,
        )
    try:
        save_submission_edit(session, submission, data, expected=version, by=user.id)
    except StaleRecord:
        notice = _(
            "Iemand anders heeft deze aanmelding intussen gewijzigd; er werd niets opgeslagen. "
            "Hieronder staan uw gegevens: kijk ze na en bewaar opnieuw."
        )
        return _edit_form(
            request,
            user,
            submission,
            data,
            submission_fingerprint(submission),
            {},
            notice=notice,
            status_code=409,
        )
    except NotEditable:
        return _to(f"{QUEUE}/{submission_id}")
    return _to(f"{QUEUE}/{submission_id}?bewerkt=1")
