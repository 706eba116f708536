"""Residents per age band: the shipped Flemish default (data/population_flanders.csv) and
a municipality's own figures, typed in or uploaded as a two-column CSV. Pure: no web."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

POPULATION_PATH = Path(__file__).resolve().parents[2] / "data" / "population_flanders.csv"
# The demand page's age bands, in order: the two youngest follow the catalogue's age groups,
# the four adult ones the prevalence table (Steyaert & Heylen 2021, table 2 of the report).
BAND_IDS = ("children", "youth", "18-34", "35-49", "50-64", "65+")
# Other ways a band is written in a CSV ("0-11" for the catalogue's children, "65-plus").
BAND_ALIASES = {"0-11": "children", "12-17": "youth", "65-plus": "65+", "65plus": "65+"}
MAX_RESIDENTS = 10_000_000  # more than the Flemish Region: a typo, not a municipality
MAX_CSV_BYTES = 64 * 1024
_DASHES = re.compile(r"\s*[–—‐-]\s*")


class PopulationDataError(ValueError):
    """The shipped population file is wrong; the message names the file, row and field."""


@dataclass(frozen=True)
class Population:
    """Residents per band, and which of them are published figures rather than estimates."""

    residents: Mapping[str, int]
    published: frozenset[str]

    @property
    def approximate(self) -> frozenset[str]:
        return frozenset(self.residents) - self.published


def read_population(path: Path) -> Population:
    """Parse and check a band,residents,status file (every band once, status published or
    approximate)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PopulationDataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    residents: dict[str, int] = {}
    published: set[str] = set()
    for number, row in enumerate(rows, start=2):
        band = row.get("band") or ""
        if band not in BAND_IDS or band in residents:
            raise PopulationDataError(f"{path}: row {number}, field 'band': '{band}'")
        raw = row.get("residents") or ""
        if not raw.isdigit():
            raise PopulationDataError(f"{path}: row {number}, field 'residents': '{raw}'")
        status = row.get("status")
        if status not in ("published", "approximate"):
            raise PopulationDataError(f"{path}: row {number}, field 'status': '{status}'")
        residents[band] = int(raw)
        if status == "published":
            published.add(band)
    missing = [b for b in BAND_IDS if b not in residents]
    if missing:
        raise PopulationDataError(f"{path}: missing band(s) {', '.join(missing)}")
    return Population(residents, frozenset(published))


@cache
def flanders_population(path: Path = POPULATION_PATH) -> Population:
    return read_population(path)


def band_id(text: str) -> str | None:
    """The band a CSV cell names ("65+", "18 – 34", "0-11"), or None."""
    key = _DASHES.sub("-", text.strip().casefold()).removesuffix(" jaar").strip()
    key = BAND_ALIASES.get(key, key)
    return key if key in BAND_IDS else None


@dataclass(frozen=True)
class CsvProblem:
    """One problem in an uploaded residents file; row 0 is the file as a whole."""

    row: int
    code: str  # not_text, empty, columns, band, duplicate, number, too_large
    value: str = ""


def parse_residents_csv(data: bytes) -> tuple[dict[str, str], list[CsvProblem]]:
    """Band -> residents (as typed, for the form) from a two-column CSV (age band,
    residents); a header row, `;` as separator and thousands separators are accepted."""
    if len(data) > MAX_CSV_BYTES:
        return {}, [CsvProblem(0, "too_large")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}, [CsvProblem(0, "not_text")]
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return {}, [CsvProblem(0, "empty")]
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    values: dict[str, str] = {}
    problems: list[CsvProblem] = []
    for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        cells = [c.strip() for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) != 2:
            problems.append(CsvProblem(number, "columns", str(len(cells))))
            continue
        band = band_id(cells[0])
        if band is None:
            if number == 1 and not _looks_numeric(cells[1]):
                continue  # a header row ("leeftijd,inwoners")
            problems.append(CsvProblem(number, "band", cells[0][:40]))
            continue
        if band in values:
            problems.append(CsvProblem(number, "duplicate", cells[0][:40]))
            continue
        if parse_residents(cells[1]) is None:
            problems.append(CsvProblem(number, "number", cells[1][:40]))
            continue
        values[band] = cells[1]
    return values, problems


def _looks_numeric(text: str) -> bool:
    return any(c.isdigit() for c in text)


def parse_residents(raw: str) -> int | None:
    """A number of residents as people type it ("12 345", "12.345", "12345"); None when it
    is not a whole number from 0 to MAX_RESIDENTS."""
    text = raw.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    # Thousands separators: "12.345" and "12,345" (groups of three); not "12,5".
    if re.fullmatch(r"[0-9]{1,3}([.,][0-9]{3})+", text):
        text = text.replace(".", "").replace(",", "")
    if not re.fullmatch(r"[0-9]{1,8}", text):
        return None
    value = int(text)
    return value if value <= MAX_RESIDENTS else None


def estimated_lonely(residents: int | None, prevalence: float | None) -> int | None:
    """Residents times the share often lonely, rounded to whole people."""
    if residents is None or prevalence is None:
        return None
    return round(residents * prevalence / 100)


def total(values: Sequence[int | None]) -> int | None:
    """The sum, or None when any part is unknown."""
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)
