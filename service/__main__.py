"""``python -m service <verb>``: classify, serve, healthcheck, bench; create-key, list-keys, revoke-key; create-moderator,
list-moderators, disable-moderator, enable-moderator (see each verb's --help)."""

from __future__ import annotations

import sys

VERBS = {
    "classify": "service.cli:classify_main",
    "serve": "service.cli:serve_main",
    "healthcheck": "service.healthcheck:main",
    "create-key": "service.cli:create_key_main",
    "list-keys": "service.cli:list_keys_main",
    "revoke-key": "service.cli:revoke_key_main",
    "bench": "service.bench:main",
    "create-moderator": "service.review.cli:create_moderator_main",
    "list-moderators": "service.review.cli:list_moderators_main",
    "disable-moderator": "service.review.cli:disable_moderator_main",
    "enable-moderator": "service.review.cli:enable_moderator_main",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in VERBS:
        if argv and argv[0] not in {"-h", "--help"}:
            print(f"error: unknown verb {argv[0]!r}", file=sys.stderr)
        print("usage: python -m service {" + ",".join(VERBS) + "} [options]", file=sys.stderr)
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    module, func = VERBS[argv[0]].split(":")
    import importlib

    from service.config import ConfigError
    from service.errors import DatabaseUnreachable

    try:
        return getattr(importlib.import_module(module), func)(argv[1:])
    except ConfigError as exc:  # a PAGESIEVE_* variable or setting of the wrong type or range, or a bad config file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnreachable as exc:  # a key or moderator command with the database down
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
