"""The per-page code as it was before the speed-ups, kept to prove they change no output.

Each function here is the original implementation of something that was
made faster. ``tests/test_identical.py`` compares the fast code with these,
function by function and as whole verdicts (with every reference swapped in
at once), on pages of every kind. When a feature's *definition* changes on
purpose, change the reference here in the same commit.
"""

from __future__ import annotations

import numpy as np

from service.analysis import htmlblocks
from service.features import topicality


def forest_leaves(forest, x: np.ndarray) -> np.ndarray:
    """CompiledForest: all trees walked level by level, every path every level."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    idx = np.broadcast_to(forest.roots, (n, len(forest.roots))).copy()
    rows = np.arange(n)[:, None]
    for _ in range(forest.max_depth):
        at_leaf = forest.leaf[idx]
        if at_leaf.all():
            break
        values = x[rows, forest.feature[idx]]
        go_left = (values <= forest.threshold[idx]) | (np.isnan(values) & forest.missing_left[idx])
        idx = np.where(at_leaf, idx, np.where(go_left, forest.left[idx], forest.right[idx]))
    return idx


def head_bank_predict(self, rows, count=None) -> list[float]:
    """compiled.HeadBank.predict: every head on its own row, one forest pass each."""
    return [float(head.predict(rows[row])[0]) for head, row in list(zip(self.heads, self.row_of_head))[:count]]


def page_words(page_text: str, block_norms, block_texts, block_words) -> list[str]:
    """ngrams.page_words: the page text segmented whole."""
    from service.analysis.text import segment_raw

    return segment_raw(page_text)


def linear_predict_proba(scorer, x) -> np.ndarray:
    """LinearScorer: ``x @ coef.T`` on the float32 coefficients, up-cast by scipy on every call."""
    scores = np.asarray(x @ scorer.coef.T, dtype=np.float64) + scorer.intercept
    if scorer.coef.shape[0] == 1:
        p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - p, p])
    prob = 1.0 / (1.0 + np.exp(-scores))
    total = prob.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return prob / total


def run_text(run) -> str:
    """htmlblocks._Run.text, recomputed on every access (it was a plain property)."""
    raw = "".join(run.parts)
    visible = sum(1 for ch in raw if not ch.isspace() and ch != htmlblocks._LINK_MARK)
    link_wall = run.n_links >= 3 and run.link_chars >= 0.7 * max(1, visible)
    raw = raw.replace(htmlblocks._LINK_MARK, "\n" if link_wall else " ")
    lines = [htmlblocks._WS.sub(" ", line).strip() for line in raw.split("\n")]
    return "\n".join(line for line in lines if line)


def cosine_known_norm(a, b, b_norm2: float) -> float:
    """topicality: the block-to-main-content cosine recomputed ``b``'s norm on every call."""
    return cosine(a, b)


def langdetect_sample(sample: str) -> str:
    """text._langdetect: langdetect itself (seed 0), uncached."""
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        return detect(sample).split("-")[0]
    except LangDetectException:
        return "und"


def block_terms(text: str) -> list[str]:
    """ngrams.block_terms: generator-built, jieba words through ``segment``."""
    from service.analysis.text import segment
    from service.model.ngrams import _CJK_RUN, _LATIN

    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms.extend(run)
        terms.extend(run[i:i + 2] for i in range(len(run) - 1))
    terms.extend("l:" + w for w in _LATIN.findall(text))
    terms.extend("w:" + w for w in segment(text) if len(w) > 1)
    return terms


def page_terms(text: str) -> list[str]:
    """ngrams.page_terms: generator-built, jieba words through ``segment``."""
    from service.analysis.text import segment
    from service.model.ngrams import _CJK_RUN, _LATIN

    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms.extend(run[i:i + 2] for i in range(len(run) - 1))
        terms.extend(run[i:i + 3] for i in range(len(run) - 2))
    words = _LATIN.findall(text)
    terms.extend("l:" + w for w in words)
    terms.extend(f"l2:{a} {b}" for a, b in zip(words, words[1:]))
    terms.extend("w:" + w for w in segment(text) if len(w) > 1)
    return terms


