"""``POST /v1/classify`` and ``POST /v1/classify/batch``."""

from __future__ import annotations

import re
import time
import zlib

from flask import Blueprint, current_app, g, jsonify, request

from service.auth import require
from service.classify import classify_page
from service.errors import ApiError, printable
from service.metrics import observe_classify
from service.requests import (LONE_SURROGATE, PAGE_TYPES, charset_from_content_type, check_page_names,
                              page_from_bytes, parse_page)

bp = Blueprint("classify", __name__)


def _settings():
    return current_app.extensions["pagesieve"]


CONTENT_ENCODINGS = ("gzip", "x-gzip", "deflate")
RAW_BYTES_PARAMETERS = ("url", "id")  # classify's query parameters, for a page sent as raw bytes


def request_body() -> bytes:
    """The request body, decoded when it was sent with ``Content-Encoding: gzip`` or ``deflate`` (a crawler's
    pages compress several times over); any other coding is a 415.

    The body limit (``limits.max_body_bytes``) applies to the compressed bytes as they arrive and again to
    what they decode to, so a small compressed bomb costs no more than an uncompressed body: past the limit,
    decoding stops and the answer is a 413.
    """
    raw = request.get_data(cache=True)
    codings = [c.strip().lower() for c in (request.headers.get("Content-Encoding") or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return raw
    if len(codings) > 1 or codings[0] not in CONTENT_ENCODINGS:
        raise ApiError(415, "unsupported_content_encoding", f"Content-Encoding {', '.join(codings)!r} is not "
                       "supported; send the body as it is, or with Content-Encoding gzip or deflate")
    return _decompressed(raw, codings[0], current_app.config["MAX_CONTENT_LENGTH"])


def _decompressed(raw: bytes, coding: str, limit: int) -> bytes:
    """``raw`` decoded from gzip (every member of a multi-member file) or deflate (the zlib format, RFC 9110),
    at most ``limit`` bytes of it (a 413 past that)."""
    wbits = 16 + zlib.MAX_WBITS if "gzip" in coding else zlib.MAX_WBITS
    out, rest = bytearray(), raw
    while True:
        decoder = zlib.decompressobj(wbits)
        try:
            out += decoder.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise ApiError(400, "invalid_encoding", f"the body is not valid {coding} data ({exc})") from None
        if len(out) > limit or decoder.unconsumed_tail:
            raise ApiError(413, "body_too_large", f"the {coding} body decodes to more than {limit} bytes")
        if not decoder.eof:
            raise ApiError(400, "invalid_encoding", f"the {coding} body ends before its data does (truncated)")
        rest = decoder.unused_data
        if not rest or coding == "deflate":
            if rest:
                raise ApiError(400, "invalid_encoding", "bytes follow the end of the deflate data")
            return bytes(out)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _unpaired_surrogate_at(value, path: str = "") -> str | None:
    """Where in a parsed JSON value a string holds an unpaired surrogate (``\\ud800`` escaped in JSON):
    ``'note'``, ``'pages[2].text'``, ``''`` for the body itself; ``None`` when none does."""
    stack = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return path
        elif isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in value.items())
            stack.extend((k, path) for k in value if isinstance(k, str))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
    return None


def json_body(fields_checked: bool = False):
    """The request's JSON body, or a 4xx saying what is wrong with it.

    A string holding an unpaired surrogate (JSON allows ``"\\ud800"``; no UTF-8 can store or
    return it) is refused here, unless the caller checks its fields itself (``fields_checked``:
    classify refuses the field, a batch the one page)."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       f"send JSON with 'Content-Type: application/json' (got {request.mimetype or 'none'!r})")
    raw = request_body()
    if not raw.strip():
        raise ApiError(400, "empty_body", "the request body is empty; send a JSON object")
    try:
        import json

        body = json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "the JSON body is not UTF-8") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's advice (sys.set_int_max_str_digits) is not the client's
            raise ApiError(400, "invalid_json", "a number in the JSON body has over 4,300 digits") from None
        raise ApiError(400, "invalid_json", f"malformed JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the JSON body is nested too deeply") from None
    if not fields_checked and (_SURROGATE_ESCAPE.search(raw) or b"\x00" in raw[:4]):  # UTF-16 or -32 JSON too
        where = _unpaired_surrogate_at(body)
        if where is not None:
            raise ApiError(400, "invalid_text", f"{repr(where) if where else 'the body'} contains unpaired surrogate "
                           "code points (such as \\ud800); send valid Unicode", where or None)
    return body


def _serve(page_request) -> dict:
    settings = _settings()
    loaded = settings.registry.get_or_503()
    verdict = _timed_classify(page_request, loaded)
    settings.after_classify(verdict, page_request)
    return verdict


def _timed_classify(page_request, loaded) -> dict:
    """classify_page, with its time recorded in the classify latency histogram (/metrics)."""
    started = time.perf_counter()
    verdict = classify_page(page_request, loaded)
    observe_classify(time.perf_counter() - started)
    return verdict


@bp.post("/v1/classify")
@require("classify")
def classify():
    """Classify one page: JSON body, or the raw page bytes with a text/html or text/plain type."""
    started = time.perf_counter()
    settings = _settings()
    if request.mimetype in PAGE_TYPES:
        for name in RAW_BYTES_PARAMETERS:  # ?id=a&id=b took the first and dropped the other without a word
            if len(request.args.getlist(name)) > 1:
                raise ApiError(400, "invalid_parameter", f"query parameter {name!r} is given "
                               f"{len(request.args.getlist(name))} times; give it once", name)
        raw = request_body()
        if len(raw) > settings.max_page_bytes:
            raise ApiError(413, "page_too_large", f"the page is {len(raw)} bytes; the limit is "
                           f"{settings.max_page_bytes} bytes")
        check_page_names(request.args.get("url"), request.args.get("id"))
        page = page_from_bytes(raw, url=request.args.get("url", ""), req_id=request.args.get("id"),
                               charset=charset_from_content_type(request.headers.get("Content-Type")),
                               as_html=request.mimetype != "text/plain")
    else:
        body = json_body(fields_checked=True)
        if request.args:  # the query parameters name raw bytes; a JSON page names itself
            name = sorted(request.args)[0]
            what = f"query parameter {name!r} goes with raw page bytes (text/html or text/plain)" \
                if name in RAW_BYTES_PARAMETERS else f"unknown query parameter {name!r}"
            raise ApiError(400, "unknown_parameter", f"{what}; with a JSON body classify takes no query parameters: "
                           "send 'url' and 'id' in the body", name)
        page = parse_page(body, settings.max_page_bytes)
    verdict = _serve(page)
    response = jsonify(verdict)
    response.headers["X-Elapsed-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
    return response


@bp.post("/v1/classify/batch")
@require("classify")
def classify_batch():
    """Classify up to ``limits.max_batch`` pages; one result per page, in order."""
    settings = _settings()
    body = json_body(fields_checked=True)
    pages = body.get("pages") if isinstance(body, dict) else body
    if isinstance(body, dict):
        extra = sorted(set(body) - {"pages"})
        if extra:
            raise ApiError(400, "unknown_field", f"unknown field(s) {', '.join(map(repr, extra))}; send "
                           "{\"pages\": [...]}", extra[0])
    if not isinstance(pages, list):
        raise ApiError(400, "invalid_batch", "send {\"pages\": [page, ...]}")
    if not pages:
        raise ApiError(400, "empty_batch", "'pages' is empty; send at least one page")
    if len(pages) > settings.max_batch:
        raise ApiError(413, "batch_too_long", f"{len(pages)} pages in one batch; the limit is {settings.max_batch}"
                       " (split the batch)")
    results = []
    loaded = settings.registry.get_or_503()
    for index, obj in enumerate(pages):
        try:
            page = parse_page(obj, settings.max_page_bytes)
            verdict = _timed_classify(page, loaded)
            settings.after_classify(verdict, page)
            results.append(verdict)
        except ApiError as exc:
            entry = {"index": index, "status": exc.status, **exc.to_json()}
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                entry["id"] = printable(obj["id"])
            results.append(entry)
    g.batch_size = len(pages)
    return jsonify({"results": results, "model_version": loaded.version})
