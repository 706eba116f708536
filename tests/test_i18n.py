"""The English catalog: complete, consistent with the source, and used by the web pages.

The Dutch texts in app/ and templates/ are the msgids. Extraction here uses babel.cfg and the
keywords of the `pybabel extract` command written at its top, so a Dutch string added without
an English translation, or a translation whose Dutch text is gone, fails a test naming it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app.core.config import REPO_ROOT
from app.core.i18n import LOCALE_DIR

BABEL_CFG = REPO_ROOT / "babel.cfg"
PO_FILE = LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
# The Python code imports these under `_`; allow calling them by their own names too.
KEYWORDS = {**DEFAULT_KEYWORDS, "gettext_": None, "ngettext_": (1, 2)}
# str.format fields ({n}, {total}) and %-style fields (%(name)s, used by {% trans %} blocks).
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([^)]*\)[a-z]")

Key = tuple[str, str | None]  # (msgid, msgctxt); for plurals the singular msgid


@dataclass
class Extracted:
    ids: tuple[str, ...]  # (msgid,) or (singular, plural)
    context: str | None
    locations: list[str] = field(default_factory=list)


@cache
def extracted() -> dict[Key, Extracted]:
    """Every message in the source, as the `pybabel extract` command in babel.cfg finds it."""
    with BABEL_CFG.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(BABEL_CFG))
    messages: dict[Key, Extracted] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        REPO_ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        ids = tuple(message) if isinstance(message, (tuple, list)) else (message,)
        if not ids[0]:
            continue
        entry = messages.setdefault((ids[0], context), Extracted(ids, context))
        entry.locations.append(f"{filename}:{lineno}")
    return messages


def catalog() -> Catalog:
    with PO_FILE.open("rb") as fh:
        return read_po(fh, locale="en")


def po_messages() -> dict[Key, tuple[str, ...]]:
    """msgid → msgstr(s) of every active entry in the .po (not the header)."""
    result = {}
    for m in catalog():
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        result[(key, m.context)] = tuple(s or "" for s in strings)
    return result


def describe(key: Key) -> str:
    msgid, context = key
    where = extracted().get(key)
    loc = f"  ({', '.join(where.locations[:3])})" if where else ""
    ctx = f" [context {context!r}]" if context else ""
    return f"  {msgid!r}{ctx}{loc}"


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def test_babel_cfg_finds_python_and_template_messages() -> None:
    files = {loc.rsplit(":", 1)[0] for e in extracted().values() for loc in e.locations}
    assert any(f.startswith("app/") and f.endswith(".py") for f in files), files
    assert any(f.startswith("templates/") and f.endswith(".html") for f in files), files
    assert ("Volgende", None) in extracted()


def test_po_header_is_english_and_not_fuzzy() -> None:
    cat = catalog()
    assert str(cat.locale) == "en"
    assert cat.num_plurals == 2
    assert cat.plural_expr.replace(" ", "") in {"(n!=1)", "n!=1"}
    assert cat.charset.lower() == "utf-8"
    assert not cat.fuzzy, "the catalog header is marked fuzzy"
    fuzzy = [describe((m.id, m.context)) for m in cat if m.id and m.fuzzy]
    assert not fuzzy, "fuzzy entries (remove the flag once checked):\n" + "\n".join(fuzzy)


def test_every_extracted_message_has_an_english_translation() -> None:
    po = po_messages()
    missing = []
    for key, entry in sorted(extracted().items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        strings = po.get(key)
        if not strings or not all(s.strip() for s in strings):
            missing.append(describe(key))
        elif len(entry.ids) > 1 and len(strings) < 2:
            missing.append(describe(key) + " (plural forms missing)")
    assert not missing, (
        f"{len(missing)} Dutch message(s) without an English translation in "
        f"{PO_FILE.relative_to(REPO_ROOT)}:\n" + "\n".join(missing)
    )


def test_translations_keep_the_placeholders() -> None:
    wrong = []
    for m in catalog():
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for n, s in enumerate(strings):
            # English: msgstr[0] is the singular, every further form the plural.
            msgid = ids[min(n, len(ids) - 1)]
            if s and placeholders(s) != placeholders(msgid):
                wrong.append(
                    f"  {msgid!r} → {s!r}: expected {sorted(placeholders(msgid).elements())}, "
                    f"found {sorted(placeholders(s).elements())}"
                )
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_po_has_no_unused_or_obsolete_entries() -> None:
    source = extracted()
    unused = [describe(key) for key in po_messages() if key not in source]
    obsolete = [f"  {msgid!r} (obsolete #~ entry)" for msgid in catalog().obsolete]
    problems = unused + obsolete
    assert not problems, (
        "entries in the .po whose Dutch text no longer occurs in the source "
        "(delete them, or re-translate the changed msgid):\n" + "\n".join(problems)
    )


def test_catalog_compiles_and_translates() -> None:
    from app.core.i18n import translations

    translations.cache_clear()
    try:
        en = translations("en")
        assert en.gettext("Volgende") == "Next"
        assert en.gettext("Stap {n} van {total}").format(n=2, total=7) == "Step 2 of 7"
    finally:
        translations.cache_clear()


@pytest.fixture
def english() -> dict[str, str]:
    po = po_messages()
    return {
        "Volgende": po[("Volgende", None)][0],
        "Stap {n} van {total}": po[("Stap {n} van {total}", None)][0],
    }


def test_lang_query_switches_to_english_and_sticks(
    client: TestClient, english: dict[str, str]
) -> None:
    r = client.get("/intake/context?lang=en")
    assert r.status_code == 200
    assert english["Volgende"] in r.text
    assert ">Volgende<" not in r.text
    assert '<html lang="en">' in r.text
    assert "lang=en" in r.headers.get("set-cookie", "")
    assert client.cookies.get("lang") == "en"

    again = client.get("/intake/context")
    assert again.status_code == 200
    assert english["Volgende"] in again.text
    assert '<html lang="en">' in again.text

    back = client.get("/intake/context?lang=nl")
    assert ">Volgende<" in back.text
    assert client.cookies.get("lang") == "nl"


def test_dutch_without_cookie(client: TestClient, english: dict[str, str]) -> None:
    client.cookies.clear()
    r = client.get("/intake/context")
    assert r.status_code == 200
    assert '<html lang="nl">' in r.text
    assert "Volgende" in r.text
    assert english["Volgende"] not in r.text
    assert "lang=" not in r.headers.get("set-cookie", "")


def test_the_scale_asks_the_published_english_items_in_english(client: TestClient) -> None:
    from app.domain.scales import DJG6_ITEMS, DJG6_ITEMS_EN

    english = client.get("/intake/scale?lang=en").text
    dutch = client.get("/intake/scale?lang=nl").text
    for (_dimension, nl), en in zip(DJG6_ITEMS, DJG6_ITEMS_EN, strict=True):
        assert en in english and nl not in english
        assert nl in dutch and en not in dutch
    assert "I experience a general sense of emptiness." in english  # the authors' wording


def test_catalogue_texts_are_marked_dutch_in_the_english_ui(client: TestClient) -> None:
    """Initiatives are described in Dutch: in the English UI their texts carry lang="nl", so a
    screen reader reads them as Dutch (WCAG 3.1.2); in the Dutch UI nothing is marked."""
    import re

    kinds = "(?:description|goal|result-description|offer-description)"
    marked = re.compile(f'<p class="{kinds}" lang="nl">')
    plain = re.compile(f'<p class="{kinds}">')
    person = {"age_group": "older", "problem_nature": "situational", "wants_contact": "true",
              "coping": "active", "municipality": "Gent"}  # fmt: skip
    for lang, pattern, other in (("en", marked, plain), ("nl", plain, marked)):
        pages = [
            client.get(f"/aanbod?lang={lang}").text,
            client.get(f"/aanbod/1?lang={lang}").text,
            client.post(f"/advies?lang={lang}", data=person).text,
        ]
        for page in pages:
            assert pattern.search(page) and not other.search(page), lang
