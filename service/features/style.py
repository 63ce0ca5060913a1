"""``style_`` features of a page: filler, specificity, repetition, templates.

Fabricated listicles and machine-written filler read fluently but say
little: stock phrases, numbered "measures", few numbers, dates or named
sources, the headline restated at both ends, uniform paragraphs, text that
compresses well. Document farms carry their own markers (范文, 文档页数,
还剩N页未读). Every ``_per1k`` rate is per 1,000 characters so pages of any
length compare; the ``_per100w`` rates are per 100 words (a Chinese word
counted as 1.5 characters), so that Chinese and English pages compare too:
they are what the language-independent fabricated head sees
(``STYLE_HEAD_FEATURES``), which carries what the Chinese machine-written
corpora teach over to English pages.
"""

from __future__ import annotations

import functools
import re
import statistics
import zlib
from collections import Counter
from operator import itemgetter

import ahocorasick_rs

from service.analysis.page import Page
from service.features.units import overlap, units

ZH_STOCK = ("助力", "新篇章", "总之", "综上所述", "总而言之", "相信在不久的将来", "在不久的将来", "在当今",
            "随着科技的", "随着社会的", "日益", "蓬勃发展", "注入新的活力", "注入新活力", "奠定坚实基础",
            "奠定了坚实的基础", "贡献力量", "无疑是", "不容忽视", "至关重要", "值得一提的是", "由此可见",
            "让我们", "一起来看看", "小编", "本文将", "深入探讨", "全方位", "多维度", "宛如", "璀璨",
            "引发关注", "引发热议", "有关信息介绍如下", "希望对你有所帮助", "希望对您有所帮助",
            "具体内容如下", "赋能", "不仅是", "更是", "的重要性", "发挥着重要作用", "扮演着重要角色",
            "具有重要意义", "显著成效", "取得了显著", "极大肯定", "最好回报", "示范和引领", "首先", "其次",
            "再者", "此外", "最后", "另外", "与此同时", "总的来说", "概括来说", "值得注意的是", "毋庸置疑",
            "不言而喻", "众所周知", "如雨后春笋", "与时俱进", "砥砺前行", "美好的未来", "携手共进")
EN_STOCK = ("in today's", "in todays", "fast-paced", "digital age", "in the world of", "by storm",
            "let's dive", "lets dive", "dive into", "delve", "whether you're", "whether you are",
            "in conclusion", "important to note", "a testament to", "plays a crucial role", "crucial role",
            "in this article", "we will explore", "ultimately", "furthermore", "moreover", "additionally",
            "unlock", "navigate the", "game-changer", "look no further", "comprehensive guide",
            "everything you need to know", "stay tuned", "key takeaways", "seamless", "elevate", "embark",
            "realm", "landscape", "tapestry", "captivated", "hope this helps", "feel free to",
            "enthusiasts", "a must-have", "it's no secret", "when it comes to", "in summary", "overall,",
            "not only", "but also", "ever-evolving", "look at", "tips and tricks", "best practices",
            "a wide range of", "a variety of", "plethora", "paramount", "pivotal", "foster", "harness")
DOCFARM_PLAIN = re.compile(
    r"范文|范本|样例|篇[一二三四五六七八九十\d]+|第[一二三四五六七八九十\d]+篇|文档页数|格式[:：]\s*(?:docx?|pdf|ppt)|"
    r"还剩\s*\d+\s*页|继续阅读|免费阅读|下载本文档|本文档由|下载积分|文库|小编为你整理|为您篩選|为您筛选|"
    r"解说词|心得体会|演讲稿|精选\d+篇|(?<!\d)\d+篇|第\s*\d+\s*页\s*共\s*\d+\s*页|_第\d+页|页数[:：]|大小[:：]\s*[\d.]+\s*kb",
    re.IGNORECASE)
MEASURE_VERBS = ("加强", "优化", "深化", "推进", "完善", "强化", "提高", "提升", "推动", "建立", "健全", "落实",
                 "坚持", "注重", "加快", "积极", "大力", "严格", "创新", "规范", "促进", "构建", "打造", "发挥",
                 "做好", "实施", "开展", "保障", "改善", "增强")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}[.、)）．]|[（(]?[一二三四五六七八九十]+[)）、]|第[一二三四五六七八九十]+[,，、])")
