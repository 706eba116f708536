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
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TextIO, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import func, insert, update
from sqlmodel import Session, delete, select

from app.catalogue.columns import Codebook, column_for, default_codebook
from app.catalogue.models import (
    LIST_FIELDS,
    Initiative,
    InitiativeBase,
    catalogue_key,
    dedupe_key,
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
    deleted: int = 0
    names: list[str] = field(default_factory=list)


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
    """`parse_csv` a row at a time, for a caller that need not keep every row's model (an
    import of 100 000 rows): the valid rows as they are read, then CsvImportError listing
    every problem. A caller uses none of the rows before the end."""
    if text.startswith("\ufeff"):
        text = text[1:]
    codes = codebook or default_codebook()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
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

    row_no = 1
    try:
        for row_no, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                issues.append(
                    CsvIssue("cell_count", row=row_no, value=str(len(row)), extra=str(len(header)))
                )
                continue
            cells = (unneutralise(clean_text(c).strip()) for c in row)
            values = dict(zip(header, cells, strict=True))
            item, row_issues = _validate_row(row_no, values, codes)
            issues.extend(row_issues)
            if item is not None:
                yield item
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


def _referral_issues(row_no: int, col: str, raw: str) -> tuple[object, list[CsvIssue]]:
    """The value of a referral column (None when empty) and its problems."""
    if not raw:
        return None, []
    if col == "last_verified":
        day = _date(raw)
        if day is None:
            return None, [CsvIssue("bad_date", row=row_no, column=col, value=raw)]
        if day > _latest_date():
            return None, [CsvIssue("future_date", row=row_no, column=col, value=raw)]
        return day, []
    if len(raw) > MAX_LENGTH[col]:
        return None, [CsvIssue("too_long", row=row_no, column=col, extra=str(MAX_LENGTH[col]))]
    if col == "phone":
        digits = sum(ch.isdigit() for ch in raw)
        if not PHONE.fullmatch(raw) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            return None, [CsvIssue("bad_phone", row=row_no, column=col, value=raw)]
    elif col == "email" and not is_email(raw):
        return None, [CsvIssue("bad_email", row=row_no, column=col, value=raw)]
    return raw, []


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
    # Cf: format characters such as a zero-width space, invisible in the text shown.
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


def _validate_row(
    row_no: int, values: dict[str, str], codes: Codebook
) -> tuple[InitiativeBase | None, list[CsvIssue]]:
    issues: list[CsvIssue] = []
    data: dict[str, object] = {}
    # Only the file's own columns are set, so that an import updates those and no others;
    # in the file's order, so that a row's problems read from left to right.
    for col in values:
        raw = values[col]
        if col in REFERRAL_COLUMNS:
            data[col], col_issues = _referral_issues(row_no, col, raw)
            issues.extend(col_issues)
        elif col in MULTI_IDS:
            ids = []
            for v in _split(raw):
                found = codes.resolve(col, v)
                if found is None:
                    issues.append(CsvIssue("unknown_value", row=row_no, column=col, value=v))
                else:
                    ids.append(found)
            data[col] = list(dict.fromkeys(ids))
        elif col in SINGLE_IDS:
            found = codes.resolve(col, raw) if raw else None
            if raw and found is None:
                issues.append(CsvIssue("unknown_value", row=row_no, column=col, value=raw))
            data[col] = found
        else:
            if col in MAX_LENGTH and len(raw) > MAX_LENGTH[col]:
                issues.append(
                    CsvIssue("too_long", row=row_no, column=col, extra=str(MAX_LENGTH[col]))
                )
            data[col] = raw or None
    if not data["name"]:
        issues.append(CsvIssue("name_required", row=row_no, column="name"))
    site = data.get("website")
    if isinstance(site, str) and len(site) <= MAX_LENGTH["website"] and not is_website(site):
        issues.append(CsvIssue("bad_website", row=row_no, column="website", value=site))
    if issues:
        return None, issues
    return InitiativeBase.model_validate(data), []


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


# Rows per INSERT or UPDATE of an import, each one executemany: large enough that the
# statements are few, small enough that a batch's parameters stay a few megabytes.
IMPORT_BATCH = 2_000
T = TypeVar("T")
FIELDS = tuple(InitiativeBase.model_fields)
POSITION = {name: n for n, name in enumerate(FIELDS)}
_TABLE = Initiative.__table__  # type: ignore[attr-defined]
# Rows per fetch of an export: memory stays constant whatever the catalogue's size.
EXPORT_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class _ParsedRow:
    """A parsed row kept for an import: its values in FIELDS order (a tuple: far smaller
    than the row's model) and which of them the file sets."""

    key: tuple[str, str]
    values: tuple[Any, ...]
    columns: frozenset[str]


def _parse_for_import(text: str) -> list[_ParsedRow]:
    """The file's rows, compact; CsvImportError as parse_csv raises it."""
    shared: dict[frozenset[str], frozenset[str]] = {}  # every row sets the same columns
    rows = []
    for item in iter_csv(text):
        columns = frozenset(item.model_fields_set)
        values = tuple(getattr(item, name) for name in FIELDS)
        key = _key(item.name, item.municipality)
        rows.append(_ParsedRow(key, values, shared.setdefault(columns, columns)))
    return rows


def import_initiatives(session: Session, text: str, replace: bool = False) -> ImportResult:
    """Import a CSV text in one transaction. Without replace, rows whose name and
    municipality match an existing initiative update it (only the file's columns, so a v1
    file keeps the referral details); others are added.

    Imports take turns (begin_exclusive): one that starts while another runs waits, then
    works on the catalogue that one left. Everything it reads, the count of rows a replace
    removes included, is read inside its own transaction; readers see the old catalogue
    until the new one is committed.

    Rows are written in bulk (batches of IMPORT_BATCH), not as one ORM object each: 100 000
    rows would otherwise take half a minute and a gigabyte. Bulk statements skip the ORM's
    events, so the dedupe_key is set here, with the function the event calls.
    """
    parsed = _parse_for_import(text)
    result = ImportResult()
    try:
        begin_exclusive(session, IMPORT_LOCK_KEY)
        # key -> id of the rows already in the catalogue (three columns, not whole rows)
        existing: dict[tuple[str, str], int] = {}
        if replace:
            result.deleted = session.exec(select(func.count()).select_from(Initiative)).one()
            session.exec(delete(Initiative))
        else:
            found = session.exec(select(Initiative.id, Initiative.name, Initiative.municipality))
            existing = {_key(name, town): id_ for id_, name, town in found if id_ is not None}
        now = datetime.now(UTC)
        # What to write, in the file's order: a second row for the same initiative updates
        # what the first one wrote (its columns only), as when each row was an ORM object.
        added: dict[tuple[str, str], list[Any]] = {}
        changed: dict[int, dict[str, Any]] = {}
        for row in parsed:
            id_ = existing.get(row.key)
            if id_ is None and row.key not in added:
                added[row.key] = list(row.values)
                result.created += 1
            elif id_ is None:
                first = added[row.key]
                for name in row.columns:
                    first[POSITION[name]] = row.values[POSITION[name]]
                result.updated += 1
            else:
                change = changed.setdefault(id_, {"id": id_})
                change.update({name: row.values[POSITION[name]] for name in row.columns})
                result.updated += 1
            result.names.append(row.values[POSITION["name"]])
        del parsed
        for batch in _batches(list(changed.values())):
            for change in batch:
                change.update(updated_at=now, dedupe_key=_dedupe_key(change))
            session.exec(update(Initiative), params=batch)
        for values in _batches(list(added.values())):
            rows = [dict(zip(FIELDS, v, strict=True)) for v in values]
            for new in rows:
                new.update(created_at=now, updated_at=now, dedupe_key=_dedupe_key(new))
            # Core's INSERT: every row has every column, so each batch is one executemany
            # (the ORM's would split a batch wherever the columns left empty differ).
            session.exec(insert(_TABLE), params=rows)
        # In the same transaction: every worker sees the new version with the new rows.
        bump_version(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def _dedupe_key(row: dict[str, Any]) -> str:
    # As the ORM event does (models._set_dedupe_key), from the row's name and municipality.
    # An update without a municipality column matched a row without one, so None is right.
    return dedupe_key(row["name"], row.get("municipality"))


def _batches(rows: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(rows), IMPORT_BATCH):
        yield rows[start : start + IMPORT_BATCH]


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
    batches of ids.
    """
    table = _TABLE
    query = select(*(table.c[name] for name in ALL_COLUMNS)).order_by(table.c.id)
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
