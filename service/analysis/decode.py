"""Turn raw page bytes into text with the declared or detected charset.

Chinese pages are often GBK, GB2312, GB18030 or Big5, declared in a BOM, a ``<meta>``
or the XML declaration of an XHTML page, or not at all. GB2312 and GBK labels
are decoded as GB18030 (a strict superset) so that characters outside the
declared set do not fail. Bytes that no charset explains raise
:class:`UndecodableError` instead of silently turning into mojibake.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

# Labels that name a subset of a wider, compatible encoding.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
              "big5": "big5hkscs", "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252",
              "latin-1": "cp1252", "iso8859-1": "cp1252"}  # the last: Python's name for latin1, l1, iso_8859_1 ...
# What HTTP/1.1 made the default for text/* (and Python's requests still reports for a Content-Type without a
# charset): a label that servers and clients give without looking at the page. A Chinese page so labelled is
# GBK far more often than Latin-1, and read as Latin-1 it turns into mojibake without an error.
_WEAK_LABELS = {"cp1252"}
# Encodings whose multi-byte sequences are not Latin text: detection naming one of them outranks a weak label.
_MULTIBYTE = {"gb18030", "big5hkscs", "big5", "cp950", "euc_jp", "shift_jis", "cp932", "euc_kr", "cp949",
              "iso2022_jp", "hz"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.IGNORECASE)
# An XHTML page's XML declaration names its encoding (`<?xml version="1.0" encoding="gb2312"?>`), often instead of a meta.
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*["']([a-zA-Z0-9_\-]+)""", re.IGNORECASE)
_MAX_BAD_SHARE = 0.01  # replacement characters tolerated when forcing a declared charset
# A page saved again as UTF-8 keeps the <meta charset=gb2312> it was written with (4 of the 66 GNE news pages;
# archives and crawlers that transcode do it), and GB18030 decodes UTF-8 bytes without an error, as mojibake.
# Bytes that are valid UTF-8 with at least this many characters beyond ASCII are UTF-8 whatever the meta says:
# GBK or Big5 text of that many characters is not valid UTF-8 by chance.
UTF8_EVIDENCE_CHARS = 10


class UndecodableError(ValueError):
    """The bytes are not text in any charset we can identify."""


def _canonical(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it ("utf-8\x00")
        return None
    return _SUPERSETS.get(label, _SUPERSETS.get(name, name))


def _try(raw: bytes, charset: str) -> str | None:
    # UnicodeError, not only UnicodeDecodeError: some codecs (punycode, idna) fail without a
    # position, and then fail with errors="replace" too.
    try:
        text = raw.decode(charset)
    except (UnicodeError, LookupError):
        try:
            text = raw.decode(charset, errors="replace")
        except (UnicodeError, LookupError):
            return None
        if text.count("\ufffd") > max(1, len(text) * _MAX_BAD_SHARE):
            return None
    return None if charset in _PUA_TELLS and _private_use_share(text) > MAX_PRIVATE_USE_SHARE else text


# GB18030 and Big5-HKSCS map byte pairs no text uses to private-use characters: Big5 bytes read as GB18030 (a page
# whose <meta> says gbk, a Big5 page labelled gbk by its server) decode without an error, a fifth of their Chinese
# characters private-use, where real text has next to none.
_PUA_TELLS = {"gb18030", "big5hkscs"}
MAX_PRIVATE_USE_SHARE = 0.02  # of the characters beyond ASCII
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _private_use_share(text: str) -> float:
    found = len(_PRIVATE_USE.findall(text))
    if found < 3:
        return 0.0
    return found / max(1, len(text) - len(text.encode("ascii", "ignore")))


def sniff_declared_charset(raw: bytes, markup: bool = True) -> str | None:
    """The charset a page declares in a BOM, or (for ``markup``) a ``<meta>`` tag in its first 4 KB, or else the
    XML declaration that opens it. A meta or declaration that names UTF-16 or UTF-32 names UTF-8, as browsers
    read it (bytes in those encodings could not have spelled the ASCII tag)."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not markup:  # plain text that mentions a <meta charset> declares nothing
        return None
    match = _META_CHARSET.search(raw[:4096]) or _XML_ENCODING.search(raw[:300])
    if not match:
        return None
    label = match.group(1).decode("ascii", "ignore")
    return "utf-8" if label.lower().replace("_", "-").startswith(("utf-16", "utf-32", "utf16", "utf32")) else label


def _is_utf8_text(raw: bytes) -> bool:
    """Whether ``raw`` is valid UTF-8 with at least :data:`UTF8_EVIDENCE_CHARS` characters beyond ASCII."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(text) - len(text.encode("ascii", "ignore")) >= UTF8_EVIDENCE_CHARS


def decode_bytes(raw: bytes, declared: str | None = None, markup: bool = True) -> tuple[str, str]:
    """Decode page bytes; return ``(text, charset_used)``.

    Tries, in order: the caller's declared charset, the page's own BOM or
    (for ``markup``, HTML) meta charset (unless the bytes are plainly UTF-8:
    ``UTF8_EVIDENCE_CHARS``), strict UTF-8, then statistical detection. A
    Latin-1 or windows-1252 label, the caller's or the page's own (the HTTP
    default, often sent or written for pages that are nothing of the kind,
    and a charset that decodes any bytes without an error), comes last
    instead: after the other declaration, UTF-8, and a detection that finds
    a multi-byte East Asian encoding.
    """
    if not raw:
        return "", "utf-8"
    own = sniff_declared_charset(raw, markup)
    if own and not own.lower().startswith("utf") and _is_utf8_text(raw):
        own = "utf-8"  # see UTF8_EVIDENCE_CHARS
    weak = any(_canonical(label) in _WEAK_LABELS for label in (declared, own))
    tried: list[str] = []
    for label in (declared, own, "utf-8"):
        charset = _canonical(label)
        if charset and charset not in tried and charset not in _WEAK_LABELS:
            tried.append(charset)
            text = _try(raw, charset)
            if text is not None:
                return text.lstrip("\ufeff"), charset
    best = from_bytes(raw).best()
    if best is not None and best.encoding:
        charset = _SUPERSETS.get(best.encoding, best.encoding)
        if not weak or charset in _MULTIBYTE:
            text = _try(raw, charset)
            if text is not None and _looks_like_text(text):
                return text, charset
    if weak:
        return raw.decode("cp1252", errors="replace"), "cp1252"
    raise UndecodableError(
        "could not decode the page bytes"
        + (f" as {declared!r}" if declared else "")
        + "; send UTF-8, or name the page's charset in 'charset'"
    )


def _looks_like_text(text: str) -> bool:
    """Reject decodings that are mostly control characters (binary data)."""
    if not text:
        return True
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls <= len(text[:20000]) * 0.02
