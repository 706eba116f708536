"""`python -m app users create|list|reset-password`: curator accounts on the command line.

The first admin is made here; later users can be added under /beheer/gebruikers. Passwords
are asked twice without echo, or read as one line from standard input (--password-stdin)
for scripts; they are never taken as an argument, which would leave them in the shell's
history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlmodel import Session

from app.auth.passwords import MAX_LENGTH, MIN_LENGTH


def _read_password(from_stdin: bool) -> str | None:
    """The new password, or None after printing why there is none."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass("New password: ")
            again = getpass.getpass("Repeat the password: ")
        except (EOFError, KeyboardInterrupt):
            print("\nerror: no password given", file=sys.stderr)
            return None
        if password != again:
            print("error: the two passwords differ", file=sys.stderr)
            return None
    if len(password) < MIN_LENGTH:
        print(f"error: the password needs at least {MIN_LENGTH} characters", file=sys.stderr)
        return None
    if len(password) > MAX_LENGTH:
        print(f"error: the password may have at most {MAX_LENGTH} characters", file=sys.stderr)
        return None
    return password


def _session() -> Session:
    from app.core.config import get_settings
    from app.core.db import init_db, make_engine

    engine = make_engine(get_settings().database_url)
    init_db(engine)
    return Session(engine)


def _cmd_create(args: argparse.Namespace) -> int:
    from app.auth.models import Role
    from app.auth.service import AccountError, create_user, find_user

    with _session() as session:
        # Checked before asking for a password, so nobody types one for nothing.
        if find_user(session, args.email) is not None:
            print(
                f"error: a user with e-mail {args.email.strip().lower()} exists already",
                file=sys.stderr,
            )
            return 1
        password = _read_password(args.password_stdin)
        if password is None:
            return 1
        role = Role.ADMIN if args.admin else Role.CURATOR
        try:
            user = create_user(
                session,
                email=args.email,
                password=password,
                role=role,
                display_name=args.name or "",
            )
        except AccountError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"created {user.role} {user.email} (id {user.id})")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from app.auth.service import list_users

    with _session() as session:
        users = list_users(session)
        if not users:
            print("no users yet: `python -m app users create --admin --email ...` makes one")
        for user in users:
            state = "active" if user.active else "deactivated"
            locked = " locked" if user.locked_until is not None else ""
            name = f" ({user.display_name})" if user.display_name else ""
            print(f"{user.id}\t{user.email}{name}\t{user.role}\t{state}{locked}")
    return 0


def _cmd_reset(args: argparse.Namespace) -> int:
    from app.auth.service import find_user, set_password

    with _session() as session:
        user = find_user(session, args.email)
        if user is None:
            print(f"error: no user with e-mail {args.email.strip().lower()}", file=sys.stderr)
            return 1
        password = _read_password(args.password_stdin)
        if password is None:
            return 1
        set_password(session, user, password, by=None, action="password_reset")
        print(f"new password set for {user.email}; their sessions have ended")
    return 0


def add_user_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `users` command group to the program's subcommands."""
    users = sub.add_parser("users", help="curator accounts for /beheer")
    users_sub = users.add_subparsers(dest="action", required=True)

    def with_password(parser: argparse.ArgumentParser, func: Callable[..., int]) -> None:
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password as one line from standard input instead of asking twice",
        )
        parser.set_defaults(func=func)

    create = users_sub.add_parser("create", help="add a user (the first one with --admin)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", help="the name shown in the audit log")
    create.add_argument("--admin", action="store_true", help="may also manage the users")
    with_password(create, _cmd_create)
    listing = users_sub.add_parser("list", help="list the users")
    listing.set_defaults(func=_cmd_list)
    reset = users_sub.add_parser(
        "reset-password", help="give a user a new password (ends their sessions, lifts a lock)"
    )
    reset.add_argument("--email", required=True)
    with_password(reset, _cmd_reset)
