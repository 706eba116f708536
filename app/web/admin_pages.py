"""Curator pages under /beheer (issue 11): login, users, the catalogue's upkeep.

Every route here except the login is on a router of app.web.beheer, which refuses
anonymous users and (for the user management) curators that are not admins, and checks
the form token of every POST. tests/test_curators.py walks all /beheer routes to hold that.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from app.auth.audit import audit_page
from app.auth.models import AuditEntry, CuratorUser, Role
from app.auth.passwords import MIN_LENGTH, generate_password, password_problem, verify_password
from app.auth.service import (
    AccountError,
    LoginOutcome,
    authenticate,
    create_user,
    end_sessions,
    find_user,
    list_users,
    set_active,
    set_password,
)
from app.auth.sessions import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_SECONDS,
    SESSION_COOKIE,
    clear_cookie,
    form_token,
    new_login_nonce,
    set_cookie,
    token_matches,
)
from app.catalogue import submissions
from app.catalogue.columns import Codebook, dutch_name
from app.catalogue.freshness import (
    INITIATIVE_TABLE,
    freshness_counts,
    stale_page,
    stale_since,
    today_in_belgium,
    verify_initiative,
)
from app.catalogue.models import Initiative
from app.core.db import SessionDep
from app.core.i18n import current_language, ngettext_, set_language
from app.core.i18n import gettext_ as _
from app.core.rate_limit import check_rate, too_many_attempts
from app.web.beheer import (
    EXPIRED,
    HOME_PATH,
    LOGIN_PATH,
    TOKEN_FIELD,
    AdminDep,
    CuratorDep,
    beheer_router,
    current_user,
    form_is_stale,
    keeps_draft,
    key_of,
    lockout_of,
    open_router,
    safe_next,
    session_token,
    settings_of,
    stale_notice,
    start_session,
)
from app.web.dates import long_date, moment
from app.web.forms import LANGUAGE_SWITCH
from app.web.templating import is_htmx, render

router = open_router()
curator = beheer_router()
admin = beheer_router(admin=True)

PER_PAGE = 25
LOGIN_ACTION = "login"
PASSWORD_ACTION = "password"
# Audit-log filter: the tables whose records curators look up.
AUDIT_TABLES = ("initiative", "submission", "curator_user", "import")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Longest e-mail address (RFC 5321) and display name read from a form.
MAX_EMAIL = 254
MAX_NAME = 120

Text = Annotated[str, Form()]


# --- helpers ---------------------------------------------------------------------------


def _lang(request: Request) -> str:
    lang = str(request.scope.get("state", {}).get("lang", "nl"))
    set_language(lang)
    return current_language()


def page_number(value: str | None) -> int:
    """?pagina=N as a page number from 1; anything else is page 1."""
    try:
        number = int(value or "1")
    except ValueError:
        return 1
    return number if 1 <= number <= 1_000_000 else 1


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * PER_PAGE


def pager(page: int, total: int) -> Pager:
    pages = max(1, math.ceil(total / PER_PAGE))
    return Pager(page=min(page, pages), pages=pages, total=total)


def _page(
    request: Request,
    template: str,
    user: CuratorUser | None,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    block = "main" if is_htmx(request) else None
    full = {
        "user": user,
        "token": session_token(request) if user is not None else "",
        "token_field": TOKEN_FIELD,
        "min_length": MIN_LENGTH,
        **context,
    }
    return render(request, template, full, block=block, status_code=status_code)


def _field(form_value: str, limit: int) -> str:
    return form_value.strip()[:limit]


# --- login and logout ------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    email: str = "",
    message: str | None = None,
    notice: str | None = None,
    next_path: str = HOME_PATH,
    status_code: int = 200,
) -> Response:
    """The login form, with a fresh login cookie and the token that goes with it."""
    nonce = new_login_nonce()
    response = _page(
        request,
        "beheer/login.html",
        None,
        {
            "email": email,
            "message": message,
            "notice": notice,
            "next_path": next_path,
            "login_token": form_token(key_of(request), nonce, "login"),
        },
        status_code=status_code,
    )
    set_cookie(request, response, LOGIN_COOKIE, nonce, LOGIN_COOKIE_SECONDS, "strict")
    return response


@router.get("/beheer/login", response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, volgende: str | None = None) -> Response:
    """The login page; a logged-in user goes straight on."""
    _lang(request)
    next_path = safe_next(volgende)
    if current_user(request, session) is not None:
        return RedirectResponse(next_path, status_code=303)
    notice = _("U bent afgemeld.") if request.query_params.get("afgemeld") == "1" else None
    if request.query_params.get(EXPIRED) == "1":
        notice = _(
            "Uw sessie was afgelopen; wat u net verstuurde, werd niet bewaard. Uw tekst staat "
            "meestal nog in het formulier: ga met de knop Terug van uw browser terug en "
            "kopieer hem, of meld u eerst in een nieuw tabblad aan en verstuur het formulier "
            "daarna opnieuw."
        )
    return _login_page(request, notice=notice, next_path=next_path)


@router.post("/beheer/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    email: Text = "",
    password: Text = "",
    volgende: Text = "",
    csrf: Text = "",
) -> Response:
    """Check the address and password; on success a session cookie and on to the page."""
    _lang(request)
    email = _field(email, MAX_EMAIL)
    next_path = safe_next(volgende)
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not token_matches(key_of(request), nonce, csrf, "login"):
        message = _("Het formulier was verlopen. Vul uw gegevens opnieuw in.")
        return _login_page(
            request, email=email, message=message, next_path=next_path, status_code=403
        )
    if not email or not password:
        # Browsers do not send the form empty (required); a client that does hears which
        # field is missing, and the attempt counts for nothing.
        message = _("Vul uw e-mailadres in.") if not email else _("Vul uw wachtwoord in.")
        return _login_page(
            request, email=email, message=message, next_path=next_path, status_code=400
        )
    # A first, cheap guard of this worker (all attempts); the failures that lock are
    # counted in the database, shared by all workers (app.auth.throttle).
    wait = check_rate(request, LOGIN_ACTION)
    if wait is not None:
        return _wait_page(request, email, next_path, wait)
    settings = settings_of(request)
    result = authenticate(
        session,
        email,
        password,
        max_failures=settings.login_max_failures,
        lockout=lockout_of(request),
        secret=key_of(request),
        client=request.client.host if request.client else None,
    )
    if result.outcome is LoginOutcome.THROTTLED:
        return _wait_page(request, email, next_path, result.wait)
    if result.outcome is LoginOutcome.OK and result.user is not None:
        response = RedirectResponse(next_path, status_code=303)
        start_session(request, response, result.user)
        clear_cookie(request, response, LOGIN_COOKIE)
        return response
    if result.outcome is LoginOutcome.LOCKED:
        # Said the same way for an address without an account: nothing tells them apart.
        message = ngettext_(
            "Te veel mislukte pogingen. Aanmelden met dit e-mailadres kan pas over {n} "
            "minuut opnieuw.",
            "Te veel mislukte pogingen. Aanmelden met dit e-mailadres kan pas over {n} "
            "minuten opnieuw.",
            settings.login_lockout_minutes,
        ).format(n=settings.login_lockout_minutes)
    else:
        message = _(
            "Dit e-mailadres en wachtwoord horen niet bij elkaar, of het account is niet actief."
        )
    return _login_page(request, email=email, message=message, next_path=next_path, status_code=403)


def _wait_page(request: Request, email: str, next_path: str, wait: int) -> Response:
    """The login form again (429): too many attempts, with how long to wait."""
    message = too_many_attempts(wait)
    response = _login_page(
        request, email=email, message=message, next_path=next_path, status_code=429
    )
    response.headers["Retry-After"] = str(wait)
    return response


@curator.post("/beheer/logout")
def logout(request: Request, session: SessionDep, user: CuratorDep) -> Response:
    """End every session of this user (the cookie alone could be replayed) and go to login."""
    end_sessions(session, user)
    response = RedirectResponse(f"{LOGIN_PATH}?afgemeld=1", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


# --- the curators' pages ---------------------------------------------------------------


@curator.get("/beheer", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, user: CuratorDep) -> Response:
    """How many records there are and how many wait to be confirmed."""
    _lang(request)
    settings = settings_of(request)
    today = today_in_belgium()
    counts = freshness_counts(session, today, settings.stale_after_months)
    return _page(
        request,
        "beheer/dashboard.html",
        user,
        {
            "counts": counts,
            "months": settings.stale_after_months,
            "since": long_date(stale_since(today, settings.stale_after_months)),
            "pending": submissions.pending_count(session),
        },
    )


@curator.get("/beheer/nagekeken", response_class=HTMLResponse)
def stale_list(
    request: Request,
    session: SessionDep,
    user: CuratorDep,
    pagina: str | None = None,
    klaar: str | None = None,
) -> Response:
    """Records not confirmed within the period, with a "Nagekeken" button each."""
    _lang(request)
    settings = settings_of(request)
    today = today_in_belgium()
    counts = freshness_counts(session, today, settings.stale_after_months)
    pages = pager(page_number(pagina), counts.stale)
    rows = stale_page(
        session, today, settings.stale_after_months, limit=PER_PAGE, offset=pages.offset
    )
    done = None
    if klaar is not None and klaar.isdigit():
        row = session.get(Initiative, int(klaar)) if len(klaar) < 10 else None
        if row is not None:
            done = {"name": row.name, "day": long_date(row.last_verified)}
    return _page(
        request,
        "beheer/stale.html",
        user,
        {
            "rows": [(r, long_date(r.last_verified)) for r in rows],
            "pager": pages,
            "months": settings.stale_after_months,
            "done": done,
        },
    )


@curator.post("/beheer/nagekeken/{initiative_id}")
def verify(
    request: Request,
    initiative_id: int,
    session: SessionDep,
    user: CuratorDep,
    pagina: Text = "1",
    terug: Text = "",
) -> Response:
    """Confirm one record today; this worker loads the new catalogue before answering.

    From the record's own page (`terug=record`) the curator returns there, else to the list.
    """
    assert user.id is not None
    back = f"/beheer/nagekeken?pagina={page_number(pagina)}"
    if not 0 < initiative_id < 2**31:
        return RedirectResponse(back, status_code=303)
    row = verify_initiative(session, initiative_id, by=user.id, today=today_in_belgium())
    if row is None:
        return RedirectResponse(back, status_code=303)
    # The advice and the landscape of this worker show it at once; the other workers
    # reload when they see the new catalogue version.
    request.app.state.catalogue.refresh()
    if terug == "record":
        return RedirectResponse(f"/beheer/aanbod/{initiative_id}?klaar=nagekeken", status_code=303)
    return RedirectResponse(f"{back}&klaar={initiative_id}", status_code=303)


def action_label(action: str) -> str:
    labels = {
        "verify": _("Nagekeken"),
        "edit": _("Gewijzigd"),
        "archive": _("Gearchiveerd"),
        "restore": _("Teruggezet in het aanbod"),
        "submission_claim": _("Aanmelding opgenomen"),
        "submission_edit": _("Aanmelding bewerkt"),
        "submission_approve": _("Aanmelding goedgekeurd en gepubliceerd"),
        "submission_reject": _("Aanmelding afgewezen"),
        "submission_takeover": _("Aanmelding overgenomen"),
        "user_create": _("Gebruiker aangemaakt"),
        "user_deactivate": _("Gebruiker gedeactiveerd"),
        "user_activate": _("Gebruiker weer actief"),
        "password_reset": _("Wachtwoord opnieuw ingesteld door een beheerder"),
        "password_change": _("Eigen wachtwoord gewijzigd"),
        "import": _("Import"),
        "import_new": _("Nieuw initiatief uit een import"),
        "import_changed": _("Gewijzigd door een import"),
        "import_restored": _("Teruggezet door een import"),
        "import_archived": _("Gearchiveerd door een import (vervanging)"),
    }
    return labels.get(action, action)


def table_label(table: str) -> str:
    labels = {
        "initiative": _("Initiatief"),
        "submission": _("Aanmelding"),
        "curator_user": _("Gebruiker"),
        "import": _("Import"),
    }
    return labels.get(table, table)


USER_FIELDS = ("email", "display_name", "role", "active", "session_counter")


def field_label(table: str, field: str) -> str:
    """A field as the curators know it: the CSV column's Dutch name for initiatives."""
    if table == "curator_user":
        labels = dict(
            zip(
                USER_FIELDS,
                (_("E-mailadres"), _("Naam"), _("Rol"), _("Actief"), _("Sessieteller")),
                strict=True,
            )
        )
        return labels.get(field, field)
    if table == "import":  # the summary of an import (app.catalogue.import_preview)
        imports = {
            "file": _("Bestand"),
            "replace": _("Hele catalogus vervangen"),
            "new": _("Nieuw"),
            "changed": _("Gewijzigd"),
            "restored": _("Teruggezet uit het archief"),
            "unchanged": _("Ongewijzigd"),
            "archived": _("Naar het archief (niet in het bestand)"),
        }
        return imports.get(field, field)
    if table == "submission":  # claims and decisions (app.catalogue.submissions)
        decisions = {"claimed_by": _("Opgepakt door"), "status": _("Status"), "reason": _("Reden")}
        return decisions.get(field, field)
    if field in ("archived", "reason"):  # archive and restore (app.catalogue.edits)
        return _("Gearchiveerd") if field == "archived" else _("Reden")
    if current_language() == "nl":
        return dutch_name(field)
    # The English column name of the exchange format, as words ("prevention_levels" →
    # "Prevention levels").
    return field.replace("_", " ").capitalize()


