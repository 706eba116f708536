"""What every page under /beheer shares: who is logged in, who may see what, form tokens.

Routers made by `beheer_router()` refuse anonymous users (a redirect to the login page)
and, with admin=True, curators that are not admins (403); every POST on them must carry
the form token of the logged-in session. Pages added for the curators later (review
queue, edits, imports) get all of this by using such a router.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import Session

from app.auth.models import CuratorUser
from app.auth.sessions import (
    SESSION_COOKIE,
    SessionClaim,
    decode_session,
    encode_session,
    form_token,
    set_cookie,
    signing_key,
    token_matches,
)
from app.catalogue.submissions import field_pairs
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.i18n import gettext_ as _
from app.core.i18n import set_language
from app.web.templating import render

LOGIN_PATH = "/beheer/login"
HOME_PATH = "/beheer"
# The form field that carries the token.
TOKEN_FIELD = "csrf"
# The login page's parameter for "a form was posted without a (valid) session".
EXPIRED = "verlopen"


class LoginRequired(Exception):
    """Nobody (valid) is logged in."""


class NotAllowed(Exception):
    """The logged-in user's role may not use this page."""


class BadFormToken(Exception):
    """A POST without the form token of this browser's session."""


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def key_of(request: Request) -> bytes:
    return signing_key(settings_of(request))


def lockout_of(request: Request) -> timedelta:
    return timedelta(minutes=settings_of(request).login_lockout_minutes)


def session_claim(request: Request) -> SessionClaim | None:
    """What this browser's cookie claims, if it is genuine and unexpired."""
    return decode_session(key_of(request), request.cookies.get(SESSION_COOKIE), time.time())


def current_user(request: Request, session: Session) -> CuratorUser | None:
    """The logged-in user: the cookie is genuine and unexpired, the user active, and the
    session counter still the cookie's (no logout or password change since)."""
    claim = session_claim(request)
    if claim is None:
        return None
    user = session.get(CuratorUser, claim.user_id)
    if user is None or not user.active or user.session_counter != claim.counter:
        return None
    return user


def start_session(request: Request, response: Response, user: CuratorUser) -> None:
    """Give the browser a cookie for `user` at its current session counter."""
    assert user.id is not None
    seconds = int(settings_of(request).session_hours * 3600)
    claim = SessionClaim(user.id, user.session_counter, int(time.time()) + seconds)
    value = encode_session(key_of(request), claim)
    set_cookie(request, response, SESSION_COOKIE, value, seconds, "lax")


def require_curator(request: Request, session: SessionDep) -> CuratorUser:
    """Dependency: the logged-in user (curator or admin), or a redirect to the login page."""
    user = current_user(request, session)
    if user is None:
        raise LoginRequired
    return user


CuratorDep = Annotated[CuratorUser, Depends(require_curator)]


def require_admin(user: CuratorDep) -> CuratorUser:
    """Dependency: the logged-in admin; a curator gets 403."""
    if not user.is_admin:
        raise NotAllowed
    return user


AdminDep = Annotated[CuratorUser, Depends(require_admin)]


def session_token(request: Request) -> str:
    """The form token of this browser's session (for the hidden field of every form)."""
    return form_token(key_of(request), request.cookies.get(SESSION_COOKIE, ""))


# The hidden field of an edit form that holds the version of the row it was opened on.
VERSION_FIELD = "versie"


def draft_pairs(request: Request, data: dict[str, Any], version: str) -> list[tuple[str, str]]:
    """An edit form's draft as the form posts it (the fields, the form token, the version):
    what the language switch of its preview sends (the form's own switch posts the form)."""
    return [*field_pairs(data), (TOKEN_FIELD, session_token(request)), (VERSION_FIELD, version)]


# The attribute `keeps_draft` sets on a route's endpoint.
KEEPS_DRAFT = "keeps_draft"

Endpoint = Callable[..., Any]


def keeps_draft(endpoint: Endpoint) -> Endpoint:
    """Mark a POST route whose form carries typed text: with a valid session but a stale
    form token it is called anyway, with `form_is_stale(request)` true, and must show its
    form again with what was posted (403), storing nothing. A bare refusal would lose the
    curator's text (a form opened before a login elsewhere, a restart with a new key)."""
    setattr(endpoint, KEEPS_DRAFT, True)
    return endpoint


def form_is_stale(request: Request) -> bool:
    """This POST's form token is not its session's (only ever true on a `keeps_draft` route)."""
    return bool(getattr(request.state, "stale_form", False))


def stale_notice() -> str:
    return _("Het formulier was verlopen; controleer en bewaar opnieuw.")


async def check_form_token(request: Request) -> None:
    """Dependency: an unsafe request must carry the token of the session it runs in."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    cookie = request.cookies.get(SESSION_COOKIE)
    if token_matches(key_of(request), cookie, form.get(TOKEN_FIELD), "form"):
        return
    # The login was checked first (the router's dependencies run in order): the session
    # is valid, only the form is older than it.
    if getattr(request.scope.get("endpoint"), KEEPS_DRAFT, False):
        request.state.stale_form = True
        return
    raise BadFormToken


def safe_next(path: str | None) -> str:
    """Where to go after logging in: only a page under /beheer of this site."""
    if (
        not path
        or not (path == HOME_PATH or path.startswith(HOME_PATH + "/"))
        or "//" in path
        or "\\" in path
        or path.startswith(LOGIN_PATH)
        or any(ord(c) < 32 for c in path)
    ):
        return HOME_PATH
    return path


def login_url(request: Request) -> str:
    """The login page, returning here afterwards (only for a page one can GET). After a
    post it says that the session had ended: what was posted is not kept anywhere."""
    if request.method != "GET":
        return f"{LOGIN_PATH}?{EXPIRED}=1"
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{LOGIN_PATH}?volgende={quote(safe_next(target), safe='/')}"


def refusal(request: Request, title: str, message: str, status: int) -> Response:
    set_language(request.scope.get("state", {}).get("lang", "nl"))
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


class BeheerRoute(APIRoute):
    """A route whose refusals are pages (redirect to login, 403) and whose answers are
    never cached: they show accounts and unpublished work."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = RedirectResponse(login_url(request), status_code=303)
            except NotAllowed:
                response = refusal(
                    request,
                    _("Geen toegang"),
                    _("Deze pagina is alleen voor beheerders. Vraag een beheerder om hulp."),
                    403,
                )
            except BadFormToken:
                response = refusal(
                    request,
                    _("Formulier verlopen"),
                    _(
                        "Dit formulier hoort niet (meer) bij uw aanmelding en werd niet "
                        "verwerkt. Open de pagina opnieuw en probeer nog eens."
                    ),
                    403,
                )
            response.headers["Cache-Control"] = "no-store"
            return response

        return guarded


def beheer_router(*, admin: bool = False) -> APIRouter:
    """A router whose every route needs a logged-in curator (or admin) and whose every
    POST needs the session's form token."""
    return APIRouter(
        include_in_schema=False,
        route_class=BeheerRoute,
        dependencies=[
            Depends(require_admin if admin else require_curator),
            Depends(check_form_token),
        ],
    )


def open_router() -> APIRouter:
    """A router for the few /beheer routes that anonymous users reach (the login)."""
    return APIRouter(include_in_schema=False, route_class=BeheerRoute)