_DIGIT_RUN_PLAIN = re.compile(r"\d+(?:[.,]\d+)*")
_DIGIT_RUN = re.compile(r"\d\d*(?:[.,]\d+)*")  # the same matches; starting with a class, it is searched faster
# A month's name runs at most MONTH_TAIL letters past its first three ("september": 6). Unbounded, the run made
# the pattern quadratic on long letter runs: 120 KB of "janjanjan..." took a minute.
MONTH_TAIL = 20
_DATE_PLAIN = re.compile(r"(?:19|20)\d{2}\s*[年\-/.]\s*\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*[日号]|"
                         rf"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{{0,{MONTH_TAIL}}}\.?\s+\d{{1,2}}|"
                         r"\b(?:19|20)\d{2}\b", re.IGNORECASE)
_SOURCE_PLAIN = re.compile(r"记者|通讯员|来源[:：]|据.{0,12}?(?:报道|消息|介绍|统计|通报)|新华社|中新网|央视|责任编辑|编辑[:：]|"
                           r"作者[:：]|摄影|报道|发布会|表示|指出|介绍说|[(（]记者|\bsaid\b|\baccording to\b|"
                           r"\breported\b|\btold\b|\b(?:ap|reuters|afp|upi)\b|\bspokes(?:man|woman|person)\b",
                           re.IGNORECASE)


def _starting_with(first: str, pattern: re.Pattern) -> re.Pattern:
    """``pattern`` behind a look-ahead on the characters its matches can start with.

    The same matches (every match starts with one of ``first``), found 2-3x
    faster: the engine no longer tries every alternative at every position.
    When an alternative is added to the pattern, add its first character here
    (``tests/test_identical.py`` compares the two on generated text).
    """
    return re.compile(f"(?=[{first}])(?:{pattern.pattern})", pattern.flags)


_DATE = _starting_with(r"\djfmasond", _DATE_PLAIN)
DOCFARM = _starting_with(r"范样篇第文格还继免下本小为解心演精\d_页大", DOCFARM_PLAIN)
_SOURCE = _starting_with("记通来据新中央责编作摄报发表指介(（sartu", _SOURCE_PLAIN)
# The two on lower-cased text (the page's normal form) without IGNORECASE: the same matches, faster,
# unless the text holds ı or ſ, which IGNORECASE folds onto i and s (İ and K do not survive str.lower).
_DATE_LOWER = re.compile(_DATE.pattern)
# Faster still, the same matches: every alternative starts with a literal character, so the engine
# skips straight to the next character that can start one (behind a look-ahead guard it still enters
# the pattern at every position): about 2x faster. Alternatives that start with ``\b`` check the word
# boundary just after their first character instead (``(?<!\w.)``: the character before it is no word
# character), alternatives that start with a class are written once per character of it, in the same
# order, so that where two alternatives can match at one position the same one wins.
# tests/test_identical.py compares them with the plain patterns.
_LAT_B = r"(?<!\w.)"  # after the first character: \b before it
_SOURCE_LOWER = re.compile(
    r"记者|通讯员|来源[:：]|据.{0,12}?(?:报道|消息|介绍|统计|通报)|新华社|中新网|央视|责任编辑|编辑[:：]|"
    r"作者[:：]|摄影|报道|发布会|表示|指出|介绍说|\(记者|（记者|"
    rf"s{_LAT_B}(?:aid\b|pokes(?:man|woman|person)\b)|a{_LAT_B}(?:ccording to\b|p\b|fp\b)|"
    rf"r{_LAT_B}(?:eported\b|euters\b)|t{_LAT_B}old\b|u{_LAT_B}pi\b")
