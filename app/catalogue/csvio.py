"""CSV exchange of initiatives (DOMAIN.md §6): all-or-nothing import, and export.

Spreadsheet safety (OWASP CSV injection): every CSV the app writes goes through
SafeCsvWriter, which puts a single quote before a text cell that starts with = + - @ tab or
CR, and before one that starts with quotes followed by such a character ("'=x" is written
"''=x"). An import takes exactly that quote off again, so import(export(x)) == x, and a
hand-written "'t Hof" or "'abc" keeps its quote. Numbers are written as they are.

Every imported cell loses Unicode bidi controls and control characters other than tab and
newline (NUL included: PostgreSQL cannot store it); a CR becomes a newline.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any, Protocol, TextIO, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import JSON, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from app.catalogue.columns import Codebook, column_for, default_codebook
from app.catalogue.freshness import later_verification
from app.catalogue.models import (
    LIST_FIELDS,
    Initiative,
    InitiativeBase,
    catalogue_key,
)
from app.catalogue.records import InitiativeRecord
from app.catalogue.version import bump_version
from app.core.db import begin_exclusive
from app.domain.vocabulary import INITIATIVE_FACETS, SINGLE_VALUED_FACETS

# The v1 columns of DOMAIN.md §6, in the order an export writes them.
COLUMNS = (
    "name",
    "description",
    "goal",
    "website",
    "municipality",
    "postcode",
    "geographic_level",
    "primary_actor",
    "partners",
    "elements",
    "prevention_levels",
    "dimensions",
    "age_groups",
    "course",
    "risk_factors",
    "approach",
    "effect_ladder",
    "evaluation",
)
# v1.1: optional referral details, written after the v1 columns; v1 files import as before.
REFERRAL_COLUMNS = ("phone", "email", "address", "last_verified")
ALL_COLUMNS = COLUMNS + REFERRAL_COLUMNS
SINGLE_IDS: dict[str, type[StrEnum]] = {
    k: v for k, v in INITIATIVE_FACETS.items() if k in SINGLE_VALUED_FACETS
}
MULTI_IDS: dict[str, type[StrEnum]] = {
    k: v for k, v in INITIATIVE_FACETS.items() if k not in SINGLE_VALUED_FACETS
}
MAX_LENGTH = {
    "name": 300,
    "website": 500,
    "municipality": 100,
    "postcode": 10,
    "phone": 40,
    "email": 200,
    "address": 300,
}
# Digits with the separators people write (+32 9 123 45 67, 09/123.45.67, (09) 123-45-67).
PHONE = re.compile(r"\+?[0-9 ./()-]+")
PHONE_DIGITS = (3, 20)  # 3 for short numbers such as 106; 20 for international ones
# The local part: the unquoted characters of RFC 5322 (no quotes, spaces, < or >); the domain
# is checked like a website's host. The mail server decides the rest.
EMAIL_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&*+/=?^_`{|}~'-]{1,64}")
# One DNS label, after IDNA encoding; a public name ends in a letter-only (or xn--) label.
HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
TOP_LABEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
# Never part of a website we link to: they end an attribute or a tag, or hide text.
URL_FORBIDDEN = frozenset("\"'<>`\\{}|^")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# How a spreadsheet with Belgian settings writes a date cell back: 1/3/2025, 01-03-2025.
DMY_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
# A file may separate its cells by commas (our export) or semicolons (a spreadsheet with
# Belgian or Dutch settings saves CSV that way); the header row decides.
DELIMITERS = (",", ";", "\t")
MAX_ERRORS = 50
# Imports take turns on this key (begin_exclusive): two at once would each read the
# catalogue before the other's rows and add theirs next to them.
IMPORT_LOCK_KEY = 0x457A7701  # "Ezw" import

# Unicode bidi controls: they can make a name or website read differently from what it is
# (a right-to-left override turns "gpj.exe" around), so no imported text keeps them.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# C0 controls and DEL, except tab and newline (multi-line descriptions keep their lines).
# NUL is among them: PostgreSQL text cannot hold it, so an import strips it like the others.
STRIPPED_CONTROLS = frozenset(chr(c) for c in (*range(0x20), 0x7F)) - {"\t", "\n"}
_STRIP_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS | STRIPPED_CONTROLS))

# OWASP CSV injection: a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The ASCII characters that are whitespace or controls (Cc): C0, space and DEL.
_ASCII_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class CsvIssue:
    """One problem in a CSV file: what (code), where (row, column) and the offending value."""

    code: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    extra: str | None = None

    def english(self) -> str:
        where = f"row {self.row}" if self.row is not None else ""
        if self.column is not None and self.row is not None:
            where += f", column '{self.column}'"
        messages = {
            "empty_file": "the file is empty: expected a header row",
            "not_csv": f"not valid CSV: {self.extra}",
            "unknown_columns": f"unknown column(s): {self.value}",
            "duplicate_columns": f"duplicate column(s): {self.value}",
            "missing_name_column": "required column 'name' is missing",
            "cell_count": f"expected {self.extra} cells, found {self.value}",
            "unknown_value": f"unknown value '{self.value}'",
            "too_long": f"longer than {self.extra} characters",
            "name_required": "a name is required",
            "bad_website": f"'{self.value}' is not a public http(s) web address",
            "bad_phone": f"'{self.value}' is not a phone number "
            "(digits, spaces and + . / ( ) - only)",
            "bad_email": f"'{self.value}' is not an e-mail address",
            "bad_date": f"'{self.value}' is not a date written as YYYY-MM-DD (or DD/MM/YYYY)",
            "future_date": f"'{self.value}' lies in the future",
            "too_many": f"stopped after {self.extra} errors",
        }
        text = messages[self.code]
        return f"{where}: {text}" if where else text


class CsvImportError(Exception):
    """The file cannot be imported; `errors` (English) name row, column and value;
    `issues` hold the same, structured, for messages in the user's language."""

    def __init__(self, issues: list[CsvIssue]) -> None:
        self.issues = issues
        self.errors = [i.english() for i in issues]
        super().__init__("; ".join(self.errors))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    # A replace archives the initiatives absent from the file (never deletes them).
    archived: int = 0
    # Rows deleted: none since replace archives (kept for bench/legacy_catalogue.py, the
    # old import that benchmarks compare with, which still deletes).
    deleted: int = 0
    names: list[str] = field(default_factory=list)
    # Updated initiatives whose stored last_verified was later than the file's (or the file
    # had none): the stored date was kept (freshness.later_verification).
    kept_verified: int = 0