def block_hasher():
    """The block vectorizer as scikit-learn runs it, on the reference analyzer."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from service.model.pipeline import BLOCK_HASH_FEATURES

    return HashingVectorizer(analyzer=block_terms, n_features=BLOCK_HASH_FEATURES, alternate_sign=False, norm="l2")


def page_hasher():
    """The page vectorizer as scikit-learn runs it, on the reference analyzer."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from service.model.pipeline import PAGE_HASH_FEATURES

    return HashingVectorizer(analyzer=page_terms, n_features=PAGE_HASH_FEATURES, alternate_sign=False, norm="l2")


def block_text_scores(model, features, words=None) -> np.ndarray:
    """PageSieveModel.block_text_scores through HashingVectorizer.transform (which segments the texts itself)."""
    from service.model import BLOCK_LABELS

    if not features.block_texts:
        return np.zeros((0, len(BLOCK_LABELS)))
    return model.block_text_model.predict_proba(block_hasher().transform(features.block_texts))


def page_text_scores(model, features, words=None) -> dict[str, float]:
    """PageSieveModel.page_text_scores through HashingVectorizer.transform (which segments the text itself)."""
    x = page_hasher().transform([features.page_text])
    return {label: float(m.predict_proba(x)[0, 1]) for label, m in model.page_text_models.items()}


def units(norm_text: str):
    """units.units: a Counter updated run by run."""
    from collections import Counter

    from service.features.units import _CJK_RUN, _EN_STOP, _LATIN_WORD

    bag: Counter = Counter()
    for run in _CJK_RUN.findall(norm_text):
        if len(run) == 1:
            bag[run] += 1
        else:
            bag.update(run[i:i + 2] for i in range(len(run) - 1))
    bag.update(w for w in _LATIN_WORD.findall(norm_text) if w not in _EN_STOP)
    return bag


def jaccard(a, b) -> float:
    """units.jaccard: both bags copied into sets on every call."""
    if not a or not b:
        return 0.0
    a, b = set(a), set(b)
    return len(a & b) / len(a | b)


def overlap(a, b) -> float:
    """units.overlap: ``b`` (often the page's main content) copied into a set on every call."""
    if not a:
        return 0.0
    a = set(a)
    return len(a & set(b)) / len(a)


def norm2(bag) -> float:
    """units.norm2 as a generator sum."""
    return float(sum(v * v for v in bag.values()))


def cosine_without(bag, total, total_norm2: float) -> float:
    """units.cosine_without with generator sums."""
    import math

    if not bag:
        return 0.0
    dot_total = sum(v * total.get(k, 0) for k, v in bag.items())
    bag2 = norm2(bag)
    dot = dot_total - bag2
    rest2 = total_norm2 - 2 * dot_total + bag2
    if dot <= 0 or rest2 <= 0:
        return 0.0
    return dot / (math.sqrt(bag2) * math.sqrt(rest2))


def overlap_without(bag, total) -> float:
    """units.overlap_without with a generator sum."""
    if not bag:
        return 0.0
    return sum(1 for k, v in bag.items() if total.get(k, 0) > v) / len(bag)


