"""English for the gettext messages of app/landscape/wording.py and explain.py (issue 9),
until the babel catalog holds them; the tests install them over the real catalog, so an
English render shows whether any Dutch is left that does not go through gettext."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

from app.core.i18n import translations

EN = {
    "{value} %": "{value}%",
    "minder dan 1 %": "less than 1%",
    "meer dan 99 %": "more than 99%",
    "geen enkel initiatief": "no initiative",
    "het enige initiatief": "the only initiative",
    "alle {n} initiatieven": "all {n} initiatives",
    "{count} van de {n} initiatieven ({percent})": "{count} of the {n} initiatives ({percent})",
    "of": "or",
    "initiatieven voor {label}": "initiatives for {label}",
    "initiatieven van {label}": "initiatives by {label}",
    "initiatieven met ‘{label}’": "initiatives with ‘{label}’",
    "Er zijn geen initiatieven om te vergelijken.": "There are no initiatives to compare.",
    "Er zijn geen {group} in deze selectie, dus er valt niets te vergelijken.": (
        "There are no {group} in this selection, so there is nothing to compare."
    ),
    "In deze selectie zijn er alleen {group}: er is geen andere groep om mee te vergelijken.": (
        "This selection holds only {group}: there is no other group to compare with."
    ),
    "{row} komt bij geen enkel initiatief in deze selectie voor, dus er valt geen verschil "
    "te zien.": "No initiative in this selection has {row}, so there is no difference to see.",
    "{row} komt bij alle initiatieven in deze selectie voor, dus er valt geen verschil te "
    "zien.": "Every initiative in this selection has {row}, so there is no difference to see.",
    "{row} komt bij {group} even vaak voor als bij de andere initiatieven ({share}): er is "
    "geen verschil.": (
        "{row} is as common among {group} as among the other initiatives ({share}): "
        "there is no difference."
    ),
    "{row} komt bij {group} vaker voor dan bij de andere initiatieven ({share_with} tegen "
    "{share_without})": (
        "{row} is more common among {group} than among the other initiatives "
        "({share_with} against {share_without})"
    ),
    "{row} komt bij {group} minder vaak voor dan bij de andere initiatieven ({share_with} "
    "tegen {share_without})": (
        "{row} is less common among {group} than among the other initiatives "
        "({share_with} against {share_without})"
    ),
    "dat verschil is te groot om toeval te zijn.": "the difference is too large to be chance.",
    "dat verschil is klein genoeg om ook toeval te kunnen zijn.": (
        "the difference is small enough to be chance."
    ),
    "de aantallen zijn te klein om iets te besluiten: het verschil kan ook toeval zijn.": (
        "the numbers are too small to conclude anything: the difference may be chance."
    ),
    "de aantallen zijn klein, maar ook een exacte toets vindt dat verschil te groot om "
    "toeval te zijn.": (
        "the numbers are small, but an exact test also finds the difference too large to be chance."
    ),
}

SOURCES = [
    Path(__file__).resolve().parents[1] / "app" / "landscape" / name
    for name in ("wording.py", "explain.py", "gaps.py")
]


def msgids() -> set[str]:
    """Every literal message the landscape's wording passes to gettext or ngettext."""
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("gettext", "ngettext")
            ):
                found.update(
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
    return found


class English(gettext.NullTranslations):
    """The real English catalog with EN on top."""

    def __init__(self) -> None:
        super().__init__()
        self.real = translations("en")

    def gettext(self, message: str) -> str:
        return EN.get(message) or self.real.gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if msgid1 in EN:
            return EN[msgid1 if n == 1 else msgid2]
        return self.real.ngettext(msgid1, msgid2, n)


def with_english(lang: str) -> gettext.NullTranslations:
    return English() if lang == "en" else translations(lang)