# The date pattern and the document-farm markers start some alternatives with \d, which holds some 650
# digits of other scripts: their literal-first forms hold ASCII digits only and are used on text
# whose digits are all ASCII (``_norm_patterns``).
_ASCII_DIGITS = "0123456789"
_DATE_ASCII = re.compile("|".join([
    r"19\d{2}\s*[年\-/.]\s*\d{1,2}", r"20\d{2}\s*[年\-/.]\s*\d{1,2}",
    *(rf"{d}\d?\s*月\s*\d{{1,2}}\s*[日号]" for d in _ASCII_DIGITS),
    *(rf"{m}[a-z]{{0,{MONTH_TAIL}}}\.?\s+\d{{1,2}}"
      for m in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    rf"1{_LAT_B}9\d{{2}}\b", rf"2{_LAT_B}0\d{{2}}\b"]))
_DOCFARM_ASCII = re.compile("|".join([
    r"范文|范本|样例|篇[一二三四五六七八九十\d]+|第[一二三四五六七八九十\d]+篇|文档页数|格式[:：]\s*(?:docx?|pdf|ppt)|"
    r"还剩\s*\d+\s*页|继续阅读|免费阅读|下载本文档|本文档由|下载积分|文库|小编为你整理|为您篩選|为您筛选|"
    r"解说词|心得体会|演讲稿|精选\d+篇",
    *(rf"{d}(?<!\d.)\d*篇" for d in _ASCII_DIGITS),
    r"第\s*\d+\s*页\s*共\s*\d+\s*页|_第\d+页|页数[:：]|大小[:：]\s*[\d.]+\s*kb"]), re.IGNORECASE)
_QUOTE = re.compile(r"[“”\"「」『』]")
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_MARKDOWN = re.compile(r"\*\*|^#{1,4}\s|!\[|\]\(", re.MULTILINE)
_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")  # CJK characters counted as run lengths (fewer match objects)
CJK_CHARS_PER_WORD = 1.5
# The page features of the language-independent fabricated head (service/model/pipeline.py).
STYLE_HEAD_FEATURES = ("style_stock_per100w", "style_stock_distinct", "style_digits_per100w",
                       "style_dates_per100w", "style_sources_per100w", "style_quotes_per100w",
                       "style_dup_sentence_share", "style_sentence_cv", "style_paragraph_cv",
                       "style_markdown_marks", "style_n_paragraphs", "style_numbered_items",
                       "style_title_in_first", "style_title_in_last", "style_words")


# The main-text rates (``style_main_<name>``, each the prose-only form of ``style_<name>``) and the prose share
# of the page from which the whole page's rates stand for them.
MAIN_TEXT_RATES = ("zh_stock_per1k", "en_stock_per1k", "stock_per100w", "digits_per100w", "dates_per100w",
                   "sources_per100w")
MAIN_TEXT_SHARE = 0.8


def _rate(count: int, n_chars: int) -> float:
    return 1000.0 * count / max(1, n_chars)


def _norm_patterns(norm: str, digit_runs: list[str]) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """The date, source and document-farm patterns to run on ``norm`` (lower-cased), whose
    ``_DIGIT_RUN`` matches are ``digit_runs``: the fastest forms that find the same there."""
    ascii_digits = "".join(digit_runs).isascii()  # every \d of the text is in a run
    docfarm = _DOCFARM_ASCII if ascii_digits else DOCFARM
    if "\u0131" not in norm and "\u017f" not in norm and norm == norm.lower():
        return (_DATE_ASCII if ascii_digits else _DATE_LOWER), _SOURCE_LOWER, docfarm
    return _DATE, _SOURCE, docfarm


def _cjk_chars(text: str) -> int:
    """Number of CJK characters (U+3400-U+9FFF), counted as the total length of their runs."""
    return sum(map(len, _CJK_RUN.findall(text)))


def _self_overlapping(phrase: str) -> bool:
    """Whether two occurrences of ``phrase`` can overlap ("seamles|s|eamless"): a proper prefix is a suffix."""
    return any(phrase[:k] == phrase[-k:] for k in range(1, len(phrase)))


@functools.lru_cache(maxsize=8)
def _phrase_automaton(phrases: tuple[str, ...]) -> tuple[ahocorasick_rs.AhoCorasick | None, tuple[tuple[str, int], ...],
                                                         tuple[str, ...]]:
    """An automaton over the phrases whose occurrences cannot overlap, with each one's
    ``(phrase, how often phrases lists it)`` by pattern index, and the other phrases, which keep ``str.count``."""
    multiplicity = Counter(phrases)
    values = tuple((phrase, times) for phrase, times in multiplicity.items() if phrase and not _self_overlapping(phrase))
    auto = ahocorasick_rs.AhoCorasick([phrase for phrase, _ in values]) if values else None
    rest = tuple(p for p in phrases if not p or _self_overlapping(p))
    return auto, values, rest


def _count_phrases(text: str, phrases: tuple[str, ...]) -> tuple[int, int]:
    """``(occurrences, distinct phrases found)``, occurrences counted as ``str.count`` counts them.

    One Aho-Corasick pass instead of one ``str.count`` per phrase: for a phrase
    whose occurrences cannot overlap, the automaton's matches of it (all
    matches, overlapping ones of different phrases included) are exactly the
    non-overlapping occurrences ``str.count`` finds; the few phrases whose
    occurrences can overlap are still counted with ``str.count``.
    """
    auto, values, rest = _phrase_automaton(phrases)
    total = distinct = 0
    if auto is not None and text:
        for i, c in Counter(map(itemgetter(0), auto.find_matches_as_indexes(text, overlapping=True))).items():
            times = values[i][1]
            total += times * c
            distinct += times
    for phrase in rest:
        c = text.count(phrase)
        total += c
        distinct += c > 0
    return total, distinct


def style_features(page: Page, main_text: bool = True) -> dict[str, float]:
    """The page's ``style_`` features; the prose-only ``style_main_`` rates too when ``main_text``."""
    norm = page.norm
    n = max(1, len(norm))
    paragraphs = [b for b in page.blocks if b.kind == "paragraph" and len(b.text) >= 30]
    zh_total, zh_distinct = _count_phrases(norm, ZH_STOCK)
    en_total, en_distinct = _count_phrases(norm, EN_STOCK)
    list_items = [i for b in page.blocks if b.kind == "list" for i in b.items]
    numbered = [i for b in page.blocks for i in b.items if _NUMBERED.match(i)]
    measure_items = [i for i in numbered if any(v in _NUMBERED.sub("", i)[:6] for v in MEASURE_VERBS)]
    sentences = [s.strip() for s in _SENTENCE.findall(norm) if len(s.strip()) >= 8]
    sent_lens = [len(s) for s in sentences]
    dup_sentences = len(sentences) - len(set(sentences))
    sample = norm[:6000].encode("utf-8")
    digit_runs = _DIGIT_RUN.findall(norm)
    date_re, source_re, docfarm_re = _norm_patterns(norm, digit_runs)
    counts = {"digits": len(digit_runs), "dates": len(date_re.findall(norm)),
              "sources": len(source_re.findall(norm)), "quotes": len(_QUOTE.findall(page.text))}
    feats = {
        "style_zh_stock_per1k": _rate(zh_total, n),
        "style_zh_stock_distinct": float(zh_distinct),
        "style_en_stock_per1k": _rate(en_total, n),
        "style_en_stock_distinct": float(en_distinct),
        "style_docfarm_hits": float(len(docfarm_re.findall(norm))),
        "style_numbered_items": float(len(numbered)),
        "style_measure_items": float(len(measure_items)),
        "style_list_items": float(len(list_items)),
        **{f"style_{name}_per1k": _rate(count, n) for name, count in counts.items()},
        "style_markdown_marks": float(len(_MARKDOWN.findall(page.text))),
        "style_emoji_per1k": _rate(len(_EMOJI.findall(page.text)), n),
        "style_dup_sentence_share": dup_sentences / len(sentences) if sentences else 0.0,
        "style_mean_sentence_chars": statistics.fmean(sent_lens) if sent_lens else 0.0,
        "style_sentence_cv": (statistics.pstdev(sent_lens) / statistics.fmean(sent_lens)) if len(sent_lens) > 1 else 0.0,
        "style_compress_ratio": (len(zlib.compress(sample, 6)) / len(sample)) if len(sample) > 50 else 1.0,
        "style_n_paragraphs": float(len(paragraphs)),
    }
    para_lens = [len(b.text) for b in paragraphs]
    feats["style_paragraph_cv"] = (statistics.pstdev(para_lens) / statistics.fmean(para_lens)) if len(para_lens) > 1 else 0.0
    title = units(page.title_norm)
    if title and paragraphs:
        feats["style_title_in_first"] = overlap(title, units(paragraphs[0].norm))
        feats["style_title_in_last"] = overlap(title, units(paragraphs[-1].norm))
    else:
        feats["style_title_in_first"] = feats["style_title_in_last"] = 0.0
    feats["style_title_repeats_per1k"] = _title_repeats(page.title_norm, norm)
    words = _LATIN_WORD.findall(norm)
    feats["style_en_type_token_ratio"] = (len(set(words)) / len(words)) if len(words) >= 20 else 0.0
    cjk_words, n_words = _word_count(norm, words)
    per100w = 100.0 / n_words
    feats["style_words"] = n_words
    feats["style_cjk_word_share"] = cjk_words / n_words
    feats["style_stock_per100w"] = (zh_total + en_total) * per100w
    feats["style_stock_distinct"] = float(zh_distinct + en_distinct)
    feats.update({f"style_{name}_per100w": count * per100w for name, count in counts.items()})
    if main_text:
        feats.update(_main_text_features(page, paragraphs, feats))
    return feats


def _main_text_features(page: Page, paragraphs: list, whole: dict[str, float]) -> dict[str, float]:
    """``style_main_`` features: the filler rates of the page's prose alone.

    LABELS.md judges a fabricated page by its main text; a wall of 72
    headlines under a short filler article (seed 003) dilutes every
    per-1,000-character rate of the whole page about five times. The prose
    is the paragraph blocks of 30 characters or more; where they hold most
    of the page (``MAIN_TEXT_SHARE``) or there are none, the whole page's
    rates stand for them and nothing is counted twice.
    """
    total = sum(len(b.norm) for b in page.blocks)
    main_chars = sum(len(b.norm) for b in paragraphs)
    share = main_chars / total if total else 0.0
    out = {"style_main_share": share}
    if not paragraphs or share >= MAIN_TEXT_SHARE:
        out.update({f"style_main_{name}": whole[f"style_{name}"] for name in MAIN_TEXT_RATES})
        return out
    norm = "\n".join(b.norm for b in paragraphs)
    n = max(1, len(norm))
    zh_total, _ = _count_phrases(norm, ZH_STOCK)
    en_total, _ = _count_phrases(norm, EN_STOCK)
    digit_runs = _DIGIT_RUN.findall(norm)
    date_re, source_re, _ = _norm_patterns(norm, digit_runs)
    per100w = 100.0 / _word_count(norm, _LATIN_WORD.findall(norm))[1]
    out.update({"style_main_zh_stock_per1k": _rate(zh_total, n), "style_main_en_stock_per1k": _rate(en_total, n),
                "style_main_stock_per100w": (zh_total + en_total) * per100w,
                "style_main_digits_per100w": len(digit_runs) * per100w,
                "style_main_dates_per100w": len(date_re.findall(norm)) * per100w,
                "style_main_sources_per100w": len(source_re.findall(norm)) * per100w})
    return out


def _word_count(norm: str, latin_words: list[str]) -> tuple[float, float]:
    """``(CJK words, all words but at least 1)`` of a normal form whose Latin words are ``latin_words``: a Chinese
    word counted as ``CJK_CHARS_PER_WORD`` characters, so that per-100-word rates compare across languages."""
    cjk_words = _cjk_chars(norm) / CJK_CHARS_PER_WORD
    return cjk_words, max(1.0, cjk_words + len(latin_words))


def _title_repeats(title: str, norm: str) -> float:
    """How often the title's leading key phrase recurs in the body, per 1,000 characters."""
    title = title.strip()
    if len(title) < 4:
        return 0.0
    words = title.split()
    if len(words) >= 3 and title.isascii():
        key = " ".join(words[:3])
    else:
        key = re.split(r"[,，:：!！?？|_\-—\s“”\"]", title)[0][:8]
    if len(key) < 3:
        return 0.0
    return _rate(max(0, norm.count(key) - 1), len(norm))
