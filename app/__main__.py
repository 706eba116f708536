"""Command line: `python -m app initiatives import|export`, `db upgrade [--seed]|current`,
`serve`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sqlmodel import Session


def _cmd_import(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from app.catalogue.csvio import CsvImportError, import_initiatives
    from app.core.config import get_settings
    from app.core.db import init_db, make_engine

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"error: {path}: not UTF-8 text", file=sys.stderr)
        return 2
    engine = make_engine(get_settings().database_url)
    init_db(engine)
    with Session(engine) as session:
        try:
            result = import_initiatives(session, text, replace=args.replace)
        except CsvImportError as exc:
            print(f"error: {path}: nothing was imported:", file=sys.stderr)
            for err in exc.errors:
                print(f"  {err}", file=sys.stderr)
            return 1
        except SQLAlchemyError as exc:
            # One line, not a traceback: the transaction was rolled back, nothing changed.
            reason = type(getattr(exc, "orig", None) or exc).__name__
            print(
                f"error: {path}: nothing was imported: the database refused it ({reason})",
                file=sys.stderr,
            )
            return 1
    print(
        f"imported {path}: {result.created} added, {result.updated} updated"
        + (f", {result.archived} archived (not in the file)" if args.replace else "")
        + (
            f", {result.kept_verified} kept their later last_verified"
            if result.kept_verified
            else ""
        )
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from app.catalogue.csvio import export_initiatives
    from app.core.config import get_settings
    from app.core.db import init_db, make_engine

    if args.format == "hsds-zip" and args.file == "-":
        print("error: hsds-zip needs a file name, not '-'", file=sys.stderr)
        return 2
    engine = make_engine(get_settings().database_url)
    init_db(engine)
    with Session(engine) as session:
        if args.format != "csv":
            from app.catalogue import hsds

            if args.format == "hsds-zip":
                n = hsds.write_zip(session, args.file)
            elif args.file == "-":
                n = hsds.write_json(session, sys.stdout)
            else:
                with open(args.file, "w", encoding="utf-8") as fh:
                    n = hsds.write_json(session, fh)
        elif args.file == "-":
            n = export_initiatives(session, sys.stdout)
        else:
            with open(args.file, "w", encoding="utf-8", newline="") as fh:
                n = export_initiatives(session, fh)
    print(f"exported {n} initiatives to {args.file}", file=sys.stderr)
    return 0


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from alembic.util import CommandError
    from sqlalchemy.exc import OperationalError

    from app.core.config import get_settings
    from app.core.db import make_engine
    from app.migrations import SchemaError, head_revision, upgrade

    settings = get_settings()
    engine = make_engine(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    seeded = None
    try:
        before = upgrade(engine)
        if args.seed:
            from app.catalogue.service import seed_if_empty

            seeded = seed_if_empty(engine, settings.catalogue_csv)
    except (SchemaError, OperationalError, CommandError) as exc:
        # CommandError: a revision these scripts do not know (a database of newer code).
        print(f"error: {where}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    head = head_revision()
    if before == head:
        print(f"{where}: already at the newest revision {head}")
    else:
        print(f"{where}: upgraded from {before or 'an empty database'} to revision {head}")
    if args.seed:
        if seeded is None:
            print(f"{where}: the catalogue is not empty; left as it is")
        else:
            print(f"{where}: seeded the catalogue with {seeded.created} initiatives")
    return 0


def _cmd_db_current(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from app.core.config import get_settings
    from app.core.db import make_engine
    from app.migrations import current_revision, head_revision

    engine = make_engine(get_settings().database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            current = current_revision(conn)
    except OperationalError as exc:
        print(f"error: {where}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    head = head_revision()
    if current == head:
        print(f"{where}: revision {current} (the newest)")
    elif current is None:
        print(f"{where}: no revision (empty, or made before migrations); newest is {head}")
    else:
        print(f"{where}: revision {current}; newest is {head} (run `python -m app db upgrade`)")
    return 0


# Most worker processes per CPU `serve` starts. The work is CPU-bound (matching, pages):
# more workers than this only compete for the CPUs, and each holds the catalogue.
MAX_WORKERS_PER_CPU = 8


def usable_cpus() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_workers(web_concurrency: int | None) -> int:
    """WEB_CONCURRENCY when set, else one worker per CPU this process may use."""
    if web_concurrency is not None:
        return web_concurrency
    return usable_cpus()


def _cmd_serve(args: argparse.Namespace) -> int:
    from alembic.util import CommandError
    from sqlalchemy.exc import OperationalError

    from app.advice.knowledge import KnowledgeError
    from app.core.config import get_settings
    from app.core.db import make_engine
    from app.migrations import SchemaError, current_revision, head_revision

    workers = (
        args.workers
        if args.workers is not None
        else default_workers(get_settings().web_concurrency)
    )
    if workers < 1:
        print("error: the number of workers must be at least 1", file=sys.stderr)
        return 2
    cpus = usable_cpus()
    if workers > MAX_WORKERS_PER_CPU * cpus:
        print(
            f"error: {workers} workers is more than {MAX_WORKERS_PER_CPU * cpus} "
            f"({MAX_WORKERS_PER_CPU} for each of the {cpus} CPUs this process may use): "
            "they would only compete for the CPUs, each holding the catalogue",
            file=sys.stderr,
        )
        return 2
    # PREPARE_DATABASE=false: another process (e.g. a one-shot `db upgrade --seed` before
    # several servers start) prepares the database; this one only checks its revision.
    prepare = get_settings().prepare_database
    # The workers only serve: migrating and seeding happen once, here, before any starts
    # (two workers seeding an empty database at once would each add the catalogue).
    os.environ["PREPARE_DATABASE"] = "false"
    get_settings.cache_clear()
    settings = get_settings()
    try:
        from app.main import app, prepare_database
    except KnowledgeError as exc:
        print(f"error: the rules are invalid: {exc}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        if prepare:
            prepare_database(engine, settings)
        else:
            with engine.connect() as conn:
                current = current_revision(conn)
            if current != head_revision():
                print(
                    f"error: {where}: revision {current or 'none'}, this code needs "
                    f"{head_revision()} (run `python -m app db upgrade --seed` first)",
                    file=sys.stderr,
                )
                return 1
    except (SchemaError, OperationalError, CommandError) as exc:
        print(f"error: {where}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if workers == 1:
        import uvicorn

        # No uvicorn access log: it prints the query string, which may carry intake answers.
        # app.core.access_log logs each request with an allow-list of fields instead.
        uvicorn.run(app, host=args.host, port=args.port, workers=1, access_log=False)
        return 0
    from app.server import serve_workers

    return serve_workers(app, host=args.host, port=args.port, workers=workers)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Alembic narrates its set-up at INFO; app.migrations logs the one line that matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m app", description="Eenzaamheidswijzer")
    sub = parser.add_subparsers(dest="command", required=True)

    ini = sub.add_parser("initiatives", help="import or export the catalogue (CSV)")
    ini_sub = ini.add_subparsers(dest="action", required=True)
    imp = ini_sub.add_parser("import", help="import a CSV file (all or nothing)")
    imp.add_argument("file")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="archive (never delete) the initiatives that are not in the file",
    )
    imp.set_defaults(func=_cmd_import)
    exp = ini_sub.add_parser("export", help="export the catalogue to a CSV file ('-' = stdout)")
    exp.add_argument("file")
    exp.add_argument(
        "--format",
        choices=("csv", "hsds-json", "hsds-zip"),
        default="csv",
        help="csv: the exchange format (default); hsds-json: Open Referral HSDS 3.0 services "
        "as JSON; hsds-zip: HSDS 3.0 as a CSV data package in a zip",
    )
    exp.set_defaults(func=_cmd_export)

    db = sub.add_parser(
        "db",
        help="database schema migrations (DATABASE_URL)",
        description="Schema migrations (Alembic, app/migrations). `serve` and the "
        "initiatives commands upgrade the database themselves when they start.",
    )
    db_sub = db.add_subparsers(dest="action", required=True)
    up = db_sub.add_parser(
        "upgrade",
        help="upgrade the database to the newest revision (creates an empty one; "
        "stamps one made before migrations first)",
    )
    up.add_argument(
        "--seed",
        action="store_true",
        help="then fill an empty catalogue with the shipped one (CATALOGUE_CSV), as `serve` "
        "does; a filled catalogue is left alone",
    )
    up.set_defaults(func=_cmd_db_upgrade)
    cur = db_sub.add_parser("current", help="show the database's revision and the newest one")
    cur.set_defaults(func=_cmd_db_current)

    from app.auth.cli import add_user_commands

    add_user_commands(sub)

    srv = sub.add_parser("serve", help="serve the web application")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default: WEB_CONCURRENCY, else one per CPU)",
    )
    srv.set_defaults(func=_cmd_serve)

    args = parser.parse_args(argv)
    from app.core.config import SettingsError, get_settings
    from app.core.db import DatabaseURLError, check_database

    # Every command needs the settings and the database: a variable the app cannot use, or
    # a wrong DATABASE_URL, is one line, not a traceback.
    try:
        check_database(get_settings().database_url)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DatabaseURLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