def clean_text(value: str) -> str:
    """A cell without bidi controls and without control characters other than tab and
    newline (a carriage return ending a line becomes that newline)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_STRIP_TABLE)


def _needs_quote(text: str) -> bool:
    # Quotes before something neutralised get a quote of their own ("'=x" becomes "''=x"),
    # so that an import can always tell our quote from the data's: import(export(x)) == x.
    return text.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(value: object) -> object:
    """A cell safe to open in a spreadsheet: text that would start a formula gets a leading
    quote (OWASP); numbers, None and other text are written as they are."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """The inverse of `neutralise` for an imported cell: the quote it added is taken off;
    a quote before anything else is data and stays."""
    if text.startswith("'") and _needs_quote(text[1:]):
        return text[1:]
    return text


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeCsvWriter:
    """`csv.writer` whose every cell goes through `neutralise`: the one way the app writes
    CSV, so that no download or export can carry a formula."""

    def __init__(self, fh: TextIO, delimiter: str = ",", lineterminator: str = "\n") -> None:
        self._writer: _RowWriter = csv.writer(
            fh, delimiter=delimiter, lineterminator=lineterminator
        )

    def writerow(self, row: Iterable[object]) -> None:
        """Write one row, each cell neutralised."""
        self._writer.writerow([neutralise(_newlines(cell)) for cell in row])


def _newlines(cell: object) -> object:
    # Python 3.11's writer quotes only the line terminator's characters, so a bare CR would
    # end the row early in a reader; an import reads a CR as a newline anyway.
    if isinstance(cell, str):
        return cell.replace("\r\n", "\n").replace("\r", "\n")
    return cell


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _delimiter(text: str) -> str:
    """The delimiter under which the first row names the most known columns (a comma when
    none does better)."""
    first = text.split("\n", 1)[0]

    def known(delimiter: str) -> int:
        try:
            cells = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            return 0
        return sum(column_for(clean_text(c).strip()) is not None for c in cells)

    return max(DELIMITERS, key=known)


def parse_csv(text: str, codebook: Codebook | None = None) -> list[InitiativeBase]:
    """Parse and validate a whole file; raise CsvImportError listing every problem.

    Columns may be named in English or Dutch, cells be separated by commas or semicolons,
    and coded cells hold ids or their Dutch or English labels (columns.py); the result
    holds ids."""
    return list(iter_csv(text, codebook))


def iter_csv(text: str, codebook: Codebook | None = None) -> Iterator[InitiativeBase]:
    """`parse_csv` a row at a time, for a caller that need not keep every row's model: the
    valid rows as they are read, then CsvImportError listing every problem. A caller uses
    none of the rows before the end."""
    columns, rows = _checked_rows(text, codebook or default_codebook())
    multi = [n for n, col in enumerate(columns) if col in MULTI_IDS]
    for values in rows:
        data: list[Any] = list(values)
        for n in multi:
            data[n] = list(data[n])
        # Only the file's own columns are set, so that an import updates those and no
        # others (the model's fields_set).
        yield InitiativeBase.model_validate(dict(zip(columns, data, strict=True)))


# One problem of a cell, before it is placed in a row: code, value, extra (as CsvIssue).
_Problem = tuple[str, str | None, str | None]
# A cell's value and its problems, as worked out from its text alone.
_Checked = tuple[Any, tuple[_Problem, ...]]

# A file repeats the same few ids, labels, dates and phone numbers row after row: a cell of
# a coded, referral or website column is checked once per distinct text and column, and
# the answer reused (with the row and column of the cell at hand). At most this many
# distinct texts are kept per column, so that a file of all different values costs no
# more memory than before.
CHECK_CACHE_LIMIT = 10_000
# Any character that clean_text changes (CR included): a file without one has no cell to
# clean, and its cells are taken as read.
_UNCLEAN = re.compile("[" + re.escape("".join(sorted(BIDI_CONTROLS | STRIPPED_CONTROLS))) + "]")
# How each kind of column is read (_checked_rows).
_TEXT, _WEBSITE, _CHECKED = 0, 1, 2


# A line with its end (\r\n, \r or \n) as io.StringIO(text, newline="") gives it, without
# the copy of the whole text that StringIO makes (four bytes a character: 100 MB for a
# 100 000-row file).
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    return (m.group() for m in _LINE.finditer(text))


def _read_header(text: str) -> tuple[Iterator[list[str]], tuple[str, ...]]:
    """The csv reader past the header row, and the file's columns in its order;
    CsvImportError for a file that has no header or a wrong one."""
    reader = csv.reader(_lines(text), delimiter=_delimiter(text))
    try:
        written = [clean_text(h).strip() for h in next(reader)]
    except StopIteration:
        raise CsvImportError([CsvIssue("empty_file")]) from None
    except csv.Error as exc:
        raise CsvImportError([CsvIssue("not_csv", row=1, extra=str(exc))]) from None
    issues: list[CsvIssue] = []
    unknown = [h for h in written if column_for(h) is None]
    if unknown:
        issues.append(CsvIssue("unknown_columns", value=_quoted(unknown)))
    header = [column_for(h) or h for h in written]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        issues.append(CsvIssue("duplicate_columns", value=_quoted(dupes)))
    if "name" not in header:
        issues.append(CsvIssue("missing_name_column"))
    if issues:
        raise CsvImportError(issues)
    return reader, tuple(header)


def _checked_rows(text: str, codes: Codebook) -> tuple[tuple[str, ...], Iterator[tuple[Any, ...]]]:
    """The file's columns (CsvImportError at once when the header is wrong), and its valid
    rows, each as its values in the order of those columns (ids for coded cells, a tuple of
    them for a multi-valued one, a date for a date); the iterator raises CsvImportError
    listing every problem at its end."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader, columns = _read_header(text)
    return columns, _rows(reader, columns, codes, _UNCLEAN.search(text) is not None)


