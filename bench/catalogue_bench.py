"""`python -m bench.catalogue_bench`: the catalogue at the scale of all of Flanders (issue 10).

Imports of 10 000 and 100 000 generated initiatives (new rows, the same file again so that
every row is updated, and the same file with --replace), a list page of 20, and the CSV
export, each with the code before issue 10 (bench/legacy_catalogue.py) beside the current
code. Every measurement runs in a process of its own, so that its peak memory (ru_maxrss)
is its own; the figures are printed and written to bench/results/catalogue.json.

On SQLite by default; `--postgres URL` runs the same on PostgreSQL, each in a scratch
database made on that server and dropped afterwards (the URL's own database is only used
to make and drop them).

Goals from the issue: an import of 100 000 rows under 10 s and 400 MB.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.report import RESULTS_DIR, verdict, write_json

SIZES = (10_000, 100_000)
IMPORTS = (
    ("import", "import (new rows)"),
    ("import_again", "import again (every row updated)"),
    ("import_replace", "import again with --replace"),
)
IMPORT_GOAL_SECONDS = 10.0
IMPORT_GOAL_MB = 400.0
TOWNS = ("Gent", "Antwerpen", "Brugge", "Leuven", "Hasselt", "Aalst", "Kortrijk", "Genk", "")
ELEMENTS = ("meeting", "befriending", "social_support", "leisure", "occupation", "mindfulness")
AGES = ("older", "adults", "youth", "young_adults", "children", "all_ages")


def catalogue_csv(size: int, seed: int = 10) -> str:
    """`size` distinct initiatives in the exchange format, the same for the same seed."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["name", "description", "website", "municipality", "elements", "age_groups",
         "prevention_levels", "geographic_level", "phone", "last_verified"]
    )  # fmt: skip
    for n in range(1, size + 1):
        writer.writerow(
            [
                f"{rng.choice(('Buurtcafé', 'Praatgroep', 'Wandelclub', 'Bezoekdienst'))} {n}",
                "Wekelijkse ontmoeting met koffie, een gesprek en een activiteit. " * 2,
                f"https://initiatief{n}.example.be" if n % 3 == 0 else "",
                TOWNS[n % len(TOWNS)],
                ";".join(rng.sample(ELEMENTS, rng.randint(1, 4))),
                ";".join(rng.sample(AGES, rng.randint(1, 2))),
                "primary" if n % 2 else "secondary;tertiary",
                "local" if TOWNS[n % len(TOWNS)] else "flanders",
                "09 123 45 67" if n % 5 == 0 else "",
                "2025-03-01" if n % 7 == 0 else "",
            ]
        )
    return out.getvalue()


# --- one measurement, in its own process ----------------------------------------------


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(task: str, code: str, db_url: str, csv_path: str) -> dict[str, Any]:
    """Run one task in this process; return its time and memory."""
    from sqlmodel import Session

    # Only what the command line's import and export load (csvio, not the whole app), so
    # that the peak memory is theirs; the list's service module only for the list.
    from app.catalogue import csvio
    from app.core.db import init_db, make_engine
    from bench import legacy_catalogue

    legacy = code == "old"
    service = importlib.import_module("app.catalogue.service") if task.startswith("page") else None
    engine = make_engine(db_url)
    init_db(engine)
    before = _peak_mb()
    result: dict[str, Any] = {}
    start = time.perf_counter()
    cpu_start = time.process_time()
    with Session(engine) as session:
        if task in ("import", "import_again", "import_replace"):
            text = Path(csv_path).read_text(encoding="utf-8")
            run = legacy_catalogue.import_initiatives if legacy else csvio.import_initiatives
            # the file is read as the CLI reads it; not timed
            start, cpu_start = time.perf_counter(), time.process_time()
            done = run(session, text, replace=task == "import_replace")
            result["created"], result["updated"] = done.created, done.updated
            result["deleted"] = done.deleted
        elif task in ("page", "page_filtered"):
            query: dict[str, Any] = (
                {"limit": 20, "offset": 500}
                if task == "page"
                else {"municipality": "gent", "element": "meeting", "limit": 20}
            )
            if legacy:
                total, items = legacy_catalogue.list_initiatives(session, **query)
                result["items"] = len(items)
            else:
                assert service is not None
                total, rows = service.initiatives_page(session, **query)
                result["items"] = len(rows)
            result["total"] = total
        elif task == "export":
            exporter = legacy_catalogue.export_initiatives if legacy else csvio.export_initiatives
            with open(csv_path, "w", encoding="utf-8", newline="") as fh:
                result["rows"] = exporter(session, fh)
    result["seconds"] = time.perf_counter() - start
    # This process's own CPU time: the wall-clock time less what it waited for the CPU,
    # the disk or the database server (a busy machine shows in the difference).
    result["cpu_seconds"] = time.process_time() - cpu_start
    result["peak_mb"] = _peak_mb()
    result["start_mb"] = before
    engine.dispose()
    return result


