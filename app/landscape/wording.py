"""Counts and lists written as a reader says them: "geen enkel initiatief", "alle 22
initiatieven", "3 van de 22 initiatieven (14 %)", "a, b of c".

Shared by the gaps and the crosstab sentence; the words go through gettext.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.i18n import translations


def whole_percent(count: int, n: int, lang: str) -> str:
    """A share as a whole percentage; never "0 %" or "100 %" for a part."""
    t = translations(lang)
    if n <= 0:
        return t.gettext("{value} %").format(value=0)
    value = round(count * 100 / n)
    if value == 0 and count > 0:
        return t.gettext("minder dan 1 %")
    if value == 100 and count < n:
        return t.gettext("meer dan 99 %")
    return t.gettext("{value} %").format(value=value)


def count_phrase(count: int, n: int, lang: str) -> str:
    """How many of n initiatives, in words; the verb agrees with `is_singular(count)`."""
    t = translations(lang)
    if count <= 0:
        return t.gettext("geen enkel initiatief")
    if count >= n:
        if n == 1:
            return t.gettext("het enige initiatief")
        return t.gettext("alle {n} initiatieven").format(n=n)
    return t.gettext("{count} van de {n} initiatieven ({percent})").format(
        count=count, n=n, percent=whole_percent(count, n, lang)
    )


def is_singular(count: int) -> bool:
    """Whether a counted subject takes a singular verb (none or one initiative)."""
    return count <= 1


def join_or(items: Sequence[str], lang: str) -> str:
    """A list as a sentence says it: "a of b", "a, b of c" (English "a, b or c"). A last
    word they all share is said once: "sociale, emotionele of collectieve eenzaamheid"."""
    if len(items) <= 1:
        return "".join(items)
    word = translations(lang).gettext("of")
    tails = {item.rsplit(" ", 1)[-1] for item in items}
    if len(tails) == 1 and all(" " in item for item in items):
        heads = [item.rsplit(" ", 1)[0] for item in items]
        return f"{', '.join(heads[:-1])} {word} {heads[-1]} {tails.pop()}"
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def lower_first(label: str) -> str:
    """A label inside a sentence: "Sociale eenzaamheid" → "sociale eenzaamheid", but an
    abbreviation stays as it is ("CAW", "GGZ")."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
