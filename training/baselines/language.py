"""Words, sentences and per-language thresholds for the document quality filters.

The Gopher, C4 and FineWeb rules were written for English, where words are
whitespace-delimited and about five characters long. FineWeb-2 (Penedo et
al., 2025, "FineWeb2: One Pipeline to Scale Them All", arXiv:2506.20920)
runs the same rules on every language with (a) the language's own word
tokenizer — jieba for Chinese, as in datatrove's ``zh`` tokenizer — (b)
language-specific stop words, and (c) length-dependent thresholds re-derived
per language. We do the same for Chinese:

* words are ``service.analysis.text.segment`` (jieba algorithm);
* stop words are the most frequent Chinese function words (FineWeb-2 picks
  each language's most frequent words);
* thresholds measured in characters are scaled by the ratio of the medians
  of the statistic on clean reference text, measured once and pinned here:
  mean non-symbol word length 1.79 characters (Chinese: 800 cmrc2018 and C3
  passages, jieba) against 4.85 (English: 400 gold article bodies of the
  article-extraction benchmark), and 2.02 against 6.01 characters per word
  including spaces and punctuation;
* the share of words with a letter depends on how punctuation is tokenized
  (jieba yields about one punctuation token per six words), so its threshold
  is set, as FineWeb-2 sets thresholds per language, to remove the same share
  of the Chinese reference text as Gopher's 0.8 removes of the English one
  (19 %): 0.76 (0.8 would remove 44 %).

Other ratio thresholds (fractions of lines, words or characters) stay as
published.

Pages in any other language use the published English settings.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from service.analysis.text import detect_language, segment

_EN_WORD_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
# Sentence-final marks (datatrove's TERMINAL_PUNCTUATION, restricted to the scripts we meet).
TERMINAL_PUNCTUATION = (".", "!", "?", "。", "！", "？", "．", "｡", "‼", "⁇", "⁈", "⁉", "‽")
_SENTENCE_END_RE = re.compile(r"(?<=[。！？!?])|(?<=[.．])(?=\s|$)")


@dataclass(frozen=True)
class Settings:
    """One language's thresholds for the filter chain (published English values unless noted)."""

    lang: str
    # Gopher quality (Rae et al., 2021, arXiv:2112.11446, section A.1.1)
    min_doc_words: int = 50
    max_doc_words: int = 100_000
    min_avg_word_length: float = 3.0
    max_avg_word_length: float = 10.0
    max_symbol_word_ratio: float = 0.1
    max_bullet_lines_ratio: float = 0.9
    max_ellipsis_lines_ratio: float = 0.3
    min_alpha_words_ratio: float = 0.8
    min_stop_words: int = 2
    stop_words: frozenset[str] = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
    # C4 (Raffel et al., 2020, JMLR 21(140), section 2.2)
    min_words_per_line: int = 3
    min_sentences: int = 5
    max_word_length: int = 1000
    policy_phrases: tuple[str, ...] = ("terms of use", "privacy policy", "cookie policy", "uses cookies",
                                       "use of cookies", "use cookies")
    # FineWeb custom filters (Penedo et al., 2024, arXiv:2406.17557, section 3.3)
    line_punct_thr: float = 0.12
    short_line_length: int = 30
    short_line_thr: float = 0.67
    char_duplicates_ratio: float = 0.01
    new_line_ratio: float = 0.3


EN = Settings(lang="en")
ZH = Settings(
    lang="zh",
    # Gopher's 3..10 characters scaled by 1.79 / 4.85 (median mean word length, Chinese / English).
    min_avg_word_length=1.1,
    max_avg_word_length=3.7,
    stop_words=frozenset({"的", "是", "在", "了", "和", "有", "也", "不", "这", "就"}),
    # FineWeb's 30-character short line scaled by 2.02 / 6.01 (characters per word, Chinese / English).
    short_line_length=10,
    min_alpha_words_ratio=0.76,
    policy_phrases=EN.policy_phrases + ("隐私政策", "使用条款", "服务条款", "使用cookie"),
)


def settings_for(text: str) -> Settings:
    """Chinese settings when CJK dominates the page, else the published (English) ones."""
    return ZH if detect_language(text) == "zh" else EN


def words(text: str, settings: Settings) -> list[str]:
    """Word tokens, punctuation included as tokens (as datatrove's word tokenizers return them)."""
    if settings.lang == "zh":
        return segment(text)
    return _EN_WORD_RE.findall(text)


def is_symbol_word(word: str) -> bool:
    """True for a token made only of punctuation, symbols, spaces or control characters."""
    return all(unicodedata.category(ch)[0] in "PSZC" for ch in word)


def sentences(line: str) -> list[str]:
    """Sentences of one line: split after 。！？!? and after a full stop followed by a space."""
    return [s for s in (part.strip() for part in _SENTENCE_END_RE.split(line)) if s]
