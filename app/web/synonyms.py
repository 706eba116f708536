"""Search words for the risk-factor filter (rules/synonyms.yaml), and the text it searches.

The filter on the intake's risk step runs in the browser (static/app.js); this module
prepares what it searches: label, description and synonyms of each risk factor, folded
(no case, no accents) so that the browser only has to fold what the user types.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from app.core.config import REPO_ROOT
from app.domain.vocabulary import RiskFactor

SYNONYMS_PATH = REPO_ROOT / "rules" / "synonyms.yaml"
LANGUAGES = ("nl", "en")
# Fewer than two words per language would hardly help anyone who thinks of another word.
MIN_WORDS = 2
# Words are split as app.js splits them: on anything but a-z and 0-9 (after folding).
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class SynonymsError(ValueError):
    """rules/synonyms.yaml is missing, malformed or incomplete; says which factor and field."""


@dataclass(frozen=True)
class RiskSynonyms:
    """Search words per risk factor and language."""

    words: Mapping[RiskFactor, Mapping[str, tuple[str, ...]]]

    def for_factor(self, factor: RiskFactor | str) -> tuple[str, ...]:
        """Every search word of one factor, Dutch first."""
        by_lang = self.words.get(RiskFactor(factor), {})
        return tuple(w for lang in LANGUAGES for w in by_lang.get(lang, ()))

    def search_text(self, factor: RiskFactor | str, *texts: str | None) -> str:
        """What the filter searches for one factor: the given texts and its synonyms, folded."""
        return fold(" ".join([*(t for t in texts if t), *self.for_factor(factor)]))


def fold(text: str) -> str:
    """Lower case without accents ("Geïsoleerd" → "geisoleerd"), as app.js folds a query."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _words(path: Path, factor: str, lang: str, raw: object) -> tuple[str, ...]:
    where = f"{path}: risk factor '{factor}': field '{lang}'"
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        raise SynonymsError(f"{where}: expected a list of words")
    words = tuple(dict.fromkeys(w.strip() for w in raw))
    if len(words) < MIN_WORDS:
        raise SynonymsError(f"{where}: needs at least {MIN_WORDS} different words")
    return words


def parse_synonyms(path: Path, data: object) -> RiskSynonyms:
    """Validate the YAML content of a synonyms file; raises SynonymsError naming the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("risk_factors"), dict):
        raise SynonymsError(f"{path}: expected a top-level 'risk_factors:' mapping")
    section: dict[object, object] = data["risk_factors"]
    known = {r.value for r in RiskFactor}
    unknown = sorted(str(k) for k in section if k not in known)
    if unknown:
        raise SynonymsError(f"{path}: unknown risk factor(s): {', '.join(unknown)}")
    missing = sorted(known - {str(k) for k in section})
    if missing:
        raise SynonymsError(f"{path}: no synonyms for: {', '.join(missing)}")
    words: dict[RiskFactor, dict[str, tuple[str, ...]]] = {}
    for factor, entry in section.items():
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            raise SynonymsError(f"{path}: risk factor '{factor}': expected exactly 'nl' and 'en'")
        words[RiskFactor(str(factor))] = {
            lang: _words(path, str(factor), lang, entry[lang]) for lang in LANGUAGES
        }
    return RiskSynonyms(words)


def read_synonyms(path: Path) -> RiskSynonyms:
    """Read and validate a synonyms file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SynonymsError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise SynonymsError(f"{path}: not valid YAML: {exc}") from exc
    return parse_synonyms(path, data)


@cache
def load_synonyms() -> RiskSynonyms:
    """The shipped rules/synonyms.yaml (read once)."""
    return read_synonyms(SYNONYMS_PATH)


def factors_matching(query: str, texts: Mapping[str, str]) -> list[str]:
    """The ids whose search text matches `query` the way app.js does (for tests and docs).

    Every word of the query must begin some word of the text: "werk" finds "werkloos" but
    not "netwerk"; "zorgt voor" needs both words.
    """
    tokens = _tokens(fold(query))
    return [key for key, text in texts.items() if _matches(tokens, _tokens(text))]


def _tokens(text: str) -> list[str]:
    return [t for t in _NON_ALNUM.split(text) if t]


def _matches(tokens: Iterable[str], words: list[str]) -> bool:
    return all(any(w.startswith(t) for w in words) for t in tokens)
