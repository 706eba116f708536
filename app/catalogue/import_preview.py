"""The curators' import (issue 11, item 4): a dry run that says what an upload would change,
then exactly that change, all or nothing.

`read_upload` turns an uploaded file (CSV of DOMAIN.md §6, or HSDS JSON or the zip data
package of app.catalogue.hsds) into the text of a CSV exchange file and its problems.
`preview` parses and validates that text and compares it with the catalogue: every error
by row (or HSDS record) and column (as the file's header names it, or the HSDS field), and
every initiative that would be new, changed (field by field), restored from the archive,
unchanged, or archived (only with `replace`). It writes nothing.

`apply` does the same comparison again inside one transaction under the import lock
(csvio.IMPORT_LOCK_KEY) and writes it only when the catalogue's version is still the one
the preview saw: the same file against the same catalogue gives the same plan, so what is
written is what the curator confirmed. It writes the rows in bulk (csvio's writers), one
audit entry for the import (who, file, counts) and one per record (field-level) while an
import changes at most AUDIT_DETAIL_LIMIT records, and raises the catalogue version, so
that every worker reloads at once.

An import never moves a record's last_verified back (freshness.later_verification): where
the stored date is later than the file's (an older export imported again), the stored date
is kept, the plan lists the record under `kept`, and neither the record's changes nor its
audit entry hold that field.

A curator import never deletes. Records absent from the file stay as they are, unless the
curator asks to replace the whole catalogue: then they are archived (archived_at set), and
a later import of the same name and municipality restores them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.auth.audit import change, record_change
from app.catalogue import csvio
from app.catalogue.columns import Codebook, column_for, default_codebook
from app.catalogue.csvio import (
    IMPORT_LOCK_KEY,
    CsvImportError,
    CsvIssue,
    with_value,
)
from app.catalogue.freshness import later_verification
from app.catalogue.models import CatalogueVersion, Initiative, catalogue_key
from app.catalogue.version import ROW_ID, bump_version, read_version
from app.core.db import begin_exclusive

# An upload of more is refused before it is read further.
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
# Initiatives listed per kind of change on the preview page (the counts are complete).
SAMPLE = 100
# Errors listed at most (the CSV check itself stops after csvio.MAX_ERRORS; duplicates and
# HSDS problems could otherwise run to a line per row).
MAX_PROBLEMS = 200
# Up to this many changed records, each gets its own audit entry with its fields' before
# and after; a larger import gets the one summary entry only.
AUDIT_DETAIL_LIMIT = 5_000
KINDS = ("new", "changed", "restored", "unchanged", "archived")
# The audit entry of a whole import names no record of its own.
IMPORT_TABLE = "import"


@dataclass(frozen=True)
class Problem:
    """One error of an upload: where (row of the file, or HSDS record), which column (as
    the file names it, or the HSDS field) and what is wrong (CsvIssue or an HSDS code)."""

    row: int | None
    column: str | None
    issue: CsvIssue | None = None
    code: str | None = None  # for problems that are no CsvIssue (HSDS, encoding, size)
    value: str | None = None
    record: str | None = None  # HSDS: the service's name or id


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the CSV exchange text to import, or the problems that stop it."""

    filename: str
    source: str  # "csv" | "hsds-json" | "hsds-zip"
    text: str
    problems: tuple[Problem, ...] = ()
    # HSDS: the record (name or id) of each data row, in order (row 2 is records[0]).
    records: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldDiff:
    column: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Entry:
    """One initiative in the plan: its row in the file (None for one archived because it
    is absent), name, municipality, id in the catalogue (None for a new one) and, for a
    changed or restored one, the fields that change. `kept_verified` is the stored
    last_verified that stays because the file's (`file_verified`, None when empty) is
    older."""

    row: int | None
    name: str
    municipality: str | None
    id: int | None
    diffs: tuple[FieldDiff, ...] = ()
    kept_verified: date | None = None
    file_verified: date | None = None


@dataclass
class Plan:
    """What an upload would do; `problems` empty and `rows` > 0 when it can be applied."""

    filename: str
    source: str
    replace: bool
    version: int
    rows: int = 0
    columns: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    samples: dict[str, list[Entry]] = field(default_factory=lambda: {k: [] for k in KINDS})
    records: tuple[str, ...] = ()
    # The records (of any kind) that keep their later stored last_verified; the first
    # SAMPLE of them for the page.
    kept: int = 0
    kept_samples: list[Entry] = field(default_factory=list)
    # For apply: every entry, and the values to write (not kept for the page).
    _entries: dict[str, list[Entry]] = field(default_factory=lambda: {k: [] for k in KINDS})
    _values: dict[int, tuple[tuple[str, str], tuple[Any, ...]]] = field(default_factory=dict)
    _new_rows: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and self.rows > 0

    @property
    def writes(self) -> int:
        return sum(self.counts[k] for k in KINDS if k != "unchanged")


