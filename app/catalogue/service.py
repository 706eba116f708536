"""Catalogue queries, seeding and the in-memory snapshot used for matching."""

from __future__ import annotations

import gc
import io
import json
import logging
import secrets
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, String, cast, exists, func, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col, select

from app.advice.models import Advice
from app.catalogue.csvio import (
    EXPORT_BATCH,
    ImportResult,
    InitiativeCsvWriter,
    export_rows,
    import_initiatives,
)
from app.catalogue.index import catalogue_index
from app.catalogue.models import LIST_FIELDS, Initiative, SavedIntake
from app.catalogue.records import InitiativeRecord
from app.catalogue.search import prepare_search_index
from app.catalogue.version import read_version
from app.domain.intake import Intake
from app.domain.places import load_places
from app.landscape.index import landscape_index

log = logging.getLogger("eenzaamheidswijzer")


def count_initiatives(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Initiative)).one())


def seed_if_empty(engine: Engine, csv_path: Path) -> ImportResult | None:
    """Fill an empty catalogue with the shipped CSV; leave a filled one alone."""
    with Session(engine) as session:
        if count_initiatives(session):
            return None
        return import_initiatives(session, csv_path.read_text(encoding="utf-8"))


# A record's fields, in the order InitiativeRecord takes them (every one is a column).
RECORD_FIELDS = tuple(f.name for f in fields(InitiativeRecord))
# List columns: few distinct values (a handful of ids each), one shared frozenset per value.
_SET_POSITIONS = tuple(n for n, name in enumerate(RECORD_FIELDS) if name in LIST_FIELDS)
# Columns with few distinct values: one string object per value.
_SHARED_POSITIONS = tuple(
    n
    for n, name in enumerate(RECORD_FIELDS)
    if name in ("municipality", "geographic_level", "primary_actor", "effect_ladder")
)
# Rows fetched at a time while loading: the driver's rows never pile up.
LOAD_BATCH = 2_000


def _record_query() -> Select[Any]:
    table = Initiative.__table__  # type: ignore[attr-defined]
    columns = [
        # The list columns as their stored text (parsed once per distinct text below);
        # a driver that decodes JSON itself (psycopg) still hands over lists.
        type_coerce(table.c[name], String).label(name) if name in LIST_FIELDS else table.c[name]
        for name in RECORD_FIELDS
    ]
    # Archived records (issue 11) are out of the advice, the landscape and search.
    return select(*columns).where(table.c.archived_at.is_(None)).order_by(table.c.id)


def load_records(engine: Engine) -> tuple[InitiativeRecord, ...]:
    """The whole catalogue as records, in id order.

    Read with Core, not as ORM objects, a batch at a time. Equal list values share one
    frozenset and equal short values one string: 100 000 records hold some thousands of
    sets instead of 700 000, which is most of their memory and of the collector's work.
    """
    sets: dict[Any, frozenset[str]] = {}
    shared: dict[str, str] = {}
    records: list[InitiativeRecord] = []
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=LOAD_BATCH).execute(_record_query())
        for batch in result.partitions():
            for row in batch:
                values = list(row)
                for n in _SET_POSITIONS:
                    raw = values[n]
                    key = raw if isinstance(raw, str) else tuple(raw)
                    found = sets.get(key)
                    if found is None:
                        items = json.loads(raw) if isinstance(raw, str) else raw
                        found = sets[key] = frozenset(shared.setdefault(i, i) for i in items)
                    values[n] = found
                for n in _SHARED_POSITIONS:
                    text = values[n]
                    if text is not None:
                        values[n] = shared.setdefault(text, text)
                records.append(InitiativeRecord(*values))
    return tuple(records)


def initiatives_page(
    session: Session,
    *,
    municipality: str | None = None,
    element: str | None = None,
    age_group: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[Initiative]]:
    """One page of the catalogue in id order, and how many initiatives match in all.

    Filtered, counted and paged by the database: only the page's rows are loaded.
    Archived records are left out.
    """
    conditions: list[ColumnElement[bool]] = [col(Initiative.archived_at).is_(None)]
    if municipality:
        # "gent", " GENT " and "Gent" are one municipality (as in models.catalogue_key):
        # which of the spellings stored match is decided here, over the few distinct ones.
        wanted = " ".join(municipality.casefold().split())
        stored = session.exec(select(Initiative.municipality).distinct())
        spellings = [m for m in stored if m and " ".join(m.casefold().split()) == wanted]
        conditions.append(col(Initiative.municipality).in_(spellings))
    dialect = session.get_bind().dialect.name
    if element:
        conditions.append(_list_holds(dialect, Initiative.__table__.c.elements, element))  # type: ignore[attr-defined]
    if age_group:
        conditions.append(_list_holds(dialect, Initiative.__table__.c.age_groups, age_group))  # type: ignore[attr-defined]
    total = session.exec(select(func.count()).select_from(Initiative).where(*conditions)).one()
    query = (
        select(Initiative)
        .where(*conditions)
        .order_by(col(Initiative.id))
        .offset(offset)
        .limit(limit)
    )
    return int(total), list(session.exec(query))