_Plan = tuple[str, int, Callable[[str], _Checked], dict[str, Any], int | None]


def _column_plan(columns: tuple[str, ...], codes: Codebook) -> list[_Plan]:
    """For each column: its name, kind, check (of a _CHECKED column), cache, length limit."""
    latest = _latest_date()
    plan: list[_Plan] = []
    for col in columns:
        check: Callable[[str], _Checked] = _unchecked
        kind = _CHECKED
        if col in REFERRAL_COLUMNS:
            check = partial(_check_referral, col, latest)
        elif col in MULTI_IDS:
            check = partial(_check_ids, codes, col)
        elif col in SINGLE_IDS:
            check = partial(_check_id, codes, col)
        elif col == "website":
            kind = _WEBSITE
        else:
            kind = _TEXT
        plan.append((col, kind, check, {}, MAX_LENGTH.get(col)))
    return plan


def _unchecked(raw: str) -> _Checked:
    raise AssertionError(f"not a checked column: {raw!r}")


def _check_ids(codes: Codebook, col: str, raw: str) -> _Checked:
    """A multi-valued coded cell: its ids (each once, in the cell's order), and each part
    that is no id or label."""
    ids = []
    problems = []
    for part in _split(raw):
        found = codes.resolve(col, part)
        if found is None:
            problems.append(("unknown_value", part, None))
        else:
            ids.append(found)
    return tuple(dict.fromkeys(ids)), tuple(problems)