def _shown(value: object) -> str:
    """A before or after value: dates in words, yes/no for booleans, – for nothing."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return long_date(date.fromisoformat(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def initiative_names(session: Session, ids: set[int]) -> dict[int, str]:
    """The names of these initiatives (archived ones too), by id."""
    if not ids:
        return {}
    found = session.exec(
        select(Initiative.id, Initiative.name).where(col(Initiative.id).in_(ids))
    ).all()
    return {row_id: name for row_id, name in found if row_id is not None}


def submission_references(session: Session, ids: set[int]) -> dict[int, str]:
    """The references of these registrations, by id."""
    if not ids:
        return {}
    found = session.exec(
        select(submissions.Submission.id, submissions.Submission.reference).where(
            col(submissions.Submission.id).in_(ids)
        )
    ).all()
    return {row_id: ref for row_id, ref in found if row_id is not None}


def user_names(session: Session) -> dict[int, str]:
    """Every curator's name by id: a claim's audit entry holds user ids."""
    return {u.id: u.name for u in session.exec(select(CuratorUser)).all() if u.id is not None}


def _record_link(table: str, record_id: int, names: dict[str, dict[int, str]]) -> dict[str, str]:
    """What an entry is about, in words and as a link: an initiative's name to its record
    page, a registration's reference to its review page; else nothing."""
    pages = {INITIATIVE_TABLE: "/beheer/aanbod/", "submission": "/beheer/aanmeldingen/"}
    name = names.get(table, {}).get(record_id)
    if name is None or table not in pages:
        return {}
    return {"name": name, "page": f"{pages[table]}{record_id}"}


