"""Jinja2 environment with gettext, and rendering of full pages or htmx fragments."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2_fragments import render_block
from markupsafe import Markup

from app.core.config import REPO_ROOT
from app.core.i18n import current_language, decimal, gettext_, ngettext_, translations
from app.web.forms import LANGUAGE_SWITCH

TEMPLATES_DIR = REPO_ROOT / "templates"
STATIC_DIR = REPO_ROOT / "static"


@lru_cache(maxsize=64)
def _static_hash(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except FileNotFoundError:
        return "0"


def static_url(path: str) -> str:
    """URL of a static file with a content hash, so it can be cached for long."""
    return f"/static/{path}?v={_static_hash(path)}"


def here_with(request: Request, **params: str) -> str:
    """This page's path and query with `params` replaced, as a relative link.

    Never absolute: the Host header is the client's to choose (issue 8, defect 7).
    """
    url = request.url.include_query_params(**params)
    return url.path + (f"?{url.query}" if url.query else "")


def cite(source: str) -> str:
    """A citation as the UI language writes it: "e.a." in Dutch, "et al." in English."""
    if current_language() == "en":
        return source
    return source.replace(" et al.", " e.a.")


# Translated messages without variables, as templates get them: (language, msgid, autoescape)
# → the message. A catalog never changes while the app runs, and the msgids are the
# templates' own literals, so this holds a few hundred entries (bounded all the same).
_translated: dict[tuple[str, str, bool], str] = {}
_TRANSLATED_MAX = 8192


@pass_context
def _gettext(context: Context, message: str, **variables: Any) -> str:
    """`_()` and `gettext()` in templates: what jinja2.ext.i18n's newstyle gettext returns
    (the translation, as Markup when autoescaping, always %-formatted with the variables),
    without its two extra calls through the template context per message, and kept per
    language for messages without variables. A result page calls it some 150 times."""
    autoescape = bool(context.eval_ctx.autoescape)
    if variables:
        text = translations(current_language()).gettext(message)
        return (Markup(text) if autoescape else text) % variables
    key = (current_language(), message, autoescape)
    found = _translated.get(key)
    if found is None:
        text = translations(key[0]).gettext(message)
        found = (Markup(text) if autoescape else text) % variables
        if len(_translated) < _TRANSLATED_MAX:
            _translated[key] = found
    return found


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    # The same messages, faster (see _gettext).
    env.globals["_"] = env.globals["gettext"] = _gettext
    env.globals["static_url"] = static_url
    env.filters["dec"] = decimal
    env.filters["cite"] = cite
    env.globals["here_with"] = here_with
    # The marker field of a form's language switch (lang_switch with reshow).
    env.globals["LANGUAGE_SWITCH"] = LANGUAGE_SWITCH
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and (
        request.headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a whole page, or only `block` (the fragment htmx swaps in)."""
    env = environment()
    ctx = {"request": request, "lang": current_language(), "fragment": block is not None, **context}
    if block is not None:
        html = render_block(env, template, block, ctx)
    else:
        html = env.get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response