def _check_id(codes: Codebook, col: str, raw: str) -> _Checked:
    """A single-valued coded cell: its id (None when empty)."""
    if not raw:
        return None, ()
    found = codes.resolve(col, raw)
    if found is None:
        return None, (("unknown_value", raw, None),)
    return found, ()


def _rows(
    reader: Iterator[list[str]], columns: tuple[str, ...], codes: Codebook, unclean: bool
) -> Iterator[tuple[Any, ...]]:
    # The rules are those of DOMAIN.md §6, in the file's order so that a row's problems read
    # from left to right; then a missing name, then a website that is not one.
    plan = _column_plan(columns, codes)
    width = len(columns)
    name_at = columns.index("name")
    issues: list[CsvIssue] = []
    row_no = 1
    try:
        for row_no, row in enumerate(reader, start=2):
            if len(row) != width or not row[name_at].strip():
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != width:
                    issues.append(
                        CsvIssue("cell_count", row=row_no, value=str(len(row)), extra=str(width))
                    )
                    continue
            known = len(issues)
            values: list[Any] = []
            bad_site = None
            for (col, kind, check, cache, limit), cell in zip(plan, row, strict=True):
                raw = (clean_text(cell) if unclean else cell).strip()
                if raw[:1] == "'":
                    raw = unneutralise(raw)
                if kind == _CHECKED:
                    got = cache.get(raw)
                    if got is None:
                        got = check(raw)
                        if len(cache) < CHECK_CACHE_LIMIT:
                            cache[raw] = got
                    value, problems = got
                    for code, shown, extra in problems:
                        issues.append(CsvIssue(code, row_no, col, shown, extra))
                    values.append(value)
                    continue
                if limit is not None and len(raw) > limit:
                    issues.append(CsvIssue("too_long", row=row_no, column=col, extra=str(limit)))
                elif kind == _WEBSITE and raw:
                    ok = cache.get(raw)
                    if ok is None:
                        ok = is_website(raw)
                        if len(cache) < CHECK_CACHE_LIMIT:
                            cache[raw] = ok
                    if not ok:
                        bad_site = raw
                values.append(raw or None)
            if not values[name_at]:
                issues.append(CsvIssue("name_required", row=row_no, column="name"))
            if bad_site is not None:
                issues.append(CsvIssue("bad_website", row=row_no, column="website", value=bad_site))
            if len(issues) == known:
                yield tuple(values)
            if len(issues) >= MAX_ERRORS:
                issues.append(CsvIssue("too_many", extra=str(MAX_ERRORS)))
                break
    except csv.Error as exc:
        issues.append(CsvIssue("not_csv", row=row_no + 1, extra=str(exc)))
    if issues:
        raise CsvImportError(issues)