@curator.get("/beheer/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    session: SessionDep,
    user: CuratorDep,
    pagina: str | None = None,
    tabel: str | None = None,
    record: str | None = None,
) -> Response:
    """The audit log, newest first, optionally of one record."""
    _lang(request)
    table = tabel if tabel in AUDIT_TABLES else None
    record_id = int(record) if record and record.isdigit() and len(record) < 10 else None
    if record_id is not None and table is None:
        table = "initiative"
    total, _rows = audit_page(session, table_name=table, record_id=record_id, limit=0, offset=0)
    pages = pager(page_number(pagina), total)
    _total, rows = audit_page(
        session, table_name=table, record_id=record_id, limit=PER_PAGE, offset=pages.offset
    )
    # "What" changed: an initiative by its name, a registration by its reference.
    names = {
        INITIATIVE_TABLE: initiative_names(
            session, {e.record_id for e, _who in rows if e.table_name == INITIATIVE_TABLE}
        ),
        "submission": submission_references(
            session, {e.record_id for e, _who in rows if e.table_name == "submission"}
        ),
    }
    users = user_names(session) if names["submission"] else {}
    codebook = Codebook.from_knowledge(request.app.state.knowledge)
    lang = current_language()

    def value(table_name: str, field: object, shown: object) -> str:
        """In words: a curator's name for a claim, labels for the ids of coded fields."""
        if table_name == "submission" and field == "claimed_by" and isinstance(shown, int):
            return users.get(shown, str(shown))
        if table_name == INITIATIVE_TABLE and isinstance(field, str) and field in codebook.codes:
            if isinstance(shown, list):
                return ", ".join(codebook.label(field, str(v), lang) for v in shown) or "–"
            if isinstance(shown, str) and shown:
                return codebook.label(field, shown, lang)
        return _shown(shown)

    def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
        """Field, before, after; a field that stayed empty (a new record's) is left out."""
        rows = [
            (
                field_label(entry.table_name, str(c.get("field", ""))),
                value(entry.table_name, c.get("field"), c.get("before")),
                value(entry.table_name, c.get("field"), c.get("after")),
            )
            for c in entry.changes
        ]
        return [r for r in rows if not (r[1] == r[2] == "–")]

    entries = [
        {
            "at": moment(entry.at),
            "who": who.name if who is not None else _("opdrachtregel"),
            "action": action_label(entry.action),
            "table": table_label(entry.table_name),
            "table_name": entry.table_name,
            "record_id": entry.record_id,
            **_record_link(entry.table_name, entry.record_id, names),
            "changes": changes(entry),
        }
        for entry, who in rows
    ]
    filter_query = "&".join(
        part
        for part in (
            f"tabel={table}" if table else "",
            f"record={record_id}" if record_id is not None else "",
        )
        if part
    )
    return _page(
        request,
        "beheer/audit.html",
        user,
        {
            "entries": entries,
            "pager": pages,
            "tables": [(t, table_label(t)) for t in AUDIT_TABLES],
            "table": table,
            "record": record_id,
            "filter_query": filter_query,
        },
    )


