"""Validate one page request (API body, batch entry, CLI JSONL line).

A page is ``{"url", "html" | "html_base64" | "text", "id"?, "charset"?,
"content_type"?}``. ``html_base64`` carries the raw bytes of a page in any
charset (GBK, GB18030, Big5 …): they are decoded with ``charset``, the
charset in ``content_type``, the page's own ``<meta>``, or detection.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.analysis.decode import UndecodableError, decode_bytes
from service.errors import ApiError

FIELDS = {"id", "url", "html", "html_base64", "text", "charset", "content_type"}
CONTENT_FIELDS = ("html", "html_base64", "text")
PAGE_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml"}
MAX_URL_CHARS = 4096
MAX_ID_CHARS = 200
_CHARSET_PARAM = re.compile(r"charset\s*=\s*\"?([\w\-.:]+)", re.IGNORECASE)


@dataclass
class PageRequest:
    id: str
    url: str
    text: str | None = None  # plain text input
    html: str | None = None  # decoded HTML input
    charset: str | None = None  # charset the HTML bytes were decoded with


def charset_from_content_type(content_type: str | None) -> str | None:
    match = _CHARSET_PARAM.search(content_type or "")
    return match.group(1) if match else None


def _string(obj: dict, name: str, limit: int | None = None) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", f"'{name}' must be a string, got {type(value).__name__}", name)
    if limit is not None and len(value) > limit:
        raise ApiError(400, "invalid_field", f"'{name}' is longer than {limit} characters", name)
    _reject_surrogates(value, name)
    return value


def page_id(url: str, content: str) -> str:
    """Stable id for a page the client did not name: same url and content, same id."""
    return "p_" + hashlib.sha256((url + "\x00" + content).encode("utf-8", "surrogatepass")).hexdigest()[:20]


def parse_page(obj, max_page_bytes: int) -> PageRequest:
    """Validate one page object; raise :class:`ApiError` naming the problem."""
    if not isinstance(obj, dict):
        raise ApiError(400, "invalid_page", f"a page must be a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - FIELDS)
    if unknown:
        raise ApiError(400, "unknown_field", f"unknown field(s) {', '.join(map(repr, unknown))}; "
                       f"allowed: {', '.join(sorted(FIELDS))}", unknown[0])
    # the page's metadata first, so that every wrong field is named, even on a page without content
    url = check_url(_string(obj, "url", MAX_URL_CHARS) or "")
    req_id = _string(obj, "id", MAX_ID_CHARS)
    charset = _string(obj, "charset", 40)
    content_type = _string(obj, "content_type", 200)
    mime = None
    if content_type:
        mime = content_type.split(";")[0].strip().lower()
        if mime not in PAGE_TYPES:
            raise ApiError(415, "unsupported_page_type", f"content_type {mime!r} is not a page type; "
                           f"use one of {', '.join(sorted(PAGE_TYPES))}", "content_type")
        charset = charset or charset_from_content_type(content_type)
    present = [name for name in CONTENT_FIELDS if obj.get(name) is not None]
    if not present:
        raise ApiError(400, "missing_content", "send the page as 'html', 'html_base64' or 'text'")
    if len(present) > 1:
        raise ApiError(400, "ambiguous_content", f"send only one of 'html', 'html_base64', 'text' (got {present})")
    field = present[0]
    value = _string(obj, field)  # unpaired surrogates are rejected here, before the size is computed
    if field == "html_base64":
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "invalid_base64", "'html_base64' is not valid base64", field) from None
        if len(raw) > max_page_bytes:
            raise _too_large(field, len(raw), max_page_bytes)
        # bytes declared text/plain are text, as when sent raw: "a<b" in them opens no tag
        return page_from_bytes(raw, url=url, req_id=req_id, charset=charset, as_html=mime != "text/plain")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > max_page_bytes:
        raise _too_large(field, size, max_page_bytes)
    req = PageRequest(id=req_id or page_id(url, value), url=url)
    if field == "html":
        req.html = value
    else:
        req.text = value
    return req


def check_page_names(url: str | None, req_id: str | None) -> None:
    """The limits a JSON page's ``url`` and ``id`` have, for a page whose names come another way (raw bytes'
    query parameters): a 1,000-character id was taken there, where JSON refuses one over 200."""
    names = {"url": url, "id": req_id}
    _string(names, "url", MAX_URL_CHARS)
    _string(names, "id", MAX_ID_CHARS)


def page_from_bytes(raw: bytes, *, url: str = "", req_id: str | None = None, charset: str | None = None,
                    as_html: bool = True) -> PageRequest:
    """A page given as raw bytes: decode with the declared or detected charset (a label no codec has, such
    as MySQL's ``utf8mb4``, is read as if none were named; the verdict's ``charset`` says what was used)."""
    url = check_url(url)
    try:
        text, used = decode_bytes(raw, charset, markup=as_html)
    except UndecodableError as exc:
        raise ApiError(422, "undecodable", str(exc), "charset") from None
    req = PageRequest(id=req_id or page_id(url, text), url=url, charset=used)
    if as_html:
        req.html = text
    else:
        req.text = text
    return req


def check_url(url: str) -> str:
    """The page's URL, if it parses: the service never fetches it, but reads its host and path."""
    try:
        urlsplit(url)
    except ValueError as exc:
        raise ApiError(400, "invalid_url", f"'url' is not a valid URL ({exc})", "url") from None
    return url


LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # in a str from JSON, only unpaired: "\\ud800" escaped


def _reject_surrogates(value: str, field: str) -> None:
    if LONE_SURROGATE.search(value):
        raise ApiError(400, "invalid_text", f"'{field}' contains unpaired surrogate code points; send valid Unicode",
                       field)


def _too_large(field: str, size: int, limit: int) -> ApiError:
    return ApiError(413, "page_too_large", f"'{field}' is {size} bytes; the limit is {limit} bytes per page", field)