def _in_subprocess(task: str, code: str, db_url: str, csv_path: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.catalogue_bench",
        "--one",
        task,
        code,
        db_url,
        str(csv_path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# --- the whole run -----------------------------------------------------------------


def _line(label: str, old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    def cell(f: dict[str, Any] | None) -> str:
        if f is None:
            return f"{'—':>30}"
        return f"{f['seconds']:7.2f} s ({f['cpu_seconds']:5.1f}) {f['peak_mb']:6.0f} MB"

    ratio = f"{old['seconds'] / new['seconds']:8.1f}×" if old else ""
    return f"  {label:<34} {cell(old)}   {cell(new)}  {ratio}"


@contextmanager
def _databases(folder: Path, postgres: str | None) -> Iterator[Callable[[str], str]]:
    """A function giving a fresh database's URL for a name: a SQLite file in `folder`, or a
    scratch database on the PostgreSQL server of `postgres`, all dropped at the end."""
    if postgres is None:
        yield lambda name: f"sqlite:///{folder / name}.db"
        return
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def scratch(name: str) -> str:
        db = f"ezw_bench_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        made.append(db)
        return make_url(postgres).set(database=db).render_as_string(hide_password=False)

    try:
        yield scratch
    finally:
        with admin.connect() as conn:
            for db in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def run(
    sizes: tuple[int, ...],
    with_old: bool,
    say: Callable[[str], None],
    postgres: str | None = None,
) -> dict[str, Any]:
    results: dict[str, Any] = {"database": "postgresql" if postgres else "sqlite"}
    say(f"catalogue on {results['database']}; {_load()}")
    head = "time (CPU)   peak RSS"
    say(f"  {'':<34} {'old: ' + head:>30}   {'new: ' + head:>30}  speed-up")
    with (
        tempfile.TemporaryDirectory(prefix="ezw-bench-") as tmp,
        _databases(Path(tmp), postgres) as database,
    ):
        folder = Path(tmp)
        for size in sizes:
            source = folder / f"catalogue-{size}.csv"
            source.write_text(catalogue_csv(size), encoding="utf-8")
            figures: dict[str, Any] = {}
            for code in ("old", "new") if with_old else ("new",):
                db = database(f"{code}-{size}")
                for task, _label in IMPORTS:
                    figures[f"{task}_{code}"] = _in_subprocess(task, code, db, source)
                for task in ("page", "page_filtered", "export"):
                    out = folder / f"export-{code}-{size}.csv"
                    figures[f"{task}_{code}"] = _in_subprocess(task, code, db, out)
            if with_old:
                same = (folder / f"export-old-{size}.csv").read_bytes() == (
                    folder / f"export-new-{size}.csv"
                ).read_bytes()
                figures["exports_identical"] = same
            results[str(size)] = figures
            say(f"{size:,} initiatives".replace(",", " "))
            for task, label in (
                *IMPORTS,
                ("page", "list: page of 20 (offset 500)"),
                ("page_filtered", "list: gent + meeting, page of 20"),
                ("export", "CSV export to a file"),
            ):
                say(_line(label, figures.get(f"{task}_old"), figures[f"{task}_new"]))
            if with_old:
                say(f"  exports byte for byte the same: {figures['exports_identical']}")
            if size == 100_000:
                for task, label in IMPORTS:
                    new_import = figures[f"{task}_new"]
                    met = (
                        new_import["seconds"] < IMPORT_GOAL_SECONDS
                        and new_import["peak_mb"] < IMPORT_GOAL_MB
                    )
                    say(
                        f"  goal: {label} of 100 000 under {IMPORT_GOAL_SECONDS:.0f} s and "
                        f"{IMPORT_GOAL_MB:.0f} MB → {verdict(met)}"
                    )
    base = results[str(sizes[0])]["import_new"]["start_mb"]
    say(f"  (peak RSS is the whole process's; about {base:.0f} MB before any work)")
    say(f"  (times are wall-clock on a shared machine; at the end: {_load()})")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catalogue_bench", description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="e.g. 10000,100000")
    parser.add_argument("--no-old", action="store_true", help="measure the current code only")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL instead of SQLite, in scratch databases on this server "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)",
    )
    parser.add_argument(
        "--one", nargs=4, metavar=("TASK", "CODE", "DB_URL", "CSV"), help="internal"
    )
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_measure(*args.one)))
        return 0
    sizes = tuple(int(s) for s in args.sizes.split(","))
    results = run(sizes, not args.no_old, lambda text: print(text, flush=True), args.postgres)
    name = "catalogue-postgresql.json" if args.postgres else "catalogue.json"
    path = write_json(results, RESULTS_DIR / name)
    print(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
