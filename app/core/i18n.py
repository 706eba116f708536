"""Languages: Dutch (source language of the UI) and English through a gettext catalog.

Templates write Dutch msgids; `locale/en/LC_MESSAGES/messages.po` translates them. The
catalog is compiled in memory at start-up, so no binary .mo file lives in the repository.
"""

from __future__ import annotations

import contextlib
import gettext
import io
from contextvars import ContextVar
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@lru_cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of one language (Dutch needs none)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANGUAGE or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def set_language(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def decimal(value: float, digits: int = 1) -> str:
    """A number as written in the current language: 71,4 in Dutch, 71.4 in English."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if current_language() == "nl" else text


def gettext_(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def negotiate(query_lang: str | None, cookie_lang: str | None) -> str:
    """Language from ?lang=, then the cookie; Dutch otherwise.

    The browser's Accept-Language is deliberately not used: the product is Dutch-first
    and English is a choice the user makes explicitly.
    """
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def _query_lang(scope: Any) -> str | None:
    """The first `lang` parameter of the query string, or None."""
    raw: bytes = scope.get("query_string", b"")
    # parse_qs only when the name can be in it (written out, or percent-encoded).
    if not raw or (b"lang" not in raw and b"%" not in raw):
        return None
    found = parse_qs(raw.decode("latin-1")).get("lang")
    return found[0] if found else None


def _cookie_lang(scope: Any) -> str | None:
    """The `lang` cookie of the (last) Cookie header, or None."""
    header = ""
    for key, value in scope["headers"]:
        if key == b"cookie":
            header = value.decode("latin-1")
    if "lang" not in header:  # no cookie of that name: skip parsing the others
        return None
    cookies: SimpleCookie = SimpleCookie()
    with contextlib.suppress(CookieError):
        cookies.load(header)
    return cookies["lang"].value if "lang" in cookies else None


class LanguageMiddleware:
    """Pick the language per request; `?lang=xx` also sets a cookie for later pages."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query_lang = _query_lang(scope)
        lang = negotiate(query_lang, _cookie_lang(scope))
        scope.setdefault("state", {})["lang"] = lang
        set_language(lang)
        if query_lang not in LANGUAGES:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Any) -> None:
            if message["type"] == "http.response.start":
                cookie = f"lang={query_lang}; Path=/; Max-Age=31536000; SameSite=Lax"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