def structure_features(block, ctx) -> dict[str, float]:
    """structure.structure_features: character classes counted one match per character."""
    import math
    import re

    from service.analysis.page import BLOCK_KINDS
    from service.analysis.textblocks import BULLET_RE
    from service.features.structure import _BOILER_PLAIN as _BOILER
    from service.features.structure import _SENT_END

    digit, cjk, latin, punct = (re.compile(p) for p in (r"\d", r"[\u4e00-\u9fff]", r"[A-Za-z]", r"[^\w\s]"))
    text = block.text
    n = max(1, len(text))
    items = block.items or [text]
    item_lens = [len(i) for i in items]
    n_blocks = max(1, len(ctx.page.blocks))
    feats = {
        "struct_log_chars": math.log1p(len(text)),
        "struct_n_items": float(len(items)),
        "struct_log_items": math.log1p(len(items)),
        "struct_mean_item_chars": sum(item_lens) / len(items),
        "struct_max_item_chars": float(max(item_lens)),
        "struct_link_density": block.link_chars / n,
        "struct_n_links": float(block.n_links),
        "struct_offsite_link_share": block.n_offsite_links / block.n_links if block.n_links else 0.0,
        "struct_hidden": 1.0 if block.hidden else 0.0,
        "struct_rel_index": block.index / max(1, n_blocks - 1),
        "struct_rel_offset": block.start / ctx.total_chars,
        "struct_is_first": 1.0 if block.index == 0 else 0.0,
        "struct_is_last": 1.0 if block.index == n_blocks - 1 else 0.0,
        "struct_digit_share": len(digit.findall(text)) / n,
        "struct_cjk_share": len(cjk.findall(text)) / n,
        "struct_latin_share": len(latin.findall(text)) / n,
        "struct_punct_share": len(punct.findall(text)) / n,
        "struct_sentence_ends_per_item": len(_SENT_END.findall(text)) / len(items),
        "struct_bullet_share": sum(1 for i in items if BULLET_RE.match(i)) / len(items),
        "struct_boiler_markers": float(len(_BOILER.findall(text))),
        "struct_share_of_page": len(text) / ctx.total_chars,
    }
    for kind in BLOCK_KINDS:
        feats[f"struct_kind_{kind}"] = 1.0 if block.kind == kind else 0.0
    return feats


def cjk_count(text: str) -> int:
    """text.cjk_count: one match per character."""
    from service.analysis.text import CJK_RE

    return len(CJK_RE.findall(text))


def traditional_share(text: str, simplified: str | None = None) -> float:
    """text.traditional_share: always compared character by character."""
    from service.analysis.text import CJK_RE, to_simplified

    cjk = cjk_count(text)
    if cjk == 0:
        return 0.0
    simplified = to_simplified(text) if simplified is None else simplified
    if len(simplified) != len(text):
        simplified = "".join(to_simplified(ch) for ch in text)
    changed = sum(1 for a, b in zip(text, simplified) if a != b and CJK_RE.match(a))
    return changed / cjk


def script_block_features(block, ctx) -> dict[str, float]:
    """script.script_block_features: every block converted on its own, the page's head too."""
    from service.analysis.text import traditional_share
    from service.features.script import PINYIN_RESIDUE

    page_trad = traditional_share(ctx.page.text[:20000])
    block_trad = traditional_share(block.text)
    return {
        "script_block_trad": block_trad,
        "script_page_trad": page_trad,
        "script_mismatch": page_trad - block_trad,
        "script_pinyin_residue": float(len(PINYIN_RESIDUE.findall(block.text))),
    }


def script_page_features(page) -> dict[str, float]:
    """script.script_page_features: every block converted on its own, the page's head too."""
    from service.analysis.text import traditional_share
    from service.features.script import ENTITY_RESIDUE, PINYIN_RESIDUE

    n = max(1, len(page.text))
    trad = [traditional_share(b.text) for b in page.blocks if len(b.text) >= 20]
    return {
        "script_trad_share": traditional_share(page.text[:20000]),
        "script_trad_spread": (max(trad) - min(trad)) if trad else 0.0,
        "script_pinyin_per1k": 1000.0 * len(PINYIN_RESIDUE.findall(page.text)) / n,
        "script_entity_per1k": 1000.0 * len(ENTITY_RESIDUE.findall(page.text)) / n,
    }


def page_bags(ctx):
    """PageContext's unit bags before unitindex: one Counter per block, the page's and the main content's
    bags added with Counter.update, one by one (cached on ``ctx``): ``(blocks, page, main, title)``."""
    from collections import Counter

    from service.features.context import MAIN_MIN_CHARS

    bags = ctx.__dict__.get("_reference_bags")
    if bags is None:
        block_units = [units(b.norm) for b in ctx.page.blocks]
        page: Counter = Counter()
        main: Counter = Counter()
        for block, bag in zip(ctx.page.blocks, block_units):
            page.update(bag)
            if block.kind == "paragraph" and len(block.text) >= MAIN_MIN_CHARS:
                main.update(bag)
        bags = ctx.__dict__["_reference_bags"] = (block_units, page, main or page, units(ctx.page.title_norm))
    return bags


