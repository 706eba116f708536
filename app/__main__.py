"""Command line: `python -m app initiatives import|export`, `python -m app serve`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sqlmodel import Session


def _cmd_import(args: argparse.Namespace) -> int:
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
    print(
        f"imported {path}: {result.created} added, {result.updated} updated"
        + (f", {result.deleted} removed first" if args.replace else "")
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from app.catalogue.csvio import export_initiatives
    from app.core.config import get_settings
    from app.core.db import init_db, make_engine

    engine = make_engine(get_settings().database_url)
    init_db(engine)
    with Session(engine) as session:
        if args.file == "-":
            n = export_initiatives(session, sys.stdout)
        else:
            with open(args.file, "w", encoding="utf-8", newline="") as fh:
                n = export_initiatives(session, fh)
    print(f"exported {n} initiatives to {args.file}", file=sys.stderr)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.advice.knowledge import KnowledgeError

    try:
        from app.main import app
    except KnowledgeError as exc:
        print(f"error: the rules are invalid: {exc}", file=sys.stderr)
        return 1
    # No access log: URLs may carry intake answers, which must never be logged.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m app", description="Eenzaamheidswijzer")
    sub = parser.add_subparsers(dest="command", required=True)

    ini = sub.add_parser("initiatives", help="import or export the catalogue (CSV)")
    ini_sub = ini.add_subparsers(dest="action", required=True)
    imp = ini_sub.add_parser("import", help="import a CSV file (all or nothing)")
    imp.add_argument("file")
    imp.add_argument("--replace", action="store_true", help="remove all initiatives first")
    imp.set_defaults(func=_cmd_import)
    exp = ini_sub.add_parser("export", help="export the catalogue to a CSV file ('-' = stdout)")
    exp.add_argument("file")
    exp.set_defaults(func=_cmd_export)

    srv = sub.add_parser("serve", help="serve the web application")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.set_defaults(func=_cmd_serve)

    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