# --- own password ----------------------------------------------------------------------


@curator.get("/beheer/wachtwoord", response_class=HTMLResponse)
def password_form(request: Request, user: CuratorDep) -> Response:
    _lang(request)
    done = request.query_params.get("gewijzigd") == "1"
    return _page(request, "beheer/password.html", user, {"errors": {}, "done": done})


@curator.post("/beheer/wachtwoord", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    user: CuratorDep,
    current: Text = "",
    new: Text = "",
    repeat: Text = "",
) -> Response:
    """Change one's own password: every other session ends, this one goes on."""
    _lang(request)
    errors: dict[str, str] = {}
    wait = check_rate(request, PASSWORD_ACTION)
    if wait is not None:
        errors["current"] = too_many_attempts(wait)
        return _page(
            request,
            "beheer/password.html",
            user,
            {"errors": errors, "done": False},
            status_code=429,
        )
    if not verify_password(current, user.password_hash)[0]:
        errors["current"] = _("Dit is niet uw huidige wachtwoord.")
    problem = password_problem(new)
    if problem:
        errors["new"] = problem
    elif new != repeat:
        errors["repeat"] = _("De twee nieuwe wachtwoorden zijn niet gelijk.")
    if errors:
        return _page(
            request,
            "beheer/password.html",
            user,
            {"errors": errors, "done": False},
            status_code=400,
        )
    set_password(session, user, new, by=user.id, action="password_change")
    response = RedirectResponse("/beheer/wachtwoord?gewijzigd=1", status_code=303)
    start_session(request, response, user)
    return response