def topicality_features(block, ctx) -> dict[str, float]:
    """topicality.topicality_features: the block's Counter compared with the page's, one block at a time."""
    from itertools import combinations

    from service.analysis.text import normalize
    from service.features.topicality import LINKED_ITEM_JACCARD, MAX_ITEMS

    block_units, page, main, title = page_bags(ctx)
    bag = block_units[block.index]
    in_main = block.index in ctx.main_blocks and len(ctx.main_blocks) > 0 and main is not page
    feats = {
        "topic_sim_rest": cosine_without(bag, page, norm2(page)),
        "topic_sim_main": (cosine_without(bag, main, norm2(main)) if in_main
                           else cosine_known_norm(bag, main, norm2(main))),
        "topic_sim_title": overlap(title, bag) if title else 0.0,
        "topic_units_in_rest": overlap_without(bag, page),
    }
    items = [i for i in (block.items or []) if i.strip()][:MAX_ITEMS]
    if len(items) >= 3:
        bags = [units(normalize(i)) for i in items]
        linked = [False] * len(bags)
        total = 0.0
        pairs = 0
        for a, b in combinations(range(len(bags)), 2):
            sim = jaccard(bags[a], bags[b])
            total += sim
            pairs += 1
            if sim > LINKED_ITEM_JACCARD:
                linked[a] = linked[b] = True
        feats["topic_item_coherence"] = total / pairs
        feats["topic_item_linked_share"] = sum(linked) / len(bags)
        feats["topic_item_page_overlap"] = sum(overlap(b, main) for b in bags) / len(bags)
    else:
        feats["topic_item_coherence"] = -1.0
        feats["topic_item_linked_share"] = -1.0
        feats["topic_item_page_overlap"] = -1.0
    return feats


def stitching_features(ctx) -> dict[str, float]:
    """stitching.stitching_features: the cosine of adjacent prose blocks' Counters, pair by pair."""
    from service.features.stitching import PROSE_MIN_CHARS, SEAM_MAX_COSINE

    block_units = page_bags(ctx)[0]
    prose = [b.index for b in ctx.page.blocks if b.kind == "paragraph" and len(b.text) >= PROSE_MIN_CHARS]
    pairs = list(zip(prose, prose[1:]))
    sims = [cosine(block_units[a], block_units[b]) for a, b in pairs]
    seams = sum(1 for s in sims if s < SEAM_MAX_COSINE)
    return {
        "page_topic_prose_pairs": float(len(pairs)),
        "page_topic_seams": float(seams),
        "page_topic_seam_share": seams / len(pairs) if pairs else 0.0,
        "page_topic_mean_adjacent_sim": sum(sims) / len(sims) if sims else -1.0,
    }