def _latest_date() -> date:
    """Today anywhere on earth (UTC+14): a date typed in Flanders just after midnight is not
    in the future on a server that keeps UTC."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def _check_referral(col: str, latest: date, raw: str) -> _Checked:
    """The value of a referral cell (None when empty) and its problem, if any."""
    if not raw:
        return None, ()
    if col == "last_verified":
        day = _date(raw)
        if day is None:
            return None, (("bad_date", raw, None),)
        if day > latest:
            return None, (("future_date", raw, None),)
        return day, ()
    if len(raw) > MAX_LENGTH[col]:
        return None, (("too_long", None, str(MAX_LENGTH[col])),)
    if col == "phone":
        digits = sum(ch.isdigit() for ch in raw)
        if not PHONE.fullmatch(raw) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            return None, (("bad_phone", raw, None),)
    elif col == "email" and not is_email(raw):
        return None, (("bad_email", raw, None),)
    return raw, ()


def _date(raw: str) -> date | None:
    """A date written as YYYY-MM-DD, or day/month/year as a Belgian spreadsheet saves it."""
    try:
        if ISO_DATE.fullmatch(raw):
            return date.fromisoformat(raw)
        dmy = DMY_DATE.fullmatch(raw)
        if dmy:
            return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
    except ValueError:
        return None
    return None


def _is_public_host(host: str) -> bool:
    """A DNS name with at least two labels ending in a letter-only top label: no IP
    addresses, no localhost or other single-label names."""
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return (
        len(labels) >= 2
        and len(ascii_host) <= 253
        and all(HOST_LABEL.fullmatch(label) for label in labels)
        and TOP_LABEL.fullmatch(labels[-1]) is not None
    )


def _has_unsafe_char(text: str, forbidden: frozenset[str] = frozenset()) -> bool:
    # Cf: format characters such as a zero-width space, invisible in the text shown. ASCII
    # has none; its whitespace and Cc characters are those of _ASCII_UNSAFE.
    if text.isascii():
        return _ASCII_UNSAFE.search(text) is not None or not forbidden.isdisjoint(text)
    return any(
        ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") or ch in forbidden for ch in text
    )


def is_website(value: str) -> bool:
    """An absolute http(s) address of a public host, without credentials, whitespace,
    control or format characters, quotes or angle brackets."""
    if len(value) > MAX_LENGTH["website"] or _has_unsafe_char(value, URL_FORBIDDEN):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a port that is not a number in range
    except ValueError:
        return False
    host = parts.hostname
    return (
        parts.scheme in ("http", "https")
        and port != 0
        and value.lower().startswith(f"{parts.scheme}://")
        and host is not None
        and parts.username is None
        and parts.password is None
        and _is_public_host(host)
    )


def is_email(value: str) -> bool:
    """local@domain with an unquoted local part and a public domain name."""
    if len(value) > MAX_LENGTH["email"] or _has_unsafe_char(value):
        return False
    local, at, domain = value.rpartition("@")
    return bool(at) and EMAIL_LOCAL.fullmatch(local) is not None and _is_public_host(domain)


def parse_records(text: str, codebook: Codebook | None = None) -> tuple[InitiativeRecord, ...]:
    """A CSV text as in-memory records with ids 1..n, without touching a database
    (for analysing an upload, and for tests and benchmarks)."""
    return to_records(parse_csv(text, codebook))


def to_records(items: Iterable[InitiativeBase]) -> tuple[InitiativeRecord, ...]:
    """Parsed rows as in-memory records with ids 1..n."""
    records = []
    for n, item in enumerate(items, start=1):
        row = Initiative.model_validate(item)
        row.id = n
        records.append(row.to_record())
    return tuple(records)


def _key(name: str, municipality: str | None) -> tuple[str, str]:
    return catalogue_key(name, municipality)


def _dedupe_key(key: tuple[str, str]) -> str:
    # models.dedupe_key from a catalogue_key already made (as the ORM event sets it):
    # the same text, without normalising name and municipality a second time.
    return hashlib.sha256("\n".join(key).encode("utf-8")).hexdigest()


# Rows per INSERT or UPDATE of an import, each one executemany: large enough that the
# statements are few, small enough that a batch's parameters stay a few megabytes.
IMPORT_BATCH = 5_000
T = TypeVar("T")
FIELDS = tuple(InitiativeBase.model_fields)
_TABLE = Initiative.__table__  # type: ignore[attr-defined]
# Rows per fetch of an export: memory stays constant whatever the catalogue's size.
EXPORT_BATCH = 1_000


def _parse_for_import(
    text: str,
) -> tuple[tuple[str, ...], list[tuple[tuple[str, str], tuple[Any, ...]]]]:
    """The file's columns, and each valid row's catalogue key and values (a tuple in the
    order of those columns: far smaller than the row's model); CsvImportError as parse_csv
    raises it."""
    columns, rows = _checked_rows(text, default_codebook())
    name_at = columns.index("name")
    town_at = columns.index("municipality") if "municipality" in columns else None
    parsed = []
    for values in rows:
        town = None if town_at is None else values[town_at]
        parsed.append((_key(values[name_at], town), values))
    return columns, parsed


class _BulkWriter:
    """An import's INSERT and UPDATE statements, as the database driver takes them: one
    executemany per batch of IMPORT_BATCH rows of plain tuples, without SQLAlchemy's work
    per row and value.

    Each value is converted as the column's type converts it for this database (a JSON list
    as its text, once per distinct list; a date as SQLite's text), so the rows are stored
    as the ORM stored them.
    """

    def __init__(self, session: Session, columns: tuple[str, ...], now: datetime) -> None:
        self._conn = session.connection()
        dialect = self._conn.dialect
        quote = dialect.identifier_preparer.quote
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        if dialect.paramstyle not in ("qmark", "format", "pyformat"):
            raise NotImplementedError(f"bulk import on {dialect.name} ({dialect.paramstyle})")

        def placeholder(name: str) -> str:
            # PostgreSQL takes the JSON text as text, and casts it.
            column_type = _TABLE.c[name].type
            if isinstance(column_type, JSON) and dialect.name == "postgresql":
                return f"CAST({marker} AS {column_type.compile(dialect=dialect)})"
            return marker

        # The file's columns whose values the driver cannot take as they are.
        self._convert = [
            (n, convert)
            for n, name in enumerate(columns)
            if (convert := self._converter(name, dialect)) is not _same
        ]
        absent = [name for name in FIELDS if name not in columns]
        # A new row's columns the file leaves out: empty (an empty list for a list column).
        self._absent = tuple(
            self._converter(name, dialect)(() if name in LIST_FIELDS else None) for name in absent
        )
        stamp = _TABLE.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._now = stamp(now) if stamp else now
        inserted = [*columns, *absent, "created_at", "updated_at", "dedupe_key"]
        self._quote = quote
        self._columns = columns
        self._inserted = inserted
        self._insert = (
            f"INSERT INTO {quote(_TABLE.name)} ({', '.join(map(quote, inserted))}) "
            f"VALUES ({', '.join(map(placeholder, inserted))})"
        )
        sets = ", ".join(
            f"{quote(n)} = {placeholder(n)}" for n in (*columns, "updated_at", "dedupe_key")
        )
        self._update = f"UPDATE {quote(_TABLE.name)} SET {sets} WHERE {quote('id')} = {marker}"

    @staticmethod
    def _converter(name: str, dialect: Any) -> Callable[[Any], Any]:
        column_type = _TABLE.c[name].type
        if isinstance(column_type, JSON):
            # What SQLAlchemy's JSON type writes (json.dumps; the engine sets no other
            # serialiser), once per distinct list of ids.
            texts: dict[tuple[str, ...], str] = {}

            def to_json(ids: tuple[str, ...]) -> str:
                found = texts.get(ids)
                if found is None:
                    found = texts[ids] = json.dumps(list(ids))
                return found

            return to_json
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            return _same
        return lambda value: None if value is None else process(value)

    def _values(self, values: tuple[Any, ...]) -> list[Any]:
        out = list(values)
        for n, convert in self._convert:
            out[n] = convert(out[n])
        return out

    def insert(self, rows: Iterable[tuple[tuple[str, str], tuple[Any, ...]]]) -> None:
        """Add rows (catalogue key, the file's values)."""
        tail = (*self._absent, self._now, self._now)
        for batch in _batches(rows):
            params = [(*self._values(v), *tail, _dedupe_key(key)) for key, v in batch]
            self._conn.exec_driver_sql(self._insert, params)

    def update(self, rows: Iterable[tuple[int, tuple[str, str], tuple[Any, ...]]]) -> None:
        """Set the file's columns of rows (id, catalogue key, the file's values)."""
        for batch in _batches(rows):
            params = [(*self._values(v), self._now, _dedupe_key(key), id_) for id_, key, v in batch]
            self._conn.exec_driver_sql(self._update, params)


class _CopyWriter(_BulkWriter):
    """_BulkWriter on PostgreSQL (psycopg): rows go in by COPY, far faster than an INSERT or
    UPDATE each. New rows are copied into the table; changes into a temporary table, which
    one UPDATE then joins to the table."""

    def __init__(self, session: Session, columns: tuple[str, ...], now: datetime) -> None:
        super().__init__(session, columns, now)
        # COPY takes a timestamp as it is written: the time in the session's time zone,
        # which is what PostgreSQL makes of the ORM's aware datetime for these columns.
        self._now = self._conn.exec_driver_sql(
            "SELECT CAST(%s AS TIMESTAMP WITHOUT TIME ZONE)", (now,)
        ).scalar_one()

    def insert(self, rows: Iterable[tuple[tuple[str, str], tuple[Any, ...]]]) -> None:
        tail = (*self._absent, self._now, self._now)
        names = ", ".join(map(self._quote, self._inserted))
        self._copy(
            f"COPY {self._quote(_TABLE.name)} ({names}) FROM STDIN",
            ((*self._values(v), *tail, _dedupe_key(key)) for key, v in rows),
        )

    def update(self, rows: Iterable[tuple[int, tuple[str, str], tuple[Any, ...]]]) -> None:
        quote = self._quote
        table = quote(_TABLE.name)
        changes = "ezw_import_changes"
        names = ["id", *self._columns, "updated_at", "dedupe_key"]
        listed = ", ".join(map(quote, names))
        # Dropped at the end of the transaction at the latest, also when it fails.
        self._conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {changes} ON COMMIT DROP AS "
            f"SELECT {listed} FROM {table} WITH NO DATA"
        )
        self._copy(
            f"COPY {changes} ({listed}) FROM STDIN",
            ((id_, *self._values(v), self._now, _dedupe_key(key)) for id_, key, v in rows),
        )
        sets = ", ".join(f"{quote(n)} = c.{quote(n)}" for n in names[1:])
        key = quote("id")
        self._conn.exec_driver_sql(
            f"UPDATE {table} AS t SET {sets} FROM {changes} AS c WHERE t.{key} = c.{key}"
        )
        self._conn.exec_driver_sql(f"DROP TABLE {changes}")

    def _copy(self, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
        import psycopg

        driver: Any = self._conn.connection.dbapi_connection
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            # As SQLAlchemy raises it for any other statement (IntegrityError, ...).
            raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def _same(value: Any) -> Any:
    return value


def import_initiatives(session: Session, text: str, replace: bool = False) -> ImportResult:
    """Import a CSV text in one transaction. Rows whose name and municipality match an
    existing initiative update it (only the file's columns, so a v1 file keeps the
    referral details) and bring an archived one back; others are added. With replace,
    the initiatives absent from the file are archived (archived_at set), not deleted:
    registrations and the audit log keep pointing at them, and a later import of the same
    name and municipality restores them. A last_verified never moves back: an update keeps
    the later of the stored and the file's date (freshness.later_verification).

    Imports take turns (begin_exclusive): one that starts while another runs waits, then
    works on the catalogue that one left. Everything it reads, the count of rows a replace
    removes included, is read inside its own transaction; readers see the old catalogue
    until the new one is committed.

    Rows are written in bulk (_BulkWriter), not as one ORM object each: 100 000 rows would
    otherwise take half a minute and a gigabyte. Bulk statements skip the ORM's events, so
    the dedupe_key is set here, as the event sets it.
    """
    columns, parsed = _parse_for_import(text)
    name_at = columns.index("name")
    verified_at = columns.index("last_verified") if "last_verified" in columns else None
    result = ImportResult()
    try:
        begin_exclusive(session, IMPORT_LOCK_KEY)
        # key -> id of the rows already in the catalogue (five columns, not whole rows),
        # the ids of the archived ones and the stored last_verified dates
        wanted = ("id", "name", "municipality", "archived_at", "last_verified")
        found = session.connection().execute(select(*(_TABLE.c[n] for n in wanted)))
        existing: dict[tuple[str, str], int] = {}
        archived: set[int] = set()
        verified: dict[int, date] = {}
        for id_, name, town, archived_at, last_verified in found:
            if id_ is not None:
                existing[_key(name, town)] = id_
                if archived_at is not None:
                    archived.add(id_)
                if last_verified is not None and verified_at is not None:
                    verified[id_] = last_verified
        # What to write. Every row of a file sets the same columns, so a second row for the
        # same initiative replaces what the first one would have written (as when each row
        # was an ORM object); a new initiative keeps the place of its first row.
        added: dict[tuple[str, str], tuple[Any, ...]] = {}
        changed: dict[int, tuple[tuple[str, str], tuple[Any, ...]]] = {}
        names = result.names
        for key, values in parsed:
            id_ = existing.get(key)
            if id_ is not None:
                if id_ in changed and verified_at is not None:
                    values = _later_of(verified_at, changed[id_][1], values)
                changed[id_] = (key, values)
                result.updated += 1
            elif key in added:
                if verified_at is not None:
                    values = _later_of(verified_at, added[key], values)
                added[key] = values
                result.updated += 1
            else:
                added[key] = values
                result.created += 1
            names.append(values[name_at])
        del parsed
        if verified_at is not None:
            for id_, (key, values) in changed.items():
                stored = verified.get(id_)
                kept = later_verification(stored, values[verified_at])
                if kept != values[verified_at]:
                    changed[id_] = (key, with_value(values, verified_at, kept))
                    result.kept_verified += 1
            del verified
        now = datetime.now(UTC)
        restored = [id_ for id_ in changed if id_ in archived]
        absent = (
            [id_ for id_ in existing.values() if id_ not in changed and id_ not in archived]
            if replace
            else []
        )
        result.archived = len(absent)
        del existing
        dialect = session.connection().dialect
        copies = dialect.name == "postgresql" and dialect.driver == "psycopg"
        writer = (_CopyWriter if copies else _BulkWriter)(session, columns, now)
        if changed:
            writer.update((id_, key, values) for id_, (key, values) in changed.items())
        if added:
            writer.insert(added.items())
        for ids, stamp in ((restored, None), (absent, now)):
            for batch in _batches(ids):
                session.connection().execute(
                    update(_TABLE)
                    .where(_TABLE.c.id.in_(batch))
                    .values(archived_at=stamp, updated_at=now)
                )
        # In the same transaction: every worker sees the new version with the new rows.
        bump_version(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def with_value(values: tuple[Any, ...], at: int, value: Any) -> tuple[Any, ...]:
    """A row's values (a tuple in column order) with the one at `at` replaced."""
    return (*values[:at], value, *values[at + 1 :])


def _later_of(at: int, first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """A second row for the same initiative, as its two rows leave it one after the other:
    the second's values, with the later of their two last_verified dates (at `at`)."""
    return with_value(second, at, later_verification(first[at], second[at]))


def _batches(rows: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == IMPORT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class InitiativeCsvWriter:
    """Initiatives (models, or database rows with the same attributes) in the exchange
    format, one at a time: the header when made, then a line per `write`."""

    def __init__(self, fh: TextIO, columns: Sequence[str] = ALL_COLUMNS) -> None:
        self._writer = SafeCsvWriter(fh)
        self._columns = columns
        self._writer.writerow(columns)

    def write(self, ini: Any) -> None:
        """Write one initiative."""
        row = []
        for name in self._columns:
            value = getattr(ini, name)
            if name in LIST_FIELDS:
                row.append(";".join(value))
            else:
                row.append("" if value is None else str(value))
        self._writer.writerow(row)


def write_csv(initiatives: Iterable[Any], fh: TextIO, columns: Sequence[str] = ALL_COLUMNS) -> int:
    """Write initiatives in the exchange format (v1.1, or the given columns); return the
    number of rows."""
    writer = InitiativeCsvWriter(fh, columns)
    n = 0
    for ini in initiatives:
        writer.write(ini)
        n += 1
    return n


def export_rows(session: Session, ids: Sequence[int] | None = None) -> Iterator[Any]:
    """The catalogue's rows (the exchange format's columns only, no ORM objects) in id
    order, EXPORT_BATCH at a time; only the given ids when there are some.

    The whole catalogue is one statement read in batches (a server-side cursor on
    PostgreSQL), so that an export is one consistent state of it; given ids are read in
    batches of ids. Archived records are left out: an export is the published catalogue
    (and the exchange format has no column that would keep them archived on import).
    """
    table = _TABLE
    query = (
        select(*(table.c[name] for name in ALL_COLUMNS))
        .where(table.c.archived_at.is_(None))
        .order_by(table.c.id)
    )
    if ids is None:
        yield from session.exec(query.execution_options(yield_per=EXPORT_BATCH))
        return
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), EXPORT_BATCH):
        chunk = wanted[start : start + EXPORT_BATCH]
        yield from session.exec(query.where(table.c.id.in_(chunk)))


def export_initiatives(session: Session, fh: TextIO) -> int:
    """Write the whole catalogue to `fh` as it is read: memory stays constant."""
    return write_csv(export_rows(session), fh)
