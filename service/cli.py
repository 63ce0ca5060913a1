"""Command-line verbs. Each is a thin ``main(argv)`` over library functions.

``classify`` prints one JSON verdict per input page, in input order, the
same verdict the API returns; the project's evaluation runs through it, so
its input and output formats are stable:

* ``FILE.txt``   one text page, id = file name without extension (so is a file of any other extension);
* ``FILE.html``  one HTML page (bytes decoded with the page's charset; also ``.htm``, ``.xhtml``);
* ``FILE.jsonl`` one request object per line (``{"id", "url", "text" | "html" | ...}``; also ``.ndjson``);
  UTF-8, or UTF-16 with its byte-order mark;
* ``FILE.json``  one request object, or a JSON array of them (ids ``name:1``, ``name:2`` … where missing);
* any of them gzip-compressed, named with ``.gz`` after its own extension (``pages.jsonl.gz``);
* no files, or ``-``: standard input, read as JSONL when its first character is ``{``, as a JSON array
  when it is ``[``, otherwise as one text page (``--stdin-format`` overrides). A text or HTML page on
  standard input has the size limit a file has.

A JSONL line may carry fields of its own besides the request's, as a labelled
set's records do (``labels``, ``lang``, ...): they are ignored, and each such
field is named once on standard error. ``--strict-fields`` rejects them
instead, as the API does. The verdict is the API's for the request fields.

A page that cannot be classified prints ``{"id", "error": {...}}`` in its
place, as does a file that cannot be read (``unreadable_file``); the exit
status is then 1. A page that fails inside the service (a bug) prints an
``internal_error`` line in its place and its traceback on standard error,
the next pages go on, and the exit status is 3.
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import json
import os
import sys
import traceback
import zlib
from collections.abc import Iterator
from pathlib import Path

from service.config import load_config
from service.errors import ApiError, printable

EXIT_OK, EXIT_PAGE_ERRORS, EXIT_MODEL, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_USAGE = 2  # a bad argument, as argparse exits
JSONL_SUFFIXES, HTML_SUFFIXES = {".jsonl", ".ndjson"}, {".html", ".htm", ".xhtml"}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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


def _request_or_error(obj, fallback_id: str, max_bytes: int, extra: _ExtraFields) -> tuple[str, object]:
    """(id, request-or-error) for one request object: a JSONL line, or an element of a JSON file's array. An
    object without an id, or with ``"id": null``, is named ``fallback_id``."""
    from service.requests import parse_page

    if isinstance(obj, dict) and obj.get("id") is None:
        obj["id"] = fallback_id
    try:
        request = parse_page(extra.request(obj), max_bytes)
        return request.id, request
    except ApiError as exc:
        page_id = obj.get("id") if isinstance(obj, dict) else None
        return (page_id if isinstance(page_id, str) else fallback_id), exc


def _jsonl_lines(head: bytes, rest) -> Iterator[bytes]:
    """The lines of a JSONL stream whose first bytes are ``head``: UTF-8 as read, UTF-16 (by its byte-order
    mark; an editor on Windows saves it so) decoded whole and re-encoded, where splitting its bytes at
    ``\n`` cut characters in half."""
    if head.startswith(_UTF16_BOMS):
        yield from (head + b"".join(rest)).decode("utf-16").encode("utf-8").splitlines()
        return
    yield from (head + next(rest, b"")).splitlines(keepends=True)  # the first line in full, then the others
    yield from rest


def _pages_from_jsonl(lines, name: str, max_bytes: int, extra: _ExtraFields) -> Iterator[tuple[str, object]]:
    """(id, request-or-error) for every non-blank line; a line without an id is ``name:line-number``."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fallback_id = f"{name}:{n}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield fallback_id, ApiError(400, "invalid_json", f"{name} line {n}: {exc}")
            continue
        yield _request_or_error(obj, fallback_id, max_bytes, extra)


def _pages_from_json(data: bytes, name: str, max_bytes: int, extra: _ExtraFields) -> Iterator[tuple[str, object]]:
    """(id, request-or-error) for a JSON document: one request object, or an array of them (``name:index``)."""
    try:
        doc = json.loads(data)  # bytes: UTF-8, UTF-16 or UTF-32, with or without a byte-order mark
    except ValueError as exc:
        yield name, ApiError(400, "invalid_json", f"{name}: {exc}; a .json file holds one request object or an "
                                                  "array of them (or name it .jsonl: one object per line)")
        return
    if isinstance(doc, list):
        for i, obj in enumerate(doc, 1):
            yield _request_or_error(obj, f"{name}:{i}", max_bytes, extra)
    else:
        yield _request_or_error(doc, name, max_bytes, extra)


