"""`python -m bench.hsds_bench [SIZE]`: the HSDS export and API at catalogue scale (issue 11).

A catalogue of SIZE generated initiatives (default 100 000, bench.catalogue_bench's
generator) is imported once; then, each in a process of its own so that its peak memory
(ru_maxrss) is its own: the exchange-format CSV export as the baseline, the HSDS JSON
export, the HSDS zip (CSV data package), a page of 50 services at the start and at the
end of the catalogue, and a service by its UUID (the first lookup builds the UUID index).
Prints the figures; asserts nothing.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.catalogue_bench import catalogue_csv

TASKS = ("csv", "hsds-json", "hsds-zip", "page-first", "page-last", "by-id")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one(task: str, db: str, out: str) -> dict[str, Any]:
    from sqlmodel import Session

    from app.catalogue import csvio, hsds
    from app.core.db import make_engine

    engine = make_engine(f"sqlite:///{db}")
    m = hsds.mapper()  # the rules and places are loaded before the clock starts
    result: dict[str, Any] = {"start_mb": round(_peak_mb(), 1)}
    with Session(engine) as session:
        total = session.connection().exec_driver_sql("SELECT count(*) FROM initiative").scalar()
        pages = -(-int(total or 0) // hsds.DEFAULT_PER_PAGE)
        start = time.perf_counter()
        if task == "csv":
            with open(out, "w", encoding="utf-8", newline="") as fh:
                result["rows"] = csvio.export_initiatives(session, fh)
        elif task == "hsds-json":
            with open(out, "w", encoding="utf-8") as fh:
                result["rows"] = hsds.write_json(session, fh, m)
        elif task == "hsds-zip":
            result["rows"] = hsds.write_zip(session, out, m)
        elif task in ("page-first", "page-last"):
            page = 1 if task == "page-first" else pages
            got = hsds.services_page(session, m, hsds.ServiceFilter(), page, hsds.DEFAULT_PER_PAGE)
            result["rows"] = len(got.contents)
        elif task == "by-id":
            index = hsds.ServiceIndex()
            wanted = hsds.service_uuid(int(total or 1))
            found = hsds.service_by_uuid(session, m, index, wanted)
            result["first_seconds"] = round(time.perf_counter() - start, 3)
            again = time.perf_counter()
            hsds.service_by_uuid(session, m, index, hsds.service_uuid(1))
            result["later_ms"] = round((time.perf_counter() - again) * 1000, 2)
            result["rows"] = int(found is not None)
        result["seconds"] = round(time.perf_counter() - start, 3)
    result["peak_mb"] = round(_peak_mb(), 1)
    if Path(out).exists():
        result["file_mb"] = round(Path(out).stat().st_size / 1e6, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--one"]:
        print(json.dumps(_one(args[1], args[2], args[3])))
        return 0
    size = int(args[0]) if args else 100_000
    with tempfile.TemporaryDirectory(prefix="hsds-bench-") as tmp:
        folder = Path(tmp)
        source = folder / "catalogue.csv"
        source.write_text(catalogue_csv(size), encoding="utf-8")
        db = folder / "bench.db"
        env_db = f"sqlite:///{db}"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "app", "initiatives", "import", str(source)],
            check=True,
            capture_output=True,
            env={"DATABASE_URL": env_db, "PATH": "/usr/bin:/bin"},
        )
        print(f"{size} initiatives imported in {time.perf_counter() - started:.1f} s")
        for task in TASKS:
            out = folder / f"out-{task}"
            done = subprocess.run(
                [sys.executable, "-m", "bench.hsds_bench", "--one", task, str(db), str(out)],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{task:11} {json.dumps(figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
