"""Shared text processing: normalisation, script, language and segmentation.

Each helper is pure and cheap to call repeatedly; heavy resources (OpenCC
tables, the jieba dictionary, langdetect profiles) load lazily once per
process.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import unicodedata
from pathlib import Path

CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUNS = re.compile(CJK_RE.pattern + "+")
LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
_WS_RE = re.compile(r"\s+")


def _format_character_ranges() -> list[tuple[int, int]]:
    """The code point ranges of Unicode category Cf (80 ms, once per process)."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) == "Cf":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


def _character_class(ranges: list[tuple[int, int]]) -> re.Pattern:
    return re.compile("[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                                    for a, b in ranges) + "]")


# Invisible format characters: zero-width space and joiners, the soft hyphen, the word joiner, a BOM, direction
# marks, tag characters. "澳\u200b门\u200b赌\u200b场" shows as 澳门赌场 and reads so: spam split by them matched
# no lexicon term and no n-gram of its words. A page's text is without them (analysis.page.build_page drops them
# once, so the normal form of its blocks never meets one); a review search drops them from its query.
# Two classes, below and above U+FFFF (no range spans both): one class over both scans CJK text four times slower.
_FORMAT_RANGES = _format_character_ranges()
_FORMAT_BMP = _character_class([r for r in _FORMAT_RANGES if r[1] <= 0xFFFF])
_FORMAT_ASTRAL = _character_class([r for r in _FORMAT_RANGES if r[0] > 0xFFFF])


def has_format_characters(text: str) -> bool:
    """Whether ``text`` holds an invisible format character (``drop_format_characters`` is a no-op when it
    does not): a search, no copy of the text."""
    if text.isascii():
        return False
    return bool(_FORMAT_BMP.search(text) or (len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
                                              and _FORMAT_ASTRAL.search(text)))


def drop_format_characters(text: str) -> str:
    """``text`` without its invisible format characters (Unicode category Cf)."""
    if text.isascii():
        return text
    text = _FORMAT_BMP.sub("", text)
    if len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text):  # a character above U+FFFF
        text = _FORMAT_ASTRAL.sub("", text)
    return text


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC t2s); other text unchanged."""
    if not text or not CJK_RE.search(text):
        return text
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """Feature-side normal form: NFKC, simplified script, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    # the same as _WS_RE.sub(" ", text).strip(), about 3x faster: str.split and re's \s share one
    # definition of whitespace (tests/test_identical.py checks every code point)
    return " ".join(text.split()).lower()


def normalize_all(texts: list[str]) -> list[str]:
    """``[normalize(t) for t in texts]`` with one OpenCC call for all the texts, not one per text.

    A call costs more than the few characters of a page block. The texts that
    hold a CJK character (the ones :func:`to_simplified` converts) go to
    OpenCC joined by line breaks, and the result is cut at the same line
    breaks, which gives each text's own result: OpenCC matches no key across
    a line break and makes none (its dictionaries hold one entry per line),
    so the k-th line break of the result is the k-th of its input. Should the
    line breaks not add up (an assumption broken by a new library version),
    the texts are converted one by one. NFKC stays text by text: its quick
    check passes over a text already in normal form, which a whole page
    seldom is.
    """
    nfkc = [unicodedata.normalize("NFKC", t) for t in texts]
    cjk = [i for i, t in enumerate(nfkc) if CJK_RE.search(t)]
    if cjk:
        converted = _cut_lines(_t2s().convert("\n".join(nfkc[i] for i in cjk)), [nfkc[i].count("\n") for i in cjk])
        if converted is None:
            converted = [_t2s().convert(nfkc[i]) for i in cjk]
        for i, text in zip(cjk, converted):
            nfkc[i] = text
    return [" ".join(t.split()).lower() for t in nfkc]


def _cut_lines(text: str, breaks: list[int]) -> list[str] | None:
    """``text`` cut into parts holding ``breaks[i]`` line breaks each, one line break between two parts;
    ``None`` if its line breaks do not add up to that."""
    lines = text.split("\n")
    if len(lines) != sum(breaks) + len(breaks):
        return None
    parts, pos = [], 0
    for n in breaks:
        parts.append(lines[pos] if n == 0 else "\n".join(lines[pos:pos + n + 1]))
        pos += n + 1
    return parts


def cjk_count(text: str) -> int:
    """Number of CJK characters (counted as the total length of CJK runs: fewer match objects)."""
    return sum(map(len, _CJK_RUNS.findall(text)))


