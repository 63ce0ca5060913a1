"""``python -m service create-moderator NAME``: a login for /review; the password comes from standard input.

On a terminal the password is asked twice without echo; piped, the first
line is the password (``printf '%s\\n' "$PW" | python -m service create-moderator alice``).
Empty passwords are refused. ``--reset`` changes an existing account's password.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from service.config import load_config


def read_password(stream=None) -> str:
    stream = stream or sys.stdin
    if stream.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise ValueError("the passwords differ")
        return first
    return stream.readline().rstrip("\r\n")


def create_moderator_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service create-moderator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="login name: letters, digits, '.', '_' or '-'")
    parser.add_argument("--reset", action="store_true", help="change the password of an existing account")
    args = parser.parse_args(argv)
    from service.review.accounts import set_password
    from service.storage.db import migrate, session_scope

    try:
        password = read_password()
        url = load_config().database_url()
        migrate(url)
        with session_scope(url) as session:
            set_password(session, args.name, password, create=not args.reset)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"moderator {args.name} {'updated' if args.reset else 'created'}; log in at /review")
    return 0