def _list_holds(dialect: str, column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """`value` is one of the ids in a JSON list column."""
    if dialect == "postgresql":
        return cast(column, JSONB).contains([value])
    if dialect == "sqlite":
        members = func.json_each(column).table_valued("value")
        return exists(select(members.c.value).where(members.c.value == value))
    # Elsewhere, on the JSON text: ids hold no quotes, so '"older"' is that id and no other.
    return cast(column, String).contains(f'"{value}"', autoescape=True)


def initiatives_by_ids(engine: Engine, ids: Iterable[int]) -> list[Initiative]:
    """Full rows of the given initiatives, in id order."""
    wanted = sorted(set(ids))
    rows: list[Initiative] = []
    with Session(engine) as session:
        for start in range(0, len(wanted), EXPORT_BATCH):
            chunk = wanted[start : start + EXPORT_BATCH]
            query = (
                select(Initiative).where(col(Initiative.id).in_(chunk)).order_by(col(Initiative.id))
            )
            rows.extend(session.exec(query))
    return rows


def export_csv_chunks(engine: Engine, ids: Iterable[int] | None = None) -> Iterator[str]:
    """The catalogue (or the given initiatives) in the CSV exchange format, a piece of text
    per batch of rows as it is read: for a streamed download in constant memory."""
    wanted = None if ids is None else sorted(set(ids))
    out = io.StringIO()
    writer = InitiativeCsvWriter(out)
    with Session(engine) as session:
        for n, row in enumerate(export_rows(session, wanted), start=1):
            writer.write(row)
            if n % EXPORT_BATCH == 0:
                yield _take(out)
    yield _take(out)


def _take(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


# Record codes: Crockford's base32 (no I, L, O or U, so nothing reads as another character
# or a word), 10 characters from `secrets` (50 bits: not guessable, even without the rate
# limit), grouped for reading aloud and copying into a file: "K7QM-3XDF-9P" (12 of 16 chars).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
# A clash is a one in 10^15 event; a few new draws make it harmless instead of an error.
SAVE_ATTEMPTS = 5
_CROCKFORD_READS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_HEX = frozenset("0123456789ABCDEF")
# Codes of records saved before issue 8: 8 lower-case hex characters.
LEGACY_CODE_LENGTH = 8


def new_record_code() -> str:
    """A fresh random record code, e.g. "K7QM-3XDF-9P"."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_record_code(text: str) -> str | None:
    """The code as stored, from how it was typed (any case, spaces or hyphens), or None.

    Read as Crockford intended: I and L are 1, O is 0. An older 8-hex code is kept as is.
    """
    compact = "".join(c for c in text.upper() if c.isalnum()).translate(_CROCKFORD_READS)
    if len(compact) == CODE_LENGTH and all(c in CODE_ALPHABET for c in compact):
        return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"
    if len(compact) == LEGACY_CODE_LENGTH and set(compact) <= _HEX:
        return compact.lower()
    return None


def official_municipality(text: str | None) -> str | None:
    """The official name of the municipality in `text` (name, former name, postcode), or None.

    Only a name from data/municipalities.csv is ever stored: anything else could be a
    person's name or address typed in the wrong field.
    """
    place = load_places().find(text) if text else None
    return place.name if place is not None else None


def save_anonymous(engine: Engine, intake: Intake, advice: Advice) -> str:
    """Store a pseudonymous record of one advice (explicit consent only); return its code.

    No names, free text or scale answers, and the month instead of a date. The worker notes
    the code, so that the record can be withdrawn when the client withdraws consent.
    """
    fields: dict[str, Any] = {
        "month": datetime.now(UTC).strftime("%Y-%m"),
        "age_group": intake.age_group.value,
        "profile": advice.profile.id,
        "course": advice.course,
        "dimensions": advice.dimensions,
        "socially_isolated": intake.socially_isolated,
        "risk_factors": [r.value for r in intake.risk_factors],
        "djg6_band": str(advice.scales["djg6"]["band"]) if advice.scales else None,
        "municipality": official_municipality(intake.municipality),
        "advised": [e.id for e in advice.elements[:5]],
    }
    attempts = 0
    while True:
        attempts += 1
        code = new_record_code()
        record = SavedIntake(code=code, **fields)
        with Session(engine) as session:
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                # The only unique column is the code: draw another one, a few times.
                session.rollback()
                if attempts >= SAVE_ATTEMPTS:
                    raise
                continue
            return code


def withdraw_anonymous(engine: Engine, code: str) -> bool:
    """Delete the record with this code (as typed); False when there is none."""
    stored = normalise_record_code(code)
    if stored is None:
        return False
    with Session(engine) as session:
        record = session.exec(select(SavedIntake).where(SavedIntake.code == stored)).first()
        if record is None:
            return False
        session.delete(record)
        session.commit()
        return True


class CatalogueSnapshot:
    """The catalogue in memory for matching and the landscape, so that a request does not
    query the database: loaded at start-up, then again only when the catalogue's version
    (app.catalogue.version) changes, never on a timer.

    A watcher thread (start/stop) reads the version every `check_seconds`, one tiny SELECT,
    and builds a new snapshot beside the old one; requests keep using the old one until
    the new one replaces it in a single assignment. A snapshot is never mixed: a request
    that reads it once gets one version of the catalogue.
    """

    def __init__(self, engine: Engine, check_seconds: float) -> None:
        self._engine = engine
        self._check_seconds = check_seconds
        # (version, records), replaced as a whole.
        self._current: tuple[int, tuple[InitiativeRecord, ...]] | None = None
        self._load_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def get(self) -> Sequence[InitiativeRecord]:
        """The snapshot (loaded now if it never was)."""
        current = self._current
        if current is None:
            current = self._load()
        return current[1]

    def peek(self) -> Sequence[InitiativeRecord] | None:
        """The snapshot, or None before the first load (without touching the database)."""
        current = self._current
        return None if current is None else current[1]

    def current(self) -> tuple[int, Sequence[InitiativeRecord]] | None:
        """The version and the records of the snapshot, read together (None before the
        first load)."""
        return self._current

    @property
    def version(self) -> int | None:
        """The catalogue version the snapshot holds (None before the first load)."""
        current = self._current
        return None if current is None else current[0]

    def refresh(self) -> bool:
        """Load the catalogue again when the database holds another version; True if so."""
        with self._engine.connect() as conn:
            latest = read_version(conn)
        current = self._current
        if current is not None and current[0] == latest:
            return False
        self._load()
        return True

    def start(self) -> None:
        """Load the catalogue, then watch its version in a daemon thread.

        An in-memory database (one shared connection) is not watched: only this process
        can change it, and a second thread must not share its connection.
        """
        self.get()
        if self._check_seconds <= 0 or isinstance(self._engine.pool, StaticPool):
            return
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, name="catalogue-watcher", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """End the watcher (a load in progress finishes first)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None

    def _watch(self) -> None:
        while not self._stop.wait(self._check_seconds):
            try:
                self.refresh()
            except SQLAlchemyError as exc:
                # The old snapshot stays in use; the next check tries again.
                log.warning("could not check the catalogue version (%s)", type(exc).__name__)

    def _load(self) -> tuple[int, tuple[InitiativeRecord, ...]]:
        with self._load_lock:
            # The version first: if an import commits between the two reads, the snapshot
            # holds the newer rows under the older number and is merely loaded once more.
            with self._engine.connect() as conn:
                version = read_version(conn)
            current = self._current
            if current is not None and current[0] == version:
                return current  # another thread loaded it meanwhile
            # No collections while the snapshot is built: every batch of new records would
            # set one off, and each full one walks the whole heap again (seconds, at 100 000
            # initiatives). Nothing built here is cyclic garbage; gc.collect() follows.
            enabled = gc.isenabled()
            gc.disable()
            try:
                current = self._build(version)
            finally:
                if enabled:
                    gc.enable()
            # Tens of thousands of long-lived objects: out of the collector's way, so that
            # its full collections do not walk them again and again.
            gc.collect()
            gc.freeze()
            self._current = current
            # The search's index (app.catalogue.search) right after the switch, in this
            # same thread: the first catalogue search after an import finds it built, and
            # advice and the landscape do not wait for it.
            prepare_search_index(current[1])
            return current

    def _build(self, version: int) -> tuple[int, tuple[InitiativeRecord, ...]]:
        """The records of `version` with both their indexes built."""
        preloaded = _preloaded.pop(_url_key(self._engine), None)
        if preloaded is not None and preloaded[0] == version:
            # Loaded (indexes included) before this worker process was forked.
            current = preloaded
        else:
            current = (version, load_records(self._engine))
        # Matching's index of these records (app.catalogue.index), ready before any
        # request sees them.
        catalogue_index(current[1], load_places())
        # And the landscape's (app.landscape.index), for the same reason.
        landscape_index(current[1])
        return current


# A snapshot loaded before a server's worker processes are forked (app.server), per
# database: each worker's first load takes it, with its indexes, instead of reading and
# indexing the whole catalogue again, all workers at once on the same CPUs.
_preloaded: dict[str, tuple[int, tuple[InitiativeRecord, ...]]] = {}


def _url_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def preload_snapshot(engine: Engine) -> int:
    """Load the catalogue and build its indexes in this process, for the worker processes
    that will be forked from it (a worker whose catalogue version differs loads its own).
    Returns the number of initiatives."""
    snapshot = CatalogueSnapshot(engine, 0)
    records = snapshot.get()
    version = snapshot.version
    assert version is not None
    _preloaded[_url_key(engine)] = (version, tuple(records))
    return len(records)