def _pages_from_file(path: Path, max_bytes: int, extra: _ExtraFields) -> Iterator[tuple[str, object]]:
    """(id, request-or-error) for every page in one input file (gzip-compressed when it ends in ``.gz``)."""
    compressed = path.suffix.lower() == ".gz"
    inner = Path(path.stem) if compressed else path  # pages.jsonl.gz: read as pages.jsonl
    suffix, stem = inner.suffix.lower(), printable(inner.stem)  # a file name not in UTF-8 has surrogates
    opener = gzip.open if compressed else open
    try:
        if suffix in JSONL_SUFFIXES:
            with opener(path, "rb") as fh:
                yield from _pages_from_jsonl(_jsonl_lines(fh.read(2), iter(fh)), stem, max_bytes, extra)
            return
        with opener(path, "rb") as fh:
            # a compressed page is read no further than the limit; a JSON file may hold as many pages as JSONL
            raw = fh.read() if suffix == ".json" else fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        # missing, a directory, unreadable, not gzip or cut short: this file's error line, and the next file goes on
        why = getattr(exc, "strerror", None) or exc
        yield stem, ApiError(400, "unreadable_file", f"cannot read {printable(str(path))!r}: {why}; name a readable "
                                                     ".txt, .html, .json or .jsonl file (or one of them .gz)")
        return
    if suffix == ".json":
        yield from _pages_from_json(raw, stem, max_bytes, extra)
        return
    yield _page_from_bytes(raw, stem, inner.name, max_bytes, as_html=suffix in HTML_SUFFIXES)


def _page_from_bytes(raw: bytes, page_id: str, name: str, max_bytes: int, *, as_html: bool) -> tuple[str, object]:
    from service.requests import page_from_bytes

    try:
        if len(raw) > max_bytes:
            raise ApiError(413, "page_too_large", f"{name} is over {max_bytes} bytes, the limit")
        return page_id, page_from_bytes(raw, req_id=page_id, as_html=as_html)
    except ApiError as exc:
        return page_id, exc


def _pages_from_stdin(fmt: str, max_bytes: int, extra: _ExtraFields) -> Iterator[tuple[str, object]]:
    data = sys.stdin.buffer.read()
    if fmt == "auto":
        first = data.decode("utf-16")[:1] if data.startswith(_UTF16_BOMS) else \
            data.removeprefix(codecs.BOM_UTF8).lstrip()[:1].decode("latin-1")
        fmt = {"{": "jsonl", "[": "json"}.get(first, "text")
    if fmt == "jsonl":
        yield from _pages_from_jsonl(_jsonl_lines(data[:2], iter([data[2:]])), "stdin", max_bytes, extra)
    elif fmt == "json":
        yield from _pages_from_json(data, "stdin", max_bytes, extra)
    else:
        yield _page_from_bytes(data, "stdin", "standard input", max_bytes, as_html=fmt == "html")


def classify_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service classify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path,
                        help=".txt, .html, .json or .jsonl files, or any of them .gz; - is stdin (default: stdin)")
    parser.add_argument("--stdin-format", choices=("auto", "jsonl", "json", "text", "html"), default="auto")
    parser.add_argument("--model-dir", type=Path, help="directory with manifest.json (default: models/)")
    parser.add_argument("--strict-fields", action="store_true",
                        help="a JSONL line with a field the API does not know is an error (default: ignored)")
    args = parser.parse_args(argv)

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
    if not args.files:
        args.files = [Path("-")]
    sources = (page for path in args.files for page in (
        _pages_from_stdin(args.stdin_format, max_bytes, extra) if str(path) == "-"
        else _pages_from_file(path, max_bytes, extra)))
    try:
        return _print_verdicts(sources, loaded)
    except BrokenPipeError:  # the reader went away (| head -1): stop without a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit fails no more
        return EXIT_PAGE_ERRORS


# Characters JSON leaves raw in strings that readers splitting on lines (Python's str.splitlines, JavaScript's
# line terminators) take for the end of a line: written escaped, so one verdict stays one line to them too.
_LINE_BREAKS_JSON_KEEPS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def json_line(obj) -> str:
    """``obj`` as one line of JSON: UTF-8 text as it is, but no character any reader takes for a line break."""
    return json.dumps(obj, ensure_ascii=False).translate(_LINE_BREAKS_JSON_KEEPS) + "\n"


def _error_line(page_id: str, error: ApiError) -> str:
    """The JSON line printed in place of a page's verdict (an id that is not Unicode printed escaped)."""
    return json_line({"id": printable(page_id), **error.to_json()})


def _print_verdicts(sources, loaded) -> int:
    """Write one JSON line per page, a verdict or an error, in order; the exit status."""
    from service.classify import classify_page

    status = EXIT_OK
    out = sys.stdout
    for page_id, item in sources:
        if isinstance(item, ApiError):
            out.write(_error_line(page_id, item))
            status = max(status, EXIT_PAGE_ERRORS)
            continue
        try:
            line = json_line(classify_page(item, loaded))
        except Exception:  # a bug: say so, in the page's place, and go on with the next pages
            traceback.print_exc()
            line, status = _error_line(page_id, ApiError(500, "internal_error", "the service failed on this page "
                                                         "(a bug; its traceback is on standard error)")), EXIT_INTERNAL
        out.write(line)
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

    try:
        with configured_session() as session:
            key = create_key(session, args.role, args.name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(key)
    return EXIT_OK


def _tsv_cell(text: str) -> str:
    """``text`` as one cell of a tab-separated line: a name stored before names were checked may hold a tab."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


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
                  f"{'revoked' if row.revoked else 'active'}\t{_tsv_cell(row.name)}")
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