def detect_language(text: str) -> str:
    """text.detect_language: letters counted with a generator; short Latin text is ``und`` (a definition change
    of the 24th: langdetect guessed)."""
    import re

    from service.analysis import text as textops

    sample = text[:2000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters == 0:
        return "und"
    if textops.cjk_count(sample) >= 0.2 * letters:
        return "zh"
    if re.search(r"[\u3040-\u30ff]", sample):
        return "ja"
    if letters < textops.MIN_LATIN_LETTERS and all(textops._latin(ch) for ch in sample if ch.isalpha()):
        return "und"
    return textops._cld2(sample) or textops._langdetect(sample)  # CLD2 where it is sure: a definition change of
    # the 24th, measured by python -m training languages


def cosine(a, b) -> float:
    """units.cosine with generator sums (the stitching features' adjacent-block similarity)."""
    import math

    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    if dot == 0:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def to_matrix(rows, names) -> np.ndarray:
    """featurizer.to_matrix: the float32 matrix filled row by row."""
    out = np.zeros((len(rows), len(names)), dtype=np.float32)
    for i, row in enumerate(rows):
        out[i] = [row.get(name, 0.0) for name in names]
    return np.nan_to_num(out, nan=0.0, posinf=1e6, neginf=-1e6)


def count_phrases(text: str, phrases) -> tuple[int, int]:
    """style._count_phrases: one ``str.count`` per stock phrase."""
    total = distinct = 0
    for phrase in phrases:
        c = text.count(phrase)
        total += c
        distinct += c > 0
    return total, distinct


def style_cjk_chars(text: str) -> int:
    """style: CJK characters counted one match per character."""
    import re

    return len(re.findall(r"[\u3400-\u9fff]", text))


def py_vocab_automaton(lexicons):
    """Lexicons.vocab_automaton as it was: a pyahocorasick automaton, word -> (length, ((category, log-odds), ...))."""
    import ahocorasick

    auto = lexicons.__dict__.get("_ref_vocab_automaton")
    if auto is None:
        auto = ahocorasick.Automaton()
        merged: dict[str, list[tuple[str, float]]] = {}
        for category, words in lexicons.vocab.items():
            for word, score in words.items():
                merged.setdefault(word, []).append((category, score))
        for word, scored in merged.items():
            auto.add_word(word, (len(word), tuple(scored)))
        if len(auto):
            auto.make_automaton()
        lexicons.__dict__["_ref_vocab_automaton"] = auto
    return auto


def py_automaton(lexicons):
    """Lexicons.automaton as it was: a pyahocorasick automaton, term -> (term, categories)."""
    import ahocorasick

    auto = lexicons.__dict__.get("_ref_automaton")
    if auto is None:
        auto = ahocorasick.Automaton()
        for category, words in lexicons.terms.items():
            for word in words:
                if word:
                    previous = auto.get(word, None)
                    cats = (previous[1] + (category,)) if previous else (category,)
                    auto.add_word(word, (word, cats))
        if len(auto):
            auto.make_automaton()
        lexicons.__dict__["_ref_automaton"] = auto
    return auto


def evidence_vocabulary(norm_text: str, lexicons, limit: int = 8) -> list[str]:
    """lexicon.evidence_vocabulary with the pyahocorasick automaton."""
    import ahocorasick

    from service.features.lexicon import VOCAB_STRONG, _whole_word

    auto = py_vocab_automaton(lexicons)
    if not norm_text or auto.kind != ahocorasick.AHOCORASICK:
        return []
    best: dict[str, float] = {}
    for end, (length, scored) in auto.iter(norm_text):
        start = end - length + 1
        word = norm_text[start:end + 1]
        score = max(s for _, s in scored)
        if score >= VOCAB_STRONG and (not word.isascii() or _whole_word(norm_text, start, end + 1, word)):
            best[word] = max(best.get(word, 0.0), score)
    return [w for w, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def lexicon_matches(self, norm_text: str) -> list:
    """Lexicons.matches: every match through a generator and ``sorted``, empty or not."""
    import ahocorasick

    from service.features.lexicon import _whole_word

    auto = py_automaton(self)
    if not norm_text or auto.kind != ahocorasick.AHOCORASICK:
        return []
    found = sorted(((end - len(word) + 1, end + 1, word, cats)
                    for end, (word, cats) in auto.iter(norm_text)
                    if _whole_word(norm_text, end - len(word) + 1, end + 1, word)),
                   key=lambda m: (m[0], -(m[1] - m[0])))
    chosen: list[tuple[int, int, str, tuple[str, ...]]] = []
    last_end = -1
    for match in found:
        if match[0] >= last_end:
            chosen.append(match)
            last_end = match[1]
    return chosen


def lexicon_features(norm_text: str, lexicons, matches: list | None = None) -> dict[str, float]:
    """lexicon.lexicon_features: key names built per call, the unguarded chain separator."""
    from service.features.lexicon import CATEGORIES
    from service.features.lexicon import CHAIN_SPLIT_PLAIN as CHAIN_SPLIT

    matches = lexicons.matches(norm_text) if matches is None else matches
    n_chars = max(1, len(norm_text))
    feats: dict[str, float] = {}
    for category in CATEGORIES:
        hits = [m for m in matches if category in m[3]]
        feats[f"lex_{category}_hits"] = float(len(hits))
        feats[f"lex_{category}_distinct"] = float(len({m[2] for m in hits}))
        feats[f"lex_{category}_per100"] = 100.0 * len(hits) / n_chars
    covered = sum(m[1] - m[0] for m in matches)
    feats["lex_any_hits"] = float(len(matches))
    feats["lex_coverage"] = covered / n_chars
    segments = [seg for seg in CHAIN_SPLIT.split(norm_text) if seg]
    n_seg = len(segments)
    feats["lex_chain_segments"] = float(n_seg)
    feats["lex_chain_mean_seg_len"] = (sum(map(len, segments)) / n_seg) if n_seg else 0.0
    if n_seg >= 3 and matches:
        seg_hits = 0
        pos = 0
        spans = []
        for seg in segments:
            idx = norm_text.find(seg, pos)
            spans.append((idx, idx + len(seg)))
            pos = idx + len(seg)
        for s, e in spans:
            if any(m[0] < e and m[1] > s for m in matches):
                seg_hits += 1
        feats["lex_chain_hit_share"] = seg_hits / n_seg
    else:
        feats["lex_chain_hit_share"] = 0.0
    return feats


def vocab_features(norm_text: str, lexicons) -> dict[str, float]:
    """lexicon.vocab_features: the zero row and key names built per call, the unguarded separator."""
    import ahocorasick

    from service.features.lexicon import CHAIN_SPLIT_PLAIN as CHAIN_SPLIT
    from service.features.lexicon import VOCAB_CATEGORIES, VOCAB_STRONG, _whole_word

    feats = {f"lex_{c}_vocab_{k}": 0.0 for c in VOCAB_CATEGORIES for k in ("share", "max", "per100")}
    feats["lex_vocab_strong_per100"] = feats["lex_vocab_chain_hit_share"] = 0.0
    auto = py_vocab_automaton(lexicons)
    if not norm_text or auto.kind != ahocorasick.AHOCORASICK:
        return feats
    covered: dict[str, set[int]] = {}
    total: dict[str, float] = {}
    strong_starts: list[int] = []
    for end, (length, scored) in auto.iter(norm_text):
        start = end - length + 1
        if norm_text[start].isascii() and not _whole_word(norm_text, start, end + 1, norm_text[start:end + 1]):
            continue
        if max(score for _, score in scored) >= VOCAB_STRONG:
            strong_starts.append(start)
        for category, score in scored:
            covered.setdefault(category, set()).update(range(start, end + 1))
            total[category] = total.get(category, 0.0) + score
            key = f"lex_{category}_vocab_max"
            if score > feats[key]:
                feats[key] = score
    n_chars = max(1, len(norm_text))
    for category, positions in covered.items():
        feats[f"lex_{category}_vocab_share"] = len(positions) / n_chars
        feats[f"lex_{category}_vocab_per100"] = 100.0 * total[category] / n_chars
    feats["lex_vocab_strong_per100"] = 100.0 * len(strong_starts) / n_chars
    if strong_starts:
        cuts = [(m.start(), m.end()) for m in CHAIN_SPLIT.finditer(norm_text)]
        segments = [(s, e) for s, e in zip([0] + [end for _, end in cuts], [start for start, _ in cuts] + [n_chars])
                    if e > s]
        if len(segments) >= 3:
            hit = sum(1 for s, e in segments if any(s <= p < e for p in strong_starts))
            feats["lex_vocab_chain_hit_share"] = hit / len(segments)
    return feats


def normalize(text: str) -> str:
    """text.normalize: whitespace runs replaced by a regex, then stripped."""
    import unicodedata

    from service.analysis.text import _WS_RE, to_simplified

    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    return _WS_RE.sub(" ", text).strip().lower()


def norm_patterns(norm: str, digit_runs):
    """style: the date and source patterns always with IGNORECASE, the document-farm markers as written."""
    from service.features.style import _DATE, _SOURCE, DOCFARM_PLAIN

    return _DATE, _SOURCE, DOCFARM_PLAIN


def element_hidden(self, el) -> str | None:
    """htmlblocks._Walker._element_hidden: every rule tried on every element (the service skips the elements
    that have no attribute, and tries the colour search only on those that declare a colour)."""
    from service.analysis.htmlblocks import (SAME_COLOUR, _shows_itself, box_hidden, hidden_reason,
                                             same_colour_as_background)

    if el.tag == "dialog" and el.get("open") is None:
        return "closed dialog"
    if el.tag == "noscript":
        return "noscript"
    if el.get("hidden") is not None and not _shows_itself(el.get("style", ""), "display:none"):
        return "hidden attribute"
    reason = hidden_reason(el.get("style", ""))
    if reason:
        return reason
    if el.tag in ("marquee", "iframe"):
        reason = box_hidden(el)
        if reason:
            return reason
    if same_colour_as_background(el):
        return SAME_COLOUR
    names = ["." + cls for cls in (el.get("class") or "").split()] + (["#" + el.get("id")] if el.get("id") else [])
    for name in names:  # each hiding selector, under the first of its names, as SheetHiding.hiding orders them
        for selector, reason in self.hiders.items():
            compound = self.sheet.compounds[selector]
            if compound.names[0] == name and compound.matches(el.tag, names) \
                    and not (_shows_itself(el.get("style", ""), reason) and not self.sheet.hidden_at[selector][1]) \
                    and not self.sheet.shown_later(selector, el.tag, names):
                return reason
    return None


def walk(self, el, path: str, run, hidden, in_link: bool, undoable: bool = False):
    """htmlblocks._Walker.walk: recursive, one Python frame per open element (libxml2 stopped at 256
    of them, below Python's recursion limit, until its huge_tree option let pages nest to 2,048)."""
    from service.analysis.htmlblocks import (_LINK_MARK, _SRCDOC_READ, BLOCK_TAGS, EMPTY_TAGS, SKIP_TAGS,
                                             UNDOABLE_REASONS, _ends_paragraph)

    tag = el.tag if isinstance(el.tag, str) else ""
    if (tag in SKIP_TAGS and not (tag == "iframe" and el.get(_SRCDOC_READ) is not None)) or not tag:
        return run
    shown_again = False
    if hidden and undoable:
        if self._hiding_reasons(el, self._element_hidden(el)) - {hidden}:
            undoable = False
        elif self._shows_itself_inside(el, hidden):
            hidden, shown_again = None, True
    hides = None if hidden else self._element_hidden(el)
    if hides:
        undoable = hides in UNDOABLE_REASONS and self._hiding_reasons(el, hides) <= {hides}
    hidden = hidden or hides
    undoable = bool(hidden) and undoable
    my_path = f"{path}/{tag}"
    starts_run = tag in BLOCK_TAGS or ((hides or shown_again) and tag not in EMPTY_TAGS)
    if starts_run:
        parent_run = run
        run = self._new_run(path, my_path, tag, hidden)
    if tag == "br":
        if _ends_paragraph(run):
            run = self._new_run(run.parent, run.path, run.tag, run.hidden, run.element)
        else:
            run.parts.append("\n")
            run.line_start, run.line_link_chars = len(run.parts), run.link_chars
    is_link = tag == "a"
    if is_link:
        if any(part.strip() for part in run.parts):
            run.parts.append(_LINK_MARK)
        run.n_links += 1
        run.n_offsite += self._is_offsite(el.get("href", ""))
    if el.text:
        self._add(run, el.text, in_link or is_link)
    for child in el:
        if not isinstance(child.tag, str):
            if child.tail:
                self._add(run, child.tail, in_link or is_link)
            continue
        run = walk(self, child, my_path, run, hidden, in_link or is_link, undoable)
        if child.tail:
            self._add(run, child.tail, in_link or is_link)
    if starts_run:
        run = self._new_run(parent_run.parent, parent_run.path, parent_run.tag, parent_run.hidden, parent_run.element)
    return run


def is_offsite(self, href: str) -> bool:
    """htmlblocks._Walker._is_offsite: every href joined and split."""
    from urllib.parse import urljoin, urlsplit

    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return False
    try:
        host = (urlsplit(urljoin(self.base_url or "http://x/", href)).hostname or "").lower()
    except ValueError:
        return False
    if not self.host:
        return bool(urlsplit(href).hostname)
    return bool(host) and not (host == self.host or host.endswith("." + self.host)
                               or self.host.endswith("." + host))


def page_norm(page) -> str:
    """Page.norm: the whole text normalised at once."""
    from service.analysis.text import normalize

    return normalize(page.text)


def normalize_blocks(page) -> None:
    """Page.normalize_blocks: nothing; each block normalises its own text when asked (Block.norm)."""


def _cached(owner, name: str, function):
    from functools import cached_property

    prop = cached_property(function)
    prop.__set_name__(owner, name)
    return prop


# (module, attribute, reference) triples that test_identical swaps in to build the "before" verdict.
def swaps() -> list[tuple[object, str, object]]:
    from service.analysis import page as page_module
    from service.analysis import text
    from service.features import context, featurizer, lexicon, style
    from service.features import units as units_module
    from service.model import compiled, pipeline, reasons

    return [
        (compiled.CompiledForest, "leaves", forest_leaves),
        (compiled.LinearScorer, "predict_proba", linear_predict_proba),
        (compiled.HeadBank, "predict", head_bank_predict),
        (htmlblocks._Run, "text", property(run_text)),
        # the unit-bag helpers, wherever they were imported by name
        *[(module, "units", units) for module in (units_module, topicality, context, style)],
        *[(module, "overlap", overlap) for module in (units_module, style)],
        (topicality, "jaccard", jaccard),
        # the block similarities one Counter at a time (unitindex computes them for all blocks at once)
        (featurizer, "topicality_features", topicality_features),
        (featurizer, "stitching_features", stitching_features),
        (featurizer, "script_block_features", script_block_features),
        (featurizer, "script_page_features", script_page_features),
        (page_module.Page, "norm", _cached(page_module.Page, "norm", page_norm)),
        (page_module.Page, "normalize_blocks", normalize_blocks),
        (text, "_langdetect", langdetect_sample),
        (pipeline.PageSieveModel, "block_text_scores", block_text_scores),
        (featurizer, "structure_features", structure_features),
        (text, "cjk_count", cjk_count),
        (text, "traditional_share", traditional_share),
        (text, "detect_language", detect_language),
        (pipeline.PageSieveModel, "page_text_scores", page_text_scores),
        (pipeline, "page_words", page_words),
        *[(module, "to_matrix", to_matrix) for module in (featurizer, pipeline)],
        (style, "_count_phrases", count_phrases),
        (style, "_cjk_chars", style_cjk_chars),
        *[(module, "DOCFARM", style.DOCFARM_PLAIN) for module in (style, reasons)],
        (lexicon.Lexicons, "matches", lexicon_matches),
        (featurizer, "lexicon_features", lexicon_features),
        *[(module, "vocab_features", vocab_features) for module in (featurizer, lexicon)],
        *[(module, "evidence_vocabulary", evidence_vocabulary) for module in (lexicon, reasons)],
        (lexicon, "CHAIN_SPLIT", lexicon.CHAIN_SPLIT_PLAIN),
        (text, "normalize", normalize),
        (style, "_norm_patterns", norm_patterns),
        (style, "_DIGIT_RUN", style._DIGIT_RUN_PLAIN),
        (htmlblocks._Walker, "_element_hidden", element_hidden),
        (htmlblocks._Walker, "_is_offsite", is_offsite),
        (htmlblocks._Walker, "walk", walk),
    ]
