"""C4's line and page rules (Raffel et al., 2020, "Exploring the Limits of Transfer Learning
with a Unified Text-to-Text Transformer", JMLR 21(140), section 2.2; reference code
``tensorflow_datasets/text/c4_utils.py``), in the form FineWeb applies them: datatrove's
``C4QualityFilter(filter_no_terminal_punct=False)``.

Lines are dropped (a word over 1,000 characters, fewer than 3 words, "javascript", cookie
and terms-of-use notices); a page is dropped when it contains "lorem ipsum" or a curly
bracket, or when fewer than 5 sentences survive. Words are counted with the language's
tokenizer (jieba for Chinese), since a Chinese line has no spaces to split on. The
bad-words rule of C4 is left to the lexicon baseline.
"""

from __future__ import annotations

import re

from training.baselines.language import Settings, is_symbol_word, sentences, words

CITATION_RE = re.compile(r"\[\d*]|\[edit]|\[citation needed]")


def c4_lines(text: str, s: Settings) -> tuple[str, list[str]]:
    """``(the kept lines joined by newlines, names of the page rules failed)``."""
    failed: list[str] = []
    kept: list[str] = []
    n_sentences = 0
    for raw in text.splitlines():
        line = CITATION_RE.sub("", raw.strip())
        if any(len(w) > s.max_word_length for w in line.split()):
            continue
        if sum(not is_symbol_word(w) for w in words(line, s)) < s.min_words_per_line:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower and "c4_lorem_ipsum" not in failed:
            failed.append("c4_lorem_ipsum")
        if "javascript" in lower:
            continue
        if "{" in line and "c4_curly_bracket" not in failed:
            failed.append("c4_curly_bracket")
        if any(p in lower for p in s.policy_phrases):
            continue
        n_sentences += len(sentences(line))
        kept.append(line)
    if n_sentences < s.min_sentences:
        failed.append("c4_too_few_sentences")
    return "\n".join(kept).strip(), failed