class StalePreview(Exception):
    """The catalogue changed after the preview: the plan may no longer be what it showed."""


class NotApplicable(Exception):
    """The plan has errors (or no rows): nothing may be written."""


# --- reading an upload --------------------------------------------------------------------


def _kind(filename: str, data: bytes) -> str:
    lower = filename.lower()
    if lower.endswith(".zip") or data[:4] == b"PK\x03\x04":
        return "hsds-zip"
    if lower.endswith(".json") or data.lstrip()[:1] in (b"[", b"{"):
        return "hsds-json"
    return "csv"


def read_upload(filename: str, data: bytes) -> Upload:
    """The CSV exchange text of an upload (HSDS converted row by row), or its problems."""
    from app.catalogue import hsds

    source = _kind(filename, data)
    if filename.lower().endswith((".xlsx", ".xls", ".ods")):
        return Upload(filename, "csv", "", (Problem(None, None, code="spreadsheet"),))
    if len(data) > MAX_BYTES:
        return Upload(filename, source, "", (Problem(None, None, code="too_large"),))
    if not data.strip():
        return Upload(filename, source, "", (Problem(None, None, CsvIssue("empty_file")),))
    if source == "csv":
        try:
            return Upload(filename, source, data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return Upload(filename, source, "", (Problem(line, None, code="not_utf8"),))
    try:
        if source == "hsds-zip":
            import io

            services = hsds.services_from_zip(io.BytesIO(data))
        else:
            services = hsds.services_from_json(data.decode("utf-8"))
    except (hsds.HsdsReadError, UnicodeDecodeError, KeyError) as exc:
        detail = str(exc) if isinstance(exc, hsds.HsdsReadError) else ""
        return Upload(filename, source, "", (Problem(None, None, code="not_hsds", value=detail),))
    if len(services) > MAX_ROWS:
        problem = Problem(None, None, code="too_many_rows", value=str(len(services)))
        return Upload(filename, source, "", (problem,))
    text, imported = hsds.services_to_rows(services)
    records = tuple(
        str(s.get("name") or s.get("id") or f"#{n}") for n, s in enumerate(services, start=1)
    )
    problems = [
        Problem(n, fieldname, code=code, value=value, record=records[n - 2])
        for n, row in enumerate(imported, start=2)
        for code, fieldname, value in row.problems
    ]
    return Upload(filename, source, text, tuple(problems), records)


# --- parsing and comparing ------------------------------------------------------------------


class _Counting:
    """The csv reader's rows, counting them: after `_rows` yields a row's values, `n` is
    that row's place among the data rows."""

    def __init__(self, reader: Iterator[list[str]]) -> None:
        self._reader = reader
        self.n = 0

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> list[str]:
        row = next(self._reader)
        self.n += 1
        return row


def _header_names(text: str) -> dict[str, str]:
    """The file's own name of each column (canonical name → as written in row 1)."""
    first = next(csv.reader(csvio._lines(text), delimiter=csvio._delimiter(text)), [])
    names: dict[str, str] = {}
    for written in first:
        shown = csvio.clean_text(written).strip()
        canonical = column_for(shown)
        if canonical is not None:
            names.setdefault(canonical, shown)
    return names


def _parse(
    upload: Upload, codes: Codebook
) -> tuple[tuple[str, ...], list[tuple[int, tuple[str, str], tuple[Any, ...]]], list[Problem]]:
    """The columns, the valid rows (row number, catalogue key, values) and the problems."""
    text = upload.text[1:] if upload.text.startswith("\ufeff") else upload.text
    problems = list(upload.problems)
    if not text.strip():
        return (), [], problems or [Problem(None, None, CsvIssue("empty_file"))]
    names: dict[str, str] = {} if upload.records else _header_names(text)

    def shown(issue: CsvIssue) -> Problem:
        column = issue.column
        record = None
        if upload.records:
            from app.catalogue.hsds import hsds_field

            column = hsds_field(column) if column else None
            if issue.row is not None and 2 <= issue.row < len(upload.records) + 2:
                record = upload.records[issue.row - 2]
        elif column is not None:
            column = names.get(column, column)
        return Problem(issue.row, column, issue, record=record)

    try:
        reader, columns = csvio._read_header(text)
    except CsvImportError as exc:
        return (), [], problems + [shown(i) for i in exc.issues]
    counter = _Counting(reader)
    rows = csvio._rows(counter, columns, codes, csvio._UNCLEAN.search(text) is not None)
    name_at = columns.index("name")
    town_at = columns.index("municipality") if "municipality" in columns else None
    parsed: list[tuple[int, tuple[str, str], tuple[Any, ...]]] = []
    first_row: dict[tuple[str, str], int] = {}
    try:
        for values in rows:
            row_no = counter.n + 1
            key = catalogue_key(values[name_at], None if town_at is None else values[town_at])
            if key in first_row:
                problems.append(
                    Problem(
                        row_no,
                        shown(CsvIssue("name_required", row_no, "name")).column,
                        code="duplicate",
                        value=str(first_row[key]),
                        record=upload.records[row_no - 2] if upload.records else None,
                    )
                )
                continue
            first_row[key] = row_no
            parsed.append((row_no, key, values))
    except CsvImportError as exc:
        problems.extend(shown(i) for i in exc.issues)
    if len(parsed) > MAX_ROWS:
        problems.append(Problem(None, None, code="too_many_rows", value=str(len(parsed))))
    elif not parsed and not problems:
        problems.append(Problem(None, None, code="no_rows"))
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    if len(problems) > MAX_PROBLEMS:
        stop = Problem(None, None, CsvIssue("too_many", extra=str(MAX_PROBLEMS)))
        problems = [stop, *problems[:MAX_PROBLEMS]]
    return columns, parsed, problems


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if value == "":
        return None
    return value


def _same(before: Any, after: Any) -> bool:
    """Equal values; lists of ids as sets (their order means nothing: the advice and the
    landscape read them as sets, and an HSDS file lists them in vocabulary order)."""
    before, after = _norm(before), _norm(after)
    if isinstance(before, tuple) and isinstance(after, tuple):
        return set(before) == set(after)
    return bool(before == after)


def _compare(session: Session, plan: Plan, parsed: list[Any]) -> None:
    """Fill the plan's counts and entries from the parsed rows and the catalogue."""
    columns = plan.columns
    table = Initiative.__table__  # type: ignore[attr-defined]
    wanted = [table.c.id, table.c.archived_at, table.c.name, table.c.municipality]
    wanted += [table.c[c] for c in columns if c not in ("name", "municipality")]
    rest = [c for c in columns if c not in ("name", "municipality")]
    existing: dict[tuple[str, str], tuple[int, bool, dict[str, Any]]] = {}
    for row in session.connection().execute(select(*wanted)):
        stored = dict(zip(("name", "municipality", *rest), row[2:], strict=True))
        existing[catalogue_key(row.name, row.municipality)] = (
            row.id,
            row.archived_at is not None,
            stored,
        )
    seen: set[int] = set()
    # An HSDS export fills in a municipality's main postcode where none was recorded;
    # importing it back leaves such a record's postcode empty.
    hsds_postcode = plan.source != "csv" and "postcode" in columns
    postcode_at = columns.index("postcode") if hsds_postcode else None
    verified_at = columns.index("last_verified") if "last_verified" in columns else None
    kept: list[Entry] = []
    for row_no, key, values in parsed:
        name = values[columns.index("name")]
        town = values[columns.index("municipality")] if "municipality" in columns else None
        found = existing.get(key)
        if found is None:
            _add(plan, "new", Entry(row_no, name, town, None))
            plan._new_rows[key] = values
            continue
        id_, archived, before = found
        seen.add(id_)
        if postcode_at is not None and before["postcode"] is None:
            from app.catalogue.hsds import filled_in_postcode

            if filled_in_postcode(town, values[postcode_at]):
                values = with_value(values, postcode_at, None)
        in_file: date | None = None
        stays: date | None = None
        if verified_at is not None:
            in_file = values[verified_at]
            later = later_verification(before["last_verified"], in_file)
            if later != in_file:
                stays = later
                values = with_value(values, verified_at, later)
        diffs = tuple(
            FieldDiff(c, _norm(before[c]), _norm(v))
            for c, v in zip(columns, values, strict=True)
            if not _same(before[c], v)
        )
        kind = "restored" if archived else ("changed" if diffs else "unchanged")
        entry = Entry(row_no, name, town, id_, diffs, stays, in_file if stays else None)
        _add(plan, kind, entry)
        if stays is not None:
            kept.append(entry)
        if kind != "unchanged":
            plan._values[id_] = (key, values)
    if plan.replace:
        for _key, (id_, archived, before) in existing.items():
            if id_ not in seen and not archived:
                _add(plan, "archived", Entry(None, before["name"], before["municipality"], id_))
    for kind in KINDS:
        plan._entries[kind].sort(key=lambda e: (e.row is None, e.row or 0, e.id or 0))
        plan.samples[kind] = plan._entries[kind][:SAMPLE]
    kept.sort(key=lambda e: e.row or 0)
    plan.kept = len(kept)
    plan.kept_samples = kept[:SAMPLE]


def _add(plan: Plan, kind: str, entry: Entry) -> None:
    plan.counts[kind] += 1
    plan._entries[kind].append(entry)


def _plan(session: Session, upload: Upload, replace: bool, codes: Codebook) -> Plan:
    version = read_version(session.connection())
    plan = Plan(upload.filename, upload.source, replace, version, records=upload.records)
    columns, parsed, problems = _parse(upload, codes)
    plan.columns = columns
    plan.rows = len(parsed)
    plan.problems = problems
    if columns and parsed:
        _compare(session, plan, parsed)
    return plan


def preview(
    session: Session, upload: Upload, *, replace: bool = False, codes: Codebook | None = None
) -> Plan:
    """What importing `upload` would do to the catalogue now; writes nothing."""
    try:
        return _plan(session, upload, replace, codes or default_codebook())
    finally:
        session.rollback()


# --- applying --------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def apply(
    session: Session,
    upload: Upload,
    *,
    replace: bool,
    version: int,
    user_id: int | None,
    codes: Codebook | None = None,
) -> Plan:
    """Import `upload` as its preview showed it, in one transaction under the import lock:
    StalePreview when the catalogue's version is no longer `version`, NotApplicable when
    the file has errors. Returns the plan that was written."""
    try:
        begin_exclusive(session, IMPORT_LOCK_KEY)
        # PostgreSQL: hold the version row, so that an edit committed from now on waits
        # for this import instead of slipping in between the check and the writes (SQLite's
        # BEGIN IMMEDIATE already keeps every other writer out).
        table = CatalogueVersion.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            select(table.c.version).where(table.c.id == ROW_ID).with_for_update()
        )
        plan = _plan(session, upload, replace, codes or default_codebook())
        if plan.version != version:
            raise StalePreview
        if not plan.ok:
            raise NotApplicable
        _write(session, plan)
        _audit(session, plan, user_id)
        bump_version(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return plan


def _write(session: Session, plan: Plan) -> None:
    now = datetime.now(UTC)
    dialect = session.connection().dialect
    copies = dialect.name == "postgresql" and dialect.driver == "psycopg"
    writer_class = csvio._CopyWriter if copies else csvio._BulkWriter
    writer = writer_class(session, plan.columns, now)
    updates = [
        (e.id, *plan._values[e.id])
        for kind in ("changed", "restored")
        for e in plan._entries[kind]
        if e.id is not None
    ]
    if updates:
        writer.update(updates)
    if plan._new_rows:
        writer.insert(plan._new_rows.items())
    table = Initiative.__table__  # type: ignore[attr-defined]
    restored = [e.id for e in plan._entries["restored"]]
    archived = [e.id for e in plan._entries["archived"]]
    for ids, value in ((restored, None), (archived, now)):
        for start in range(0, len(ids), csvio.EXPORT_BATCH):
            chunk = ids[start : start + csvio.EXPORT_BATCH]
            session.connection().execute(
                update(table).where(table.c.id.in_(chunk)).values(archived_at=value, updated_at=now)
            )


def _audit(session: Session, plan: Plan, user_id: int | None) -> None:
    record_change(
        session,
        user_id=user_id,
        action="import",
        table_name=IMPORT_TABLE,
        record_id=0,
        changes=[
            change("file", None, plan.filename),
            change("replace", None, plan.replace),
            *(change(kind, None, plan.counts[kind]) for kind in KINDS),
        ],
    )
    if plan.writes > AUDIT_DETAIL_LIMIT:
        return
    for kind in ("changed", "restored"):
        for e in plan._entries[kind]:
            assert e.id is not None
            changes = [change(d.column, _json(d.before), _json(d.after)) for d in e.diffs]
            if kind == "restored":
                changes.append(change("archived", True, False))
            record_change(
                session,
                user_id=user_id,
                action=f"import_{kind}",
                table_name="initiative",
                record_id=e.id,
                changes=changes,
            )
    for e in plan._entries["archived"]:
        assert e.id is not None
        record_change(
            session,
            user_id=user_id,
            action="import_archived",
            table_name="initiative",
            record_id=e.id,
            changes=[change("archived", False, True)],
        )
    if plan._new_rows:
        keys = [csvio._dedupe_key(k) for k in plan._new_rows]
        for start in range(0, len(keys), csvio.EXPORT_BATCH):
            found = session.exec(
                select(Initiative.id, Initiative.name).where(
                    col(Initiative.dedupe_key).in_(keys[start : start + csvio.EXPORT_BATCH])
                )
            ).all()
            for id_, name in found:
                assert id_ is not None
                record_change(
                    session,
                    user_id=user_id,
                    action="import_new",
                    table_name="initiative",
                    record_id=id_,
                    changes=[change("name", None, name)],
                )