def traditional_share(text: str, simplified: str | None = None) -> float:
    """Share of CJK characters that change under t2s conversion (0 = simplified)."""
    cjk = cjk_count(text)
    if cjk == 0:
        return 0.0
    simplified = to_simplified(text) if simplified is None else simplified
    if simplified == text:
        return 0.0  # nothing changed (most pages): no need to compare character by character
    if len(simplified) != len(text):
        # OpenCC may merge phrases; fall back to counting per character.
        simplified = "".join(to_simplified(ch) for ch in text)
    changed = sum(1 for a, b in zip(text, simplified) if a != b and CJK_RE.match(a))
    return changed / cjk


# Latin-script text with fewer letters than this is too short to tell its language: langdetect's guesses for
# "Home", "Contact", "Privacy policy" or "x" were da, es, pl and so.
MIN_LATIN_LETTERS = 20


def _latin(letter: str) -> bool:
    return letter.isascii() or "\u00c0" <= letter <= "\u024f" or "\u1e00" <= letter <= "\u1eff"


def detect_language(text: str, identify=None) -> str:
    """ISO 639-1 code of the main language; ``zh`` when CJK dominates, ``und`` if unknown (no letters, or Latin
    letters too few to tell). ``identify``: what names the language of the rest (default :func:`_identify`;
    ``python -m training languages`` passes langdetect alone to compare)."""
    sample = text[:2000]
    letters = sum(map(str.isalpha, sample))
    if letters == 0:
        return "und"
    if cjk_count(sample) >= 0.2 * letters:
        return "zh"
    if re.search(r"[\u3040-\u30ff]", sample):
        return "ja"
    if letters < MIN_LATIN_LETTERS and all(_latin(ch) for ch in sample if ch.isalpha()):
        return "und"
    return (identify or _identify)(sample)


# CLD2 codes that are not ISO 639-1 (Hebrew and Javanese under their withdrawn codes); "un" and "xx" (an unknown
# language in a known script) are no answer.
_CLD2_CODES = {"iw": "he", "jw": "jv"}
_CLD2_NO_ANSWER = {"un", "xx"}


@functools.lru_cache(maxsize=4096)
def _identify(sample: str) -> str:
    """The language of ``sample``: CLD2's (Chrome's identifier, about 20x faster than langdetect) where it is
    sure of one, else langdetect's.

    Measured on real English text by ``python -m training languages`` (README, "Language"): the two agree on
    every article and real page; of 5,574 short text messages, CLD2 with this fallback names 4,937 English where
    langdetect alone names 4,702 (its guesses for the rest: af, fr, so, no…).
    """
    return _cld2(sample) or _langdetect(sample)


@functools.lru_cache(maxsize=1)
def _cld2_module():
    """``pycld2``, or None where it is not installed: it ships wheels for x86-64 only (pyproject.toml installs it
    there), and elsewhere langdetect names every language, as it did before CLD2."""
    try:
        import pycld2
    except ImportError:
        return None
    return pycld2


def _cld2(sample: str) -> str | None:
    """CLD2's ISO 639-1 code for ``sample`` when it calls its answer reliable, else None (also for text it cannot
    read: control characters, noncharacters; and without ``pycld2``)."""
    cld2 = _cld2_module()
    if cld2 is None:
        return None
    try:
        reliable, _, found = cld2.detect(sample)
    except (cld2.error, UnicodeEncodeError):
        return None
    code = found[0][1].split("-")[0]
    if not reliable or code in _CLD2_NO_ANSWER or len(code) != 2:
        return None
    return _CLD2_CODES.get(code, code)


@functools.lru_cache(maxsize=4096)
def _langdetect(sample: str) -> str:
    """langdetect's answer with seed 0 (deterministic), from the faster exact re-implementation."""
    from langdetect import LangDetectException

    from service.analysis.langid import detect

    try:
        return detect(sample).split("-")[0]
    except LangDetectException:
        return "und"


@functools.lru_cache(maxsize=1)
def _segmenter():
    """The fastest available jieba-compatible segmenter (rjieba, else jieba)."""
    try:
        import rjieba

        return rjieba.cut
    except ImportError:  # pragma: no cover - rjieba ships wheels for our targets
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        return jieba.lcut


def segment(text: str) -> list[str]:
    """jieba-algorithm word segmentation, whitespace tokens dropped."""
    if not text:
        return []
    return [tok for tok in _segmenter()(text) if tok.strip()]


def segment_raw(text: str) -> list[str]:
    """jieba-algorithm word segmentation, whitespace tokens included (callers filter as they need)."""
    return _segmenter()(text) if text else []


def jieba_dictionary_hash() -> str:
    """sha256 of jieba's main dictionary (rjieba embeds the same file)."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    return hashlib.sha256(path.read_bytes()).hexdigest()
