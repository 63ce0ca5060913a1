"""Moderator accounts (logins for /review) from the command line.

``python -m service create-moderator NAME``: the password comes from standard
input. On a terminal it is asked twice without echo; piped, the first line is
the password (``printf '%s\\n' "$PW" | python -m service create-moderator alice``).
Empty passwords are refused. ``--reset`` changes an existing account's
password, which ends the sessions made with the old one.

``list-moderators``, ``disable-moderator NAME`` (its sessions end at their next
request and it cannot log in), ``enable-moderator NAME``.
"""

from __future__ import annotations

import argparse
import getpass
import sys


def read_password(stream=None) -> str:
    stream = stream or sys.stdin
    if stream.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise ValueError("the passwords differ")
    else:
        first = stream.readline().rstrip("\r\n")
    if any("\udc80" <= ch <= "\udcff" for ch in first):  # bytes that were not text in the terminal's encoding
        raise ValueError("the password is not valid text in this terminal's encoding (UTF-8 expected)")
    return first


def create_moderator_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service create-moderator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="login name: letters, digits, '.', '_' or '-'")
    parser.add_argument("--reset", action="store_true", help="change the password of an existing account")
    args = parser.parse_args(argv)
    from service.review.accounts import set_password
    from service.storage.db import configured_session

    try:
        password = read_password()
        with configured_session() as session:
            set_password(session, args.name, password, create=not args.reset)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"moderator {args.name} {'updated' if args.reset else 'created'}; log in at /review")
    return 0


def list_moderators_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service list-moderators",
                                     description="List the moderator accounts: name, created, active or disabled.")
    parser.parse_args(argv)
    from service.review.accounts import list_moderators
    from service.storage.db import configured_session

    with configured_session() as session:
        print("name\tcreated\tstatus")
        for row in list_moderators(session):
            print(f"{row.username}\t{row.created_at:%Y-%m-%d %H:%M}\t{'active' if row.active else 'disabled'}")
    return 0


def _set_active_main(argv: list[str] | None, active: bool) -> int:
    verb = "enable-moderator" if active else "disable-moderator"
    parser = argparse.ArgumentParser(prog=f"python -m service {verb}", description=(
        "Enable a disabled moderator account again." if active else
        "Disable a moderator account: it cannot log in, and its open sessions end at their next request."))
    parser.add_argument("name")
    args = parser.parse_args(argv)
    from service.review.accounts import set_active
    from service.storage.db import configured_session

    try:
        with configured_session() as session:
            set_active(session, args.name, active)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"moderator {args.name} {'enabled' if active else 'disabled'}")
    return 0


def disable_moderator_main(argv: list[str] | None = None) -> int:
    return _set_active_main(argv, active=False)


def enable_moderator_main(argv: list[str] | None = None) -> int:
    return _set_active_main(argv, active=True)
