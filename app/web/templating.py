"""Jinja2 environment with gettext, and rendering of full pages or htmx fragments."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_DOT,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_PIPE,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)
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


def _message(lang: str, message: str, autoescape: bool, **variables: Any) -> str:
    """What jinja2.ext.i18n's newstyle gettext gives a template: the translation, as Markup
    when autoescaping, always %-formatted with the variables (even with none)."""
    text = translations(lang).gettext(message)
    return (Markup(text) if autoescape else text) % variables


# Translated messages without variables, as templates get them: (language, msgid, autoescape)
# → the message. A catalog never changes while the app runs, and the msgids are the
# templates' own literals, so this holds a few hundred entries (bounded all the same).
_translated: dict[tuple[str, str, bool], str] = {}
_TRANSLATED_MAX = 8192


@pass_context
def _gettext(context: Context, message: str, **variables: Any) -> str:
    """`_()` and `gettext()` in templates, where _TranslatedLiterals left them: _message,
    without jinja2.ext.i18n's two extra calls through the template context per message,
    and kept per language for messages without variables."""
    autoescape = bool(context.eval_ctx.autoescape)
    if variables:
        return _message(current_language(), message, autoescape, **variables)
    key = (current_language(), message, autoescape)
    found = _translated.get(key)
    if found is None:
        found = _message(key[0], message, autoescape)
        if len(_translated) < _TRANSLATED_MAX:
            _translated[key] = found
    return found


class _TranslatedLiterals(Extension):
    """Translates `_("...")` and `gettext("...")` of a literal without variables when a
    template is compiled, for its environment's language (see environment): the message
    becomes a constant of the compiled template instead of a call on every render (a
    result page holds some 150). What the template gets is _gettext's value: Markup when
    autoescaping (a parenthesised `"..."|safe`, which Jinja folds into a constant), else
    the plain text. A template with an autoescape block, whose escaping Jinja decides
    only at render time, is left as it is, and so is a message that does not %-format.
    (No template binds `_` or `gettext` to anything else, which this relies on.)"""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        tokens = list(stream)
        lang: str | None = getattr(self.environment, "ui_language", None)
        escape = self.environment.autoescape
        autoescape = bool(escape(stream.name) if callable(escape) else escape)
        if lang is None or any(t.test("name:autoescape") for t in tokens):
            yield from tokens
            return
        i = 0
        while i < len(tokens):
            name, *call = tokens[i : i + 4]
            literal = (
                name.type == TOKEN_NAME
                and name.value in ("_", "gettext")
                and (i == 0 or tokens[i - 1].type != TOKEN_DOT)
                and [t.type for t in call] == [TOKEN_LPAREN, TOKEN_STRING, TOKEN_RPAREN]
            )
            try:
                text = _message(lang, call[1].value, autoescape) if literal else None
            except (TypeError, ValueError, KeyError):
                text = None
            if text is None:
                yield name
                i += 1
                continue
            line = name.lineno
            if autoescape:
                yield Token(line, TOKEN_LPAREN, "(")
                yield Token(line, TOKEN_STRING, str(text))
                yield Token(line, TOKEN_PIPE, "|")
                yield Token(line, TOKEN_NAME, "safe")
                yield Token(line, TOKEN_RPAREN, ")")
            else:
                yield Token(line, TOKEN_STRING, text)
            i += 4


def environment(lang: str | None = None) -> Environment:
    """The templates' environment for one UI language (by default the current one): each
    language has its own, whose templates hold their messages already translated."""
    return _environment(lang or current_language())


@lru_cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n", _TranslatedLiterals],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change only with a new release, which restarts the server: no stat()
        # of every template file (and of each macro file it imports) on every render.
        auto_reload=False,
    )
    env.extend(ui_language=lang)
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
