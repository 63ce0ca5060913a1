"""Command-line verbs. Each is a thin ``main(argv)`` over library functions.

``classify`` prints one JSON verdict per input page, in input order, the
same verdict the API returns; the project's evaluation runs through it, so
its input and output formats are stable:

* ``FILE.txt``   one text page, id = file name without extension;
* ``FILE.html``  one HTML page (bytes decoded with the page's charset);
* ``FILE.jsonl`` one request object per line (``{"id", "url", "text" | "html" | ...}``);
* any of them gzip-compressed, named with ``.gz`` after its own extension (``pages.jsonl.gz``);
* no files: standard input, read as JSONL when its first character is ``{``,
  otherwise as one text page (``--stdin-format`` overrides).

A JSONL line may carry fields of its own besides the request's, as a labelled
set's records do (``labels``, ``lang``, ...): they are ignored, and each such
field is named once on standard error. ``--strict-fields`` rejects them
instead, as the API does. The verdict is the API's for the request fields.

A page that cannot be classified prints ``{"id", "error": {...}}`` in its
place, as does a file that cannot be read (``unreadable_file``); the exit
status is then 1.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

from service.config import load_config
from service.errors import ApiError

EXIT_OK, EXIT_PAGE_ERRORS, EXIT_MODEL = 0, 1, 2


class _ExtraFields:
    """What to do with the fields of a JSONL line that are not request fields: drop them and name each once on
    standard error, or (``strict``) leave them for :func:`parse_page` to reject."""

    def __init__(self, strict: bool):
        from service.requests import FIELDS

        self.strict = strict
        self.fields = FIELDS
        self.named: set[str] = set()

    def request(self, obj):
        if self.strict or not isinstance(obj, dict):
            return obj
        extra = sorted(set(obj) - self.fields)
        new = [key for key in extra if key not in self.named]
        if new:
            self.named.update(new)
            print(f"note: ignoring field(s) {', '.join(map(repr, new))} (not request fields; "
                  f"--strict-fields rejects them)", file=sys.stderr)
        return {k: v for k, v in obj.items() if k in self.fields} if extra else obj


def _pages_from_jsonl(lines, name: str, max_bytes: int, extra: _ExtraFields) -> Iterator[tuple[str, object]]:
    """(id, request-or-error) for every non-blank line; a line without an id is ``name:line-number``."""
    from service.requests import parse_page

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fallback_id = f"{name}:{n}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield fallback_id, ApiError(400, "invalid_json", f"{name} line {n}: {exc}")
            continue
        if isinstance(obj, dict) and "id" not in obj:
            obj["id"] = fallback_id
        try:
            yield fallback_id, parse_page(extra.request(obj), max_bytes)
        except ApiError as exc:
            page_id = obj.get("id") if isinstance(obj, dict) else None
            yield (page_id if isinstance(page_id, str) else fallback_id), exc


def _pages_from_file(path: Path, max_bytes: int, extra: _ExtraFields) -> Iterator[tuple[str, object]]:
    """(id, request-or-error) for every page in one input file (gzip-compressed when it ends in ``.gz``)."""
    from service.requests import page_from_bytes

    compressed = path.suffix.lower() == ".gz"
    inner = Path(path.stem) if compressed else path  # pages.jsonl.gz: read as pages.jsonl
    suffix, stem = inner.suffix.lower(), inner.stem
    opener = gzip.open if compressed else open
    try:
        if suffix == ".jsonl":
            with opener(path, "rb") as fh:
                yield from _pages_from_jsonl(fh, stem, max_bytes, extra)
            return
        with opener(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)  # a compressed page is read no further than the limit
    except (OSError, EOFError, zlib.error) as exc:
        # missing, a directory, unreadable, not gzip or cut short: this file's error line, and the next file goes on
        why = getattr(exc, "strerror", None) or exc
        yield stem, ApiError(400, "unreadable_file", f"cannot read {str(path)!r}: {why}; name a readable .txt, "
                                                     ".html or .jsonl file (or one of them .gz)")
        return
    try:
        if len(raw) > max_bytes:
            raise ApiError(413, "page_too_large", f"{inner.name} is over {max_bytes} bytes, the limit")
        yield stem, page_from_bytes(raw, req_id=stem, as_html=suffix in {".html", ".htm", ".xhtml"})
    except ApiError as exc:
        yield stem, exc


def _pages_from_stdin(fmt: str, max_bytes: int, extra: _ExtraFields) -> Iterator[tuple[str, object]]:
    from service.requests import page_from_bytes

    data = sys.stdin.buffer.read()
    if fmt == "auto":
        fmt = "jsonl" if data.lstrip()[:1] == b"{" else "text"
    if fmt == "jsonl":
        yield from _pages_from_jsonl(data.splitlines(), "stdin", max_bytes, extra)
        return
    try:
        yield "stdin", page_from_bytes(data, req_id="stdin", as_html=fmt == "html")
    except ApiError as exc:
        yield "stdin", exc


def classify_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service classify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path,
                        help=".txt, .html or .jsonl files, or any of them .gz (default: stdin)")
    parser.add_argument("--stdin-format", choices=("auto", "jsonl", "text", "html"), default="auto")
    parser.add_argument("--model-dir", type=Path, help="directory with manifest.json (default: models/)")
    parser.add_argument("--strict-fields", action="store_true",
                        help="a JSONL line with a field the API does not know is an error (default: ignored)")
    args = parser.parse_args(argv)

    from service.classify import classify_page
    from service.model.registry import ModelLoadError, ModelRegistry

    overrides = {"model": {"dir": str(args.model_dir)}} if args.model_dir else None
    config = load_config(overrides)
    max_bytes = int(config.get("limits", "max_page_bytes"))
    try:
        loaded = ModelRegistry(config.path("model", "dir")).get()
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    extra = _ExtraFields(strict=args.strict_fields)
    sources = (page for path in args.files for page in _pages_from_file(path, max_bytes, extra)) if args.files \
        else _pages_from_stdin(args.stdin_format, max_bytes, extra)
    status = EXIT_OK
    out = sys.stdout
    for page_id, item in sources:
        if isinstance(item, ApiError):
            out.write(json.dumps({"id": page_id, **item.to_json()}, ensure_ascii=False) + "\n")
            status = EXIT_PAGE_ERRORS
            continue
        out.write(json.dumps(classify_page(item, loaded), ensure_ascii=False) + "\n")
        out.flush()
    return status


def serve_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service serve",
                                     description="Run the production server (gunicorn).")
    parser.add_argument("--host", help="bind address (default from config: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default from config: 8080)")
    parser.add_argument("--workers", type=int, help="worker processes (default from config)")
    args = parser.parse_args(argv)
    from service.server import run

    overrides = {"service": {k: v for k, v in (("host", args.host), ("port", args.port),
                                                ("workers", args.workers)) if v is not None}}
    return run(load_config(overrides))


def create_key_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service create-key",
                                     description="Create an API key and print it (shown only once).")
    parser.add_argument("--role", required=True, choices=("crawler", "moderator", "admin"))
    parser.add_argument("--name", default="", help="who or what the key is for")
    args = parser.parse_args(argv)
    from service.storage.db import configured_session
    from service.storage.keys import create_key

    with configured_session() as session:
        key = create_key(session, args.role, args.name)
    print(key)
    return EXIT_OK


def list_keys_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service list-keys",
                                     description="List the API keys: id, first characters, role, name, created, "
                                                 "whether revoked (the keys themselves are not stored).")
    parser.parse_args(argv)
    from service.storage.db import configured_session
    from service.storage.keys import list_keys

    with configured_session() as session:
        print("id\tprefix\trole\tcreated\tstatus\tname")
        for row in list_keys(session):
            print(f"{row.id}\t{row.prefix}\t{row.role}\t{row.created_at:%Y-%m-%d %H:%M}\t"
                  f"{'revoked' if row.revoked else 'active'}\t{row.name}")
    return EXIT_OK


def revoke_key_main(argv: list[str] | None = None) -> int:
    from service.auth import CACHE_SECONDS

    parser = argparse.ArgumentParser(prog="python -m service revoke-key",
                                     description="Revoke an API key, named by its id, its first characters "
                                                 f"(see list-keys) or the key itself. Running servers refuse it within "
                                                 f"{CACHE_SECONDS} s (each worker caches a key's role that long).")
    parser.add_argument("key", help="the key's id or its first characters, as list-keys shows them, or the key")
    args = parser.parse_args(argv)
    from service.storage.db import configured_session
    from service.storage.keys import revoke_key

    try:
        with configured_session() as session:
            row = revoke_key(session, args.key)
            print(f"revoked key {row.id} ({row.prefix}…, {row.role}{', ' + row.name if row.name else ''}); "
                  f"running servers refuse it within {CACHE_SECONDS} s")
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return EXIT_PAGE_ERRORS
    return EXIT_OK