# --- users (admins only) ---------------------------------------------------------------


def _users_page(
    request: Request,
    session: Session,
    user: CuratorUser,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    shown_password: tuple[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    users = list_users(session)
    response = _page(
        request,
        "beheer/users.html",
        user,
        {
            "users": [(u, long_date(u.created_at.date())) for u in users],
            "errors": errors or {},
            "typed": typed or {"email": "", "display_name": "", "role": Role.CURATOR.value},
            "roles_options": [
                (Role.CURATOR.value, _("curator"), _("houdt de catalogus bij")),
                (
                    Role.ADMIN.value,
                    _("beheerder"),
                    _("houdt de catalogus bij en beheert de gebruikers"),
                ),
            ],
            "shown_password": shown_password,
            "notice": notice,
        },
        status_code=status_code,
    )
    return response


@admin.get("/beheer/gebruikers", response_class=HTMLResponse)
def users(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Everybody who may log in, and a form to add somebody."""
    _lang(request)
    return _users_page(request, session, user)


@admin.post("/beheer/gebruikers", response_class=HTMLResponse)
@keeps_draft
def add_user(
    request: Request,
    session: SessionDep,
    user: AdminDep,
    email: Text = "",
    display_name: Text = "",
    role: Text = "",
    password: Text = "",
    switch: Annotated[str, Form(alias=LANGUAGE_SWITCH)] = "",
) -> Response:
    """Add a user; without a typed password one is made and shown once. The language
    switch (`switch`) shows the form again in the other language with the address, name
    and role; a typed password does not come back."""
    _lang(request)
    typed = {
        "email": _field(email, MAX_EMAIL),
        "display_name": _field(display_name, MAX_NAME),
        "role": role if role in (r.value for r in Role) else Role.CURATOR.value,
    }
    if form_is_stale(request):  # the address and name come back; a typed password does not
        notice = stale_notice()
        return _users_page(request, session, user, typed=typed, notice=notice, status_code=403)
    if switch:
        return _users_page(request, session, user, typed=typed)
    errors: dict[str, str] = {}
    address = typed["email"]
    if "@" not in address or any(c.isspace() for c in address):
        errors["email"] = _("Vul een e-mailadres in, zoals naam@gemeente.be.")
    elif find_user(session, address) is not None:
        errors["email"] = _("Er is al een gebruiker met dit e-mailadres.")
    generated = not password
    if generated:
        password = generate_password()
    else:
        problem = password_problem(password)
        if problem:
            errors["password"] = problem
    if errors:
        return _users_page(request, session, user, errors=errors, typed=typed, status_code=400)
    try:
        created = create_user(
            session,
            email=address,
            password=password,
            role=Role(typed["role"]),
            display_name=typed["display_name"],
            by=user.id,
        )
    except AccountError:
        errors["email"] = _("Er is al een gebruiker met dit e-mailadres.")
        return _users_page(request, session, user, errors=errors, typed=typed, status_code=400)
    notice = _("{email} kan zich nu aanmelden.").format(email=created.email)
    shown = (created.email, password) if generated else None
    return _users_page(request, session, user, notice=notice, shown_password=shown)


def _target(session: Session, user_id: int) -> CuratorUser | None:
    return session.get(CuratorUser, user_id) if 0 < user_id < 2**31 else None


@admin.post("/beheer/gebruikers/{user_id}/deactiveren", response_class=HTMLResponse)
def deactivate_user(
    request: Request, user_id: int, session: SessionDep, user: AdminDep
) -> Response:
    """Deactivate a user (not oneself): their sessions end, their history stays."""
    _lang(request)
    target = _target(session, user_id)
    if target is None:
        return RedirectResponse("/beheer/gebruikers", status_code=303)
    if target.id == user.id:
        notice = _("U kunt uw eigen account niet deactiveren.")
        return _users_page(request, session, user, notice=notice, status_code=400)
    set_active(session, target, False, by=user.id)
    notice = _("{email} kan zich niet meer aanmelden.").format(email=target.email)
    return _users_page(request, session, user, notice=notice)


@admin.post("/beheer/gebruikers/{user_id}/activeren", response_class=HTMLResponse)
def activate_user(request: Request, user_id: int, session: SessionDep, user: AdminDep) -> Response:
    _lang(request)
    target = _target(session, user_id)
    if target is None:
        return RedirectResponse("/beheer/gebruikers", status_code=303)
    set_active(session, target, True, by=user.id)
    notice = _("{email} kan zich weer aanmelden.").format(email=target.email)
    return _users_page(request, session, user, notice=notice)


@admin.post("/beheer/gebruikers/{user_id}/wachtwoord", response_class=HTMLResponse)
def reset_password(
    request: Request,
    user_id: int,
    session: SessionDep,
    user: AdminDep,
    password: Text = "",
) -> Response:
    """Give a user a new password (typed, or made and shown once); their sessions end."""
    _lang(request)
    target = _target(session, user_id)
    if target is None:
        return RedirectResponse("/beheer/gebruikers", status_code=303)
    if target.id == user.id:
        # Here the admin's own session would end with the page; the own-password page
        # keeps it going.
        notice = _("Uw eigen wachtwoord wijzigt u via Wachtwoord wijzigen.")
        return _users_page(request, session, user, notice=notice, status_code=400)
    generated = not password
    if generated:
        password = generate_password()
    else:
        problem = password_problem(password)
        if problem:
            return _users_page(
                request, session, user, errors={f"reset-{user_id}": problem}, status_code=400
            )
    set_password(session, target, password, by=user.id, action="password_reset")
    notice = _(
        "Het wachtwoord van {email} is gewijzigd; wie met dit account aangemeld was, is afgemeld."
    ).format(email=target.email)
    shown = (target.email, password) if generated else None
    return _users_page(request, session, user, notice=notice, shown_password=shown)


# The gated routers join the open one (the login) as the module's one router.
router.include_router(curator)
router.include_router(admin)
