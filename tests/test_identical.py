"""Speed-ups change no output: fast code == the reference (pre-speed-up) code, down to whole verdicts.

Both sides are computed here from the same inputs with the committed model,
so the test holds across retrains. Pages: hand-written ones of every kind
(HTML and text, Chinese and English, GBK bytes, hidden spam, link walls,
empty), the seeds and a sample of real corpus pages when ``../shared`` is
there.
"""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest
import reference_impl
from conftest import DATA_DIR, SEEDS_DIR

from service.classify import classify_page
from service.model import compiled
from service.requests import page_from_bytes, parse_page

ZH_ARTICLE = ("全市教育大会召开\n\n4月25日上午,全市教育大会召开。市委书记出席并讲话,强调要推动全市教育事业高质量发展。"
              "会议指出,要坚持立德树人,深化教育改革,加快建设教育强市。\n\n责任编辑:张三 | 分享到 | 打印")
EN_ARTICLE = ("City approves library budget\n\nThe city council approved the new library budget on Tuesday after a "
              "long debate, officials said. Residents told reporters the opening hours matter more than the size "
              "of the building.\n\nHome | About | Contact | Privacy policy")
SPAM = "亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,澳门新葡京娱乐场,彩票平台注册送彩金"
HEADLINES = "\n".join(f"- • 某县{n}号文件公布,{word}工作取得新进展" for n, word in
                      enumerate(["教育", "医疗", "交通", "农业", "旅游", "环保", "养老", "就业"] * 4))
HTML = ("<html><head><title>研讨会召开</title><style>.hide{display:none}</style></head><body>"
        "<nav><a href='/'>首页</a> <a href='/news'>新闻</a> <a href='http://other.example/'>外站</a></nav>"
        "<div class='content'><h1>湖南省基础教育研讨会召开</h1><p>11月28日,湖南省基础教育优质均衡发展研讨会在双峰县召开,"
        "全省各地教育部门负责人、中小学校长共计260余人齐聚一堂。</p><p>会议围绕提高教育质量展开深入探讨交流。<br>"
        "与会代表表示收获很大。</p><ul>" + "".join(f"<li><a href='/n/{i}'>相关阅读第{i}篇 教育动态</a></li>"
                                                 for i in range(14)) +
        "</ul></div><div class='hide'><a href='http://spam.example/'>" + SPAM + "</a></div>"
        "<footer>版权所有 湘ICP备05009375号 <span style='font-size:0px'>博彩 娱乐城</span></footer></body></html>")
EN_HTML = ("<html><head><title>Library budget</title></head><body><header><a href='/'>Home</a><a href='/a'>About</a>"
           "</header><article><p>" + EN_ARTICLE.replace("\n\n", "</p><p>") + "</p></article>"
           "<p style='color:#fff;background:#fff'>cheap viagra casino bonus slots</p></body></html>")


def _handwritten() -> list:
    return [
        parse_page({"id": "zh", "url": "http://edu.example.cn/news/1.html", "text": ZH_ARTICLE}, 10**7),
        parse_page({"id": "zh-spam", "text": ZH_ARTICLE + "\n\n• " + SPAM}, 10**7),
        parse_page({"id": "zh-farm", "url": "http://x.example.top/tags/abc.html", "text": ZH_ARTICLE + "\n\n" + HEADLINES},
                   10**7),
        parse_page({"id": "en", "url": "https://news.example.com/2024/05/01/library.html", "text": EN_ARTICLE}, 10**7),
        parse_page({"id": "trad", "text": "全市教育大會召開,錨定建設教育強市目標,齊心協力推動全市教育事業高質量發展。建設(shè)教育(yù)"}, 10**7),
        parse_page({"id": "html", "url": "http://edu.example.cn/a.html", "html": HTML}, 10**7),
        parse_page({"id": "en-html", "url": "http://news.example.com/a", "html": EN_HTML}, 10**7),
        page_from_bytes(HTML.encode("gbk"), url="http://gbk.example.cn/", req_id="gbk", charset="gbk"),
        parse_page({"id": "empty", "text": ""}, 10**7),
        parse_page({"id": "blank-html", "html": "<html><body>   </body></html>"}, 10**7),
        parse_page({"id": "chain", "text": "_".join(["澳门赌场", "网上娱乐", "百家乐", "真人视讯"] * 6)}, 10**7),
    ]


def _corpus_sample() -> list:
    pages = []
    for path in sorted(SEEDS_DIR.glob("*.txt")) if SEEDS_DIR.is_dir() else []:
        pages.append(parse_page({"id": path.stem, "text": path.read_text(encoding="utf-8")}, 10**7))
    html_files = sorted((DATA_DIR / "gne-test-pages").rglob("*.html"))[::6] + \
        sorted((DATA_DIR / "article-extraction-benchmark" / "html").glob("*.html"))[::30]
    for path in html_files:
        pages.append(page_from_bytes(path.read_bytes(), url=f"http://example.com/{path.name}", req_id=path.name))
    real = DATA_DIR / "realpages-dev" / "pages.jsonl"
    if real.is_file():
        for line in real.read_text(encoding="utf-8").splitlines()[::8]:
            obj = json.loads(line)
            pages.append(parse_page({"id": obj["id"], "url": obj["url"], "text": obj["text"]}, 10**7))
    return pages


PAGES = _handwritten() + _corpus_sample()


def _verdicts(loaded) -> list[str]:
    return [json.dumps(classify_page(req, loaded), ensure_ascii=False, sort_keys=True) for req in PAGES]


def test_whole_verdicts_are_identical_to_the_reference_code(loaded_model, monkeypatch):
    fast = _verdicts(loaded_model)
    for owner, name, reference in reference_impl.swaps():
        monkeypatch.setattr(owner, name, reference)
    before = _verdicts(loaded_model)
    assert len(PAGES) >= 11
    for page, a, b in zip(PAGES, fast, before):
        assert a == b, f"verdict of {page.id} changed"


def _forests(model):
    yield model.block_model
    yield from (head.forest for head in model.page_models.values())
    yield model.clean_model.forest


@pytest.mark.parametrize("rows", [1, 7, 300])
def test_forest_walk_reaches_the_same_leaves(loaded_model, rows):
    rng = np.random.default_rng(rows)
    for forest in _forests(loaded_model.model):
        width = int(forest.feature.max()) + 1
        x = rng.normal(size=(rows, width)) * rng.choice([0.01, 1.0, 100.0], size=(rows, width))
        x[rng.random(x.shape) < 0.1] = 0.0
        np.testing.assert_array_equal(forest.leaves(x), reference_impl.forest_leaves(forest, x))
        x[rng.random(x.shape) < 0.05] = np.nan  # missing values follow missing_go_to_left
        np.testing.assert_array_equal(forest.leaves(x), reference_impl.forest_leaves(forest, x))


@pytest.mark.parametrize("rows", [1, 2, 9])
def test_leaf_bitmasks_reach_the_same_leaves(loaded_model, rows):
    """The bitmask evaluation (used for one row) == the reference walk, NaN included."""
    rng = np.random.default_rng(100 + rows)
    for forest in _forests(loaded_model.model):
        width = int(forest.feature.max()) + 1
        x = rng.normal(size=(rows, width)) * rng.choice([0.01, 1.0, 100.0], size=(rows, width))
        x[rng.random(x.shape) < 0.1] = 0.0
        x[rng.random(x.shape) < 0.05] = np.nan
        masked = forest._masked_arrays()
        assert masked is not None
        np.testing.assert_array_equal(compiled._masked_leaves(x, masked), reference_impl.forest_leaves(forest, x))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_head_bank_gives_every_heads_own_probability(loaded_model, seed):
    """The page heads in one bitmask pass == each head on its own row, NaN included, all heads or the first few,
    and with a head whose trees do not fit the bitmasks; the bank is not pickled."""
    import copy

    model = loaded_model.model
    bank = model._head_bank()
    rng = np.random.default_rng(seed)
    rows = []
    for width in bank.row_widths:
        x = rng.normal(size=(1, width)) * rng.choice([0.01, 1.0, 100.0], size=(1, width))
        x[rng.random(x.shape) < 0.1] = 0.0
        x[rng.random(x.shape) < 0.05] = np.nan
        rows.append(x.astype(np.float32))  # as to_matrix makes them
    assert bank.predict(rows) == reference_impl.head_bank_predict(bank, rows)
    assert bank.predict(rows[:1], count=2) == reference_impl.head_bank_predict(bank, rows, count=2)
    unmasked = copy.deepcopy(bank.heads[0])
    unmasked.forest.__dict__["_masked"] = None  # as for trees of more than 64 leaves
    mixed = compiled.HeadBank([unmasked] + bank.heads[1:], bank.row_of_head, bank.row_widths)
    assert mixed.predict(rows) == reference_impl.head_bank_predict(bank, rows)
    assert mixed.predict(rows[:1], count=1) == reference_impl.head_bank_predict(bank, rows, count=1)
    assert "_heads" in model.__dict__ and "_heads" not in model.__getstate__()


def test_forest_walk_on_no_rows(loaded_model):
    forest = loaded_model.model.block_model
    assert forest.leaves(np.zeros((0, int(forest.feature.max()) + 1))).shape == (0, len(forest.roots))


def test_forest_cache_is_not_pickled(loaded_model):
    import pickle

    forest = loaded_model.model.block_model
    forest.leaves(np.zeros((1, int(forest.feature.max()) + 1)))
    assert "_walk" in forest.__dict__ and "_walk" not in pickle.loads(pickle.dumps(forest)).__dict__
    forest.leaves(np.zeros((1, int(forest.feature.max()) + 1)))
    assert "_masked" in forest.__dict__ and "_masked" not in pickle.loads(pickle.dumps(forest)).__dict__


def test_linear_scorers_give_the_same_scores(loaded_model):
    import pickle

    model = loaded_model.model
    texts = [req.text or req.html or "" for req in PAGES]
    block_x = model._block_hasher.transform(texts)
    page_x = model._page_hasher.transform(texts)
    for scorer, x in [(model.block_text_model, block_x)] + [(m, page_x) for m in model.page_text_models.values()]:
        np.testing.assert_array_equal(scorer.predict_proba(x), reference_impl.linear_predict_proba(scorer, x))
        assert "_coef_t" not in pickle.loads(pickle.dumps(scorer)).__dict__


def _pattern_alphabet(pattern) -> str:
    """Every character of the pattern's source, their upper case, digits of other scripts, case-fold oddities."""
    chars = {ch for ch in pattern.pattern if not ch.isspace()}
    chars |= {ch.upper() for ch in chars} | set("0123456789１２٢ ſKİ\n")
    return "".join(sorted(chars))


@pytest.mark.parametrize("name", ["_DATE", "_SOURCE", "DOCFARM"])
def test_guarded_style_regexes_find_the_same_matches(name):
    """The look-ahead guard of a style regex changes no match, on generated text and on every page here."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.features import style

    guarded, plain = getattr(style, name), getattr(style, f"{name}_PLAIN")
    for page in PAGES:
        text = (page.text or page.html or "").lower()
        assert guarded.findall(text) == plain.findall(text)

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=_pattern_alphabet(plain), max_size=80))
    def same(text):
        assert guarded.findall(text) == plain.findall(text)

    same()


def _same_topicality(page) -> None:
    """topicality and stitching features from the page's unit arrays == from one Counter per block (and the list
    items normalised one by one)."""
    from service.features.context import PageContext
    from service.features.lexicon import Lexicons
    from service.features.stitching import stitching_features
    from service.features.topicality import topicality_features

    fast, slow = PageContext(page, Lexicons()), PageContext(page, Lexicons())
    for block in page.blocks:
        assert topicality_features(block, fast) == reference_impl.topicality_features(block, slow), block.index
    assert stitching_features(fast) == reference_impl.stitching_features(slow)


def _same_traditional_shares(page) -> None:
    from service.analysis.text import traditional_share

    assert page.block_traditional_shares == [traditional_share(b.text) for b in page.blocks]
    assert page.traditional_share == traditional_share(page.text[:20000])


def test_block_traditional_shares_skip_only_what_converts_unchanged():
    """Page.block_traditional_shares (no conversion of the blocks of a head that converts to itself) == every
    block converted on its own: on every page here, on generated pages of simplified and traditional words,
    phrases OpenCC converts as a whole (乾燥 -> 干燥, while 乾 alone stays), broken lines, and long pages
    whose blocks run past the head."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import build_page
    from service.analysis.page import TRADITIONAL_HEAD_CHARS, Block, Page
    from service.analysis.textblocks import page_from_text

    for req in PAGES:
        _same_traditional_shares(build_page(text=req.text, html=req.html, url=req.url, charset=req.charset))
    words = ["教育", "大会", "召开", "發展", "乾", "燥", "乾燥", "乾隆", "著", "名", "頭髮", "头发", "后", "後", "面",
             "a", " ", "。", "\n", "\n\n", "- ", "𠁞", "〇"]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(words), max_size=80))
    def generated(parts):
        text = "".join(parts)
        _same_traditional_shares(page_from_text(text))
        # blocks that are not whole lines of the text: converted on their own
        blocks = [Block(i, s, min(len(text), s + 3), text[s:s + 3]) for i, s in enumerate(range(0, len(text), 2))]
        _same_traditional_shares(Page(text=text, blocks=blocks))

    generated()
    long_text = ("教育大会召开。\n\n" * (TRADITIONAL_HEAD_CHARS // 9)) + "發展乾燥\n\n全市教育"
    _same_traditional_shares(page_from_text(long_text))


def _same_page_norm(page) -> None:
    from service.analysis.text import normalize

    assert page.norm == normalize(page.text)


def test_page_norm_from_the_blocks_is_the_whole_text_normalised():
    """Page.norm joined from the blocks' normal forms == the whole text normalised: on every page here and on
    generated pages (NFKC that composes or expands, traditional phrases across line breaks, final sigma,
    Kelvin sign, ASCII and CJK blocks, blocks that are not whole lines of the text)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import build_page
    from service.analysis.page import Block, Page
    from service.analysis.textblocks import page_from_text

    for req in PAGES:
        _same_page_norm(build_page(text=req.text, html=req.html, url=req.url, charset=req.charset))
    words = ["教育", "發展", "乾", "燥", "乾燥", "頭髮", "ΑΣ", "Σ", "\u212a", "e\u0301", "\u0301", "ﬁ", "Ａ", "，",
             "\u3000", "\u00a0", "\u2f00", "\uf900", "a", "Word", " ", "\t", "。", "\n", "\n\n", "- ", "• ",
             "\u200b", "\ufeff", "\u00ad", "\U000e0041"]

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from(words), max_size=60))
    def generated(parts):
        text = "".join(parts)
        _same_page_norm(page_from_text(text))
        lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
        _same_page_norm(Page(text=text, blocks=[Block(i, s, e, text[s:e]) for i, (s, e) in enumerate(lines)]))
        _same_page_norm(Page(text=text, blocks=[Block(i, s, min(len(text), s + 3), text[s:s + 3])
                                                for i, s in enumerate(range(0, len(text), 4))]))

    generated()
    # what the shortcut takes for granted about the characters below U+2E80 (but 〈 〉)
    import unicodedata

    from service.analysis import text as textops
    from service.analysis.page import _BELOW_CJK, _TO_CJK

    below = [chr(c) for c in range(1, ord(_BELOW_CJK)) if chr(c) not in _TO_CJK and not 0xD800 <= c <= 0xDFFF]
    assert all(max(unicodedata.normalize("NFKC", c)) < _BELOW_CJK for c in below)
    assert not any(map(textops.CJK_RE.search, below))
    joined = "\n".join(c for c in below if c != "\n")
    assert textops._t2s().convert(joined + "\n教育發展") == joined + "\n教育发展"


def test_pinyin_residue_counted_at_the_bracket():
    """script.pinyin_residue_count == len(PINYIN_RESIDUE.findall(text)), on pages here and generated text."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.features import script

    for page in PAGES:
        text = page.text or page.html or ""
        assert script.pinyin_residue_count(text) == len(script.PINYIN_RESIDUE.findall(text))

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet="建設教(（)）shèyùaz1 \n中ü", max_size=60))
    def same(text):
        assert script.pinyin_residue_count(text) == len(script.PINYIN_RESIDUE.findall(text))

    same()
    assert script.pinyin_residue_count("建設(shè)教育(yù)(a)x(b)中（ü）") == 3


def test_page_unit_arrays_give_the_same_similarities():
    """Block similarities computed for all blocks at once (unitindex) are the numbers the Counter bags give,
    on every page here and on generated pages (CJK at the edges of the unit ranges, stop words, titles)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import build_page
    from service.analysis.textblocks import page_from_text

    for req in PAGES:
        _same_topicality(build_page(text=req.text, html=req.html, url=req.url, charset=req.charset))
    words = ["教育", "大会", "召开", "教", "育", "\u3400", "\u4dbf", "\u4dc0", "\u4e00", "\u9fff", "\ua000", "一区",
             "the", "and", "school", "budget", "council", "o'neil", "x-ray", "ab", "12", " ", " ", ",", "。", "\n",
             "\n\n", "\n\n", "- ", "• ", "相关阅读", "首页"]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(words), max_size=120))
    def generated(parts):
        _same_topicality(page_from_text("".join(parts)))

    generated()


# Text langdetect sees in real pages: Latin with accents, capitals, URLs and mail addresses, CJK, kana,
# Hangul, Arabic, Vietnamese combining marks, Romanian commas, punctuation and runs of spaces.
_LANG_ALPHABET = ("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ    ÀÉàéèçñÑöüß.,;:!?'\"-_\n\t0123456789"
                  "中文字日本語がカナ한국어ṢṣẠạỆệٌپیای ș ț\u0301\u0303\u0309 http:// www. @ .com/")


def test_language_id_is_langdetects():
    """The re-implemented language identification returns what langdetect (seed 0) returns."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import langid, text

    def both(sample: str) -> tuple[str, str]:
        return reference_impl.langdetect_sample(sample), text._langdetect.__wrapped__(sample)

    for page in PAGES:
        sample = (page.text or page.html or "")[:2000]
        assert both(sample)[0] == both(sample)[1], page.id
    assert langid.detect("The council approved the library budget on Tuesday.") == "en"

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=_LANG_ALPHABET, max_size=300))
    def same(sample):
        expected, got = both(sample)
        assert got == expected

    same()


def _same_csr(a, b) -> None:
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == b.dtype == np.float64


def test_murmurhash_rows_is_scikit_learns():
    """ngrams.murmurhash3_rows == sklearn's murmurhash3_32 on keys of every length up to 13 bytes."""
    import random

    from sklearn.utils import murmurhash3_32

    from service.model.ngrams import murmurhash3_rows

    rng = random.Random(7)
    for length in range(1, 14):
        keys = [bytes(rng.randrange(256) for _ in range(length)) for _ in range(300)]
        got = murmurhash3_rows(np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), length))
        assert got.tolist() == [murmurhash3_32(key, seed=0) for key in keys]


def test_fast_hashers_give_scikit_learns_matrices(loaded_model):
    """FastHasher on the new analyzers == HashingVectorizer on the reference analyzers, entry for entry."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.features.featurizer import NGRAM_BLOCK_CHARS, NGRAM_PAGE_CHARS

    model = loaded_model.model
    pairs = [(model._block_hasher, reference_impl.block_hasher(), NGRAM_BLOCK_CHARS),
             (model._page_hasher, reference_impl.page_hasher(), NGRAM_PAGE_CHARS)]
    texts = [(req.text or req.html or "").lower() for req in PAGES]
    for fast, slow, chars in pairs:
        _same_csr(fast.transform([t[:chars] for t in texts]), slow.transform([t[:chars] for t in texts]))
        _same_csr(fast.transform(["", "a", "中"]), slow.transform(["", "a", "中"]))
        _same_csr(fast.transform([""]), slow.transform([""]))
        with pytest.raises(ValueError):
            fast.transform([])

    @settings(max_examples=200, deadline=None)
    # CJK n-grams are hashed in NumPy: the ends of their range and characters next to it, astral, 2-byte, newline
    @given(st.lists(st.text(alphabet="教育大会召开全市的了 \t\u3000abc xyz'-09\u4dff\u4e00\u9fff\ua000𠀀é\n",
                            max_size=60), min_size=1, max_size=4))
    def same(docs):
        for fast, slow, _ in pairs:
            _same_csr(fast.transform(docs), slow.transform(docs))

    same()


def test_page_words_are_the_page_texts_own(loaded_model):
    """ngrams.page_words (the blocks' words reused) == segment_raw of the page text, on every page here and on page
    texts cut anywhere; jieba's words of texts joined by a space are each text's words with the space between."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import build_page
    from service.analysis.text import segment_raw
    from service.model.ngrams import page_words

    for req in PAGES:
        page = build_page(text=req.text, html=req.html, url=req.url, charset=req.charset)
        features = loaded_model.model.featurizer.featurize(page)
        norms = [block.norm for block in page.blocks]
        for text, texts in [(features.page_text, features.block_texts),
                            (page.norm[:333], [norm[:40] for norm in norms])]:
            words = page_words(text, norms, texts, [segment_raw(t) for t in texts])
            assert words == segment_raw(text), req.id
    alphabet = "教育發展的是了abcXYZ019+#&._%-，。!?😀 \u3000\t\n\r'()ßé\u0301"

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.text(alphabet=alphabet, max_size=12), min_size=1, max_size=5))
    def joined(parts):
        words = []
        for k, part in enumerate(parts):
            words += ([" "] if k else []) + segment_raw(part)
        assert segment_raw(" ".join(parts)) == words

    joined()


def _random_bag(rng):
    from collections import Counter

    return Counter({f"u{rng.randrange(40)}": rng.randrange(1, 9) for _ in range(rng.randrange(0, 25))})


def test_unit_bag_helpers_give_the_same_numbers():
    import random

    from service.features import units

    rng = random.Random(1)
    for _ in range(500):
        a, b = _random_bag(rng), _random_bag(rng)
        assert units.jaccard(a, b) == reference_impl.jaccard(a, b)
        assert units.overlap(a, b) == reference_impl.overlap(a, b)
        assert units.overlap(set(a), list(b)) == reference_impl.overlap(set(a), list(b))
    for page in PAGES:
        text = (page.text or page.html or "").lower()
        assert units.units(text) == reference_impl.units(text)


def test_structure_and_script_counts_are_the_same():
    """Run-length character counts and the unchanged-text shortcut give the same features."""
    from service.analysis import build_page
    from service.analysis import text as textops
    from service.features.context import PageContext
    from service.features.structure import structure_features

    for req in PAGES:
        page = build_page(text=req.text, html=req.html, url=req.url, charset=req.charset)
        ctx = PageContext(page, None)
        for block in page.blocks:
            assert structure_features(block, ctx) == reference_impl.structure_features(block, ctx)
            assert textops.traditional_share(block.text) == reference_impl.traditional_share(block.text)
        assert textops.cjk_count(page.text) == reference_impl.cjk_count(page.text)
    mixed = "全市教育大會召開 ５月 abc ①② ١٢ 〇 𠀀 ﹏﹏ _"
    assert textops.cjk_count(mixed) == reference_impl.cjk_count(mixed)
    assert structure_features(build_page(text=mixed).blocks[0], PageContext(build_page(text=mixed), None)) == \
        reference_impl.structure_features(build_page(text=mixed).blocks[0], PageContext(build_page(text=mixed), None))


def test_character_classes_of_a_whole_page_are_the_blocks_own():
    """page_class_chars (one count over the page's text) == each block's own table lookup, on every page here,
    on blocks that repeat or touch, and on pages whose blocks do not match its text or run backwards."""
    from service.analysis import build_page
    from service.analysis.page import Block, Page
    from service.features import structure

    for req in PAGES:
        page = build_page(text=req.text, html=req.html, url=req.url, charset=req.charset)
        assert structure.page_class_chars(page) == [structure._class_chars(b.text) for b in page.blocks]
    odd = Page(text="abc 12", blocks=[Block(0, 0, 3, "abc"), Block(1, 4, 9, "12,中文x"), Block(2, 9, 9, "")])
    assert structure.page_class_chars(odd) == [structure._class_chars(b.text) for b in odd.blocks]
    text = "标题\n\n第1段, text 2024.\n\n\n- 列表 a\n- b"
    spans = [(0, 2), (4, 19), (4, 19), (22, 33), (33, 33)]
    laid_out = Page(text=text, blocks=[Block(i, s, e, text[s:e]) for i, (s, e) in enumerate(spans)])
    assert structure.page_class_chars(laid_out) == [structure._class_chars(b.text) for b in laid_out.blocks]
    backwards = Page(text=text, blocks=laid_out.blocks[::-1])
    assert structure.page_class_chars(backwards) == [structure._class_chars(b.text) for b in backwards.blocks]
    assert structure.page_class_chars(Page(text="", blocks=[])) == []


def test_character_classes_by_table_are_the_patterns():
    """structure._class_chars (a code-point table) counts what the four run patterns find, for every
    code point and on generated text (astral characters and lone surrogates included)."""
    import sys

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.features import structure

    every = "".join(map(chr, range(sys.maxunicode + 1)))
    table = structure._class_table()
    for k, pattern in enumerate(structure._CLASSES, 1):
        single = __import__("re").compile(pattern.pattern.rstrip("+"))
        in_class = np.zeros(len(every), dtype=bool)
        for m in single.finditer(every):
            in_class[m.start()] = True
        np.testing.assert_array_equal(table == k, in_class)
    for page in PAGES:
        text = page.text or page.html or ""
        assert structure._class_chars(text) == [structure._chars(p, text) for p in structure._CLASSES]

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=60))
    def same(text):
        assert structure._class_chars(text) == [structure._chars(p, text) for p in structure._CLASSES]

    same()
    assert structure._class_chars("") == [0, 0, 0, 0]
    assert structure._class_chars("\ud800a1中,𠀀١") == [2, 1, 1, 2]  # a lone surrogate is no \w: punctuation


def test_run_text_is_the_same():
    """_Run.text with visible characters counted by str.split == the per-character count."""
    from service.analysis import htmlblocks

    mark = htmlblocks._LINK_MARK
    pieces = ["首页", " ", "\n", mark, "新闻 中心", "\u3000", "\xa0", "a b", "\t", "\x1c", "link text here", ""]
    import random

    rng = random.Random(3)
    for _ in range(400):
        run = htmlblocks._Run(parent="p", path="p/x", tag="div",
                              parts=[rng.choice(pieces) for _ in range(rng.randrange(0, 12))],
                              link_chars=rng.randrange(0, 30), n_links=rng.randrange(0, 6))
        assert run.text == reference_impl.run_text(run)


def test_guarded_boilerplate_regex_finds_the_same_matches():
    """structure._BOILER (first-character look-ahead) == the plain pattern, and _boiler_markers (CJK and Latin
    alternatives counted apart, the Latin ones on lower-cased text) counts its matches, on generated text
    and every page."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.features import structure

    guarded, plain = structure._BOILER, structure._BOILER_PLAIN
    for page in PAGES:
        text = page.text or page.html or ""
        assert guarded.findall(text) == plain.findall(text)
        assert structure._boiler_markers(text) == len(plain.findall(text))

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=_pattern_alphabet(plain) + "\u0130\u0131\u017f\u212a", max_size=80))
    def same(text):
        assert guarded.findall(text) == plain.findall(text)
        assert structure._boiler_markers(text) == len(plain.findall(text))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(plain.pattern.split("|") + ["S", "Share", "SHARE", "ſhare", "Kookie", "版", "a",
                                                               " ", "\n", "İcp", "ıcp"]), max_size=12))
    def words(pieces):
        text = "".join(pieces)
        assert structure._boiler_markers(text) == len(plain.findall(text))

    words()

    same()


def test_stock_phrase_counts_are_str_counts():
    """style._count_phrases (one Aho-Corasick pass) == one str.count per phrase, on pages and generated text."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.features import style

    for page in PAGES:
        text = (page.text or page.html or "").lower()
        for phrases in (style.ZH_STOCK, style.EN_STOCK):
            assert style._count_phrases(text, phrases) == reference_impl.count_phrases(text, phrases)
        assert style._cjk_chars(text) == reference_impl.style_cjk_chars(text)
    odd = ("aa", "aba", "ab", "b", "ab", "seamless", "在不久的将来", "相信在不久的将来", "", "a")

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet="abs emlx在不久的将来相信,", max_size=60))
    def same(text):
        for phrases in (odd, style.EN_STOCK, style.ZH_STOCK):
            assert style._count_phrases(text, phrases) == reference_impl.count_phrases(text, phrases)
        assert style._cjk_chars(text) == reference_impl.style_cjk_chars(text)

    same()
    assert style._count_phrases("seamlesseamless seamless", ("seamless",)) == (2, 1)


def test_to_matrix_is_the_same_matrix():
    """featurizer.to_matrix (one numpy call) == the row-by-row fill, missing keys, NaN and infinities included."""
    import itertools
    import random

    from service.features.featurizer import to_matrix

    rng = random.Random(5)
    specials = [float("nan"), float("inf"), -float("inf"), 0.1, 1e-40, 3.4e38, -0.0, 7, True]
    for n_names, present, n_rows in itertools.product((0, 1, 2, 30), (0.8, 1.0), (0, 1, 5, 40)):
        names = [f"f{i}" for i in range(n_names)]
        rows = [{name: (rng.choice(specials) if rng.random() < 0.2 else rng.uniform(-1e6, 1e6))
                 for name in names if rng.random() < present} for _ in range(n_rows)]
        for row in rows:
            row["extra"] = 1.0
        fast, slow = to_matrix(rows, names), reference_impl.to_matrix(rows, names)
        assert fast.dtype == slow.dtype == np.float32 and fast.shape == slow.shape
        np.testing.assert_array_equal(fast, slow)
        assert np.signbit(fast).tolist() == np.signbit(slow).tolist()  # -0.0 stays -0.0


def test_lexicon_features_are_the_same(loaded_model):
    """lexicon/vocabulary features and matches (precomputed keys, guarded separator) == the originals."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis.text import normalize
    from service.features import lexicon

    lexicons = loaded_model.model.featurizer.lexicons
    all_vocab = sorted({w for words in lexicons.vocab.values() for w in words})
    all_terms = sorted({t for words in lexicons.terms.values() for t in words})
    # the first ones (ASCII) and a spread over the rest (CJK), with words that end other words
    vocab_words = all_vocab[:40] + all_vocab[::max(1, len(all_vocab) // 40)]
    vocab_words += [w[1:] for w in vocab_words if len(w) > 2][:20]
    terms = all_terms[:40] + all_terms[::max(1, len(all_terms) // 40)]

    def same(text: str) -> None:
        got = lexicons.matches(text)
        assert got == reference_impl.lexicon_matches(lexicons, text)
        assert lexicon.lexicon_features(text, lexicons, got) == reference_impl.lexicon_features(text, lexicons, got)
        assert lexicon.lexicon_features(text, lexicons) == reference_impl.lexicon_features(text, lexicons)
        assert lexicon.vocab_features(text, lexicons) == reference_impl.vocab_features(text, lexicons)
        assert lexicon.evidence_vocabulary(text, lexicons) == reference_impl.evidence_vocabulary(text, lexicons)
        assert lexicon.CHAIN_SPLIT.split(text) == lexicon.CHAIN_SPLIT_PLAIN.split(text)

    for page in PAGES:
        same(normalize(page.text or page.html or ""))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(vocab_words + terms + ["_", ",", " ", "  ", " | ", "丨", "、", "/", "\t", "\u3000",
                                                          "a", "新闻", "code", "1", "𠀀", "é"]), max_size=25))
    def generated(pieces):
        same("".join(pieces))

    generated()


def test_normalize_is_the_same():
    """text.normalize (whitespace runs by str.split) == the regex version, on pages and generated text."""
    import re
    import sys

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import text

    every_space = "".join(chr(c) for c in range(sys.maxunicode + 1) if re.match(r"\s", chr(c)))
    assert every_space == "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    for page in PAGES:
        raw = page.text or page.html or ""
        assert text.normalize(raw) == reference_impl.normalize(raw)

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=every_space + "aZ體育ΣΑ，１ﬁ\u200b\ufeff\u00ad\u200de\u0301\U000e0041", max_size=40))
    def same(sample):
        assert text.normalize(sample) == reference_impl.normalize(sample)

    same()


def test_normalize_all_is_normalize_text_by_text():
    """text.normalize_all == normalize of each text, on the blocks of every page here and on generated lists of texts
    (NFKC that composes or expands next to a line break, traditional phrases cut by line breaks, texts with and
    without CJK, empty ones)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import build_page
    from service.analysis import text

    for req in PAGES:
        blocks = [b.text for b in build_page(text=req.text, html=req.html, url=req.url, charset=req.charset).blocks]
        assert text.normalize_all(blocks) == [text.normalize(b) for b in blocks]
    words = ["教育", "發展", "乾", "燥", "乾燥", "頭髮", "ΑΣ", "Σ", "\u212a", "e\u0301", "\u0301", "ﬁ", "Ａ", "，",
             "\u3000", "\u00a0", "\u2f00", "\uf900", "\u1100", "\u1161", "a", "Word", " ", "\t", "。", "\n", "\r",
             "\u200d", "\ufeff", "\u2060"]

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.lists(st.sampled_from(words), max_size=8).map("".join), max_size=12))
    def same(texts):
        assert text.normalize_all(texts) == [text.normalize(t) for t in texts]

    same()


def test_date_source_and_docfarm_patterns_on_lower_cased_text():
    """The date, source and document-farm patterns style picks for a normal form (case-sensitive, literal-first,
    ASCII digits only) find what the IGNORECASE ones as written find there; so do the faster digit runs."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis.text import normalize
    from service.features import style

    def same(norm: str) -> None:
        digit_runs = style._DIGIT_RUN.findall(norm)
        assert digit_runs == style._DIGIT_RUN_PLAIN.findall(norm)
        date_re, source_re, docfarm_re = style._norm_patterns(norm, digit_runs)
        assert date_re.findall(norm) == style._DATE.findall(norm)
        assert source_re.findall(norm) == style._SOURCE.findall(norm)
        assert docfarm_re.findall(norm) == style.DOCFARM_PLAIN.findall(norm)

    for page in PAGES:
        same(normalize(page.text or page.html or ""))
    alphabet = (_pattern_alphabet(style._DATE_PLAIN) + _pattern_alphabet(style._SOURCE_PLAIN) +
                _pattern_alphabet(style.DOCFARM_PLAIN) + "\u0130\u0131\u017f\u212a٣߂")

    @settings(max_examples=1500, deadline=None)
    @given(st.text(alphabet=alphabet, max_size=80))
    def generated(text):
        same(text)
        same(normalize(text))

    generated()
    # texts of the alphabet's words and numbers, where the alternatives do match
    words = ["said", "according to", "reported", "told", "ap", "afp", "reuters", "upi", "spokesman", "spokesperson",
             "jan", "may", "june", "sept.", "dec", "1999", "2024", "19", "20", "12", "3", "年", "月", "日", "号",
             "-", "/", ".", " ", "  ", "x", "_", "篇", "第", "页", "共", "精选", "格式:", "docx", "大小:", "kb",
             "记者", "(", "据", "报道", "٣", "1.5", ","]

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(st.sampled_from(words), max_size=30))
    def phrases(parts):
        same("".join(parts))

    phrases()
    assert style._norm_patterns("said \u0131", [])[:2] == (style._DATE, style._SOURCE)
    assert style._norm_patterns("Said", [])[:2] == (style._DATE, style._SOURCE)
    assert style._norm_patterns("said 12", ["12"]) == (style._DATE_ASCII, style._SOURCE_LOWER, style._DOCFARM_ASCII)
    assert style._norm_patterns("said ٣", ["٣"]) == (style._DATE_LOWER, style._SOURCE_LOWER, style.DOCFARM)


def test_zero_size_rule_is_the_single_pattern_it_replaced():
    """``_zero_size`` (two searches per line, linear) == the one pattern with ``.*`` between the declarations."""
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis.htmlblocks import _zero_size

    plain = re.compile(r"(?<![-\w])(?:height|width)\s*:\s*[01]px.*overflow\s*:\s*hidden|"
                       r"overflow\s*:\s*hidden.*(?<![-\w])(?:height|width)\s*:\s*[01]px", re.IGNORECASE)
    parts = ["height", "width", "max-height", "xheight", ":", " ", "0px", "1px", "2px", "0", "px", "overflow",
             "hidden", ";", "\n", "\r", "-", "Height", "OVERFLOW", "a"]

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(st.sampled_from(parts), max_size=20))
    def same(pieces):
        style = "".join(pieces)
        assert bool(plain.search(style)) == _zero_size(style), style

    same()


def test_highlight_segments_are_the_ones_every_span_at_every_cut_gave():
    """The review view's segments, found in one sweep, == each cut checked against every span (the old form)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.model import BLOCK_LABELS
    from service.review.highlight import PRIORITY, Segment, labelled_spans, segments

    def every_span_at_every_cut(text, spans):
        n = len(text)
        clean = labelled_spans(n, spans)
        cuts = sorted({0, n, *(s for s, _, _, _ in clean), *(e for _, e, _, _ in clean)})
        out = []
        for a, b in zip(cuts, cuts[1:]):
            covering = [c for c in clean if c[0] <= a and b <= c[1]]
            best = max(covering, key=lambda c: (PRIORITY[c[2]], -(c[1] - c[0]))) if covering else None
            seg = Segment(a, b, best[2], best[3]) if best else Segment(a, b, None, None)
            if out and out[-1].label == seg.label and out[-1].span == seg.span:
                out[-1] = Segment(out[-1].start, b, seg.label, seg.span)
            else:
                out.append(seg)
        return out

    span = st.fixed_dictionaries({"start": st.integers(-3, 40), "end": st.integers(-3, 45),
                                  "label": st.sampled_from([*BLOCK_LABELS, "spam", None])})

    @settings(max_examples=1500, deadline=None)
    @given(st.integers(0, 40), st.lists(span, max_size=12))
    def same(n, spans):
        assert segments("x" * n, spans) == every_span_at_every_cut("x" * n, spans)

    same()


def test_offsite_links_are_the_same():
    """_Walker._is_offsite with the path-absolute shortcut == urljoin and urlsplit on every href."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import htmlblocks

    pieces = ["/", "//", "\\", "\t", "\n", "\r", " ", "\x00", "a", "x.example.com", "news.example.cn", "example.cn",
              "http:", "https:", "foo:", "#", "?q=1", ".", "..", "[", "]", ":80", "@", "javascript:", "mailto:"]
    walkers = [htmlblocks._Walker(base, htmlblocks.SheetHiding()) for base in
               ("", "http://news.example.cn/a/b.html", "https://example.cn", "foo://news.example.cn/", "file:///x")]

    @settings(max_examples=600, deadline=None)
    @given(st.lists(st.sampled_from(pieces), max_size=8))
    def same(parts):
        href = "".join(parts)
        for walker in walkers:
            assert walker._is_offsite(href) == reference_impl.is_offsite(walker, href), (walker.base_url, href)

    same()


def _blocks(page) -> list[tuple]:
    return [(b.start, b.end, b.text, b.kind, b.path, b.link_chars, b.n_links, b.n_offsite_links, b.hidden)
            for b in page.blocks]


def test_walk_without_recursion_gives_the_recursive_walks_blocks(monkeypatch):
    """_Walker.walk over a stack of open elements == the recursive walk, on every corpus HTML page and on
    random nestings of block, inline, link, hidden and skipped elements with text and tails."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from service.analysis import htmlblocks

    def both(html: str, url: str = "http://news.example.cn/a.html"):
        fast = htmlblocks.page_from_html(html, url)
        with monkeypatch.context() as patch:
            patch.setattr(htmlblocks._Walker, "walk", reference_impl.walk)
            slow = htmlblocks.page_from_html(html, url)
        return fast, slow

    html_files = sorted((DATA_DIR / "gne-test-pages").rglob("*.html")) + \
        sorted((DATA_DIR / "article-extraction-benchmark" / "html").glob("*.html"))
    for path in html_files:
        fast, slow = both(path.read_bytes().decode("utf-8", "replace"))
        assert (fast.text, fast.title, _blocks(fast)) == (slow.text, slow.title, _blocks(slow)), path.name

    opening = ["<div>", "<p>", "<span>", "<font color=red>", "<a href='/x'>", "<a href='http://o.example.com/'>",
               "<li>", "<ul>", "<td>", "<h2>", "<b>", "<div style='display:none'>", "<script>", "<br>", "<!-- c -->",
               "<div style='font-size:0'>", "<span style='font-size:14px'>", "<p style='visibility:visible'>",
               "<span style='visibility:hidden'>", "<div style='font-size:0;left:-9999px'>"]
    closing = ["</div>", "</p>", "</span>", "</font>", "</a>", "</li>", "</ul>", "</td>", "</h2>", "</b>", "</script>"]
    words = ["新闻 ", "首页", "澳门赌场", "long text about the library budget ", "\n", " "]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(opening + closing + words), max_size=120))
    def same(pieces):
        fast, slow = both("<html><body>" + "".join(pieces) + "</body></html>")
        assert (fast.text, _blocks(fast)) == (slow.text, _blocks(slow))

    same()


def test_format_characters_dropped_are_category_cf():
    """drop_format_characters (an ASCII shortcut, then one class below U+FFFF and one above) drops exactly the
    code points of Unicode category Cf: every code point at once, and each alone among CJK text."""
    import unicodedata

    from service.analysis.text import drop_format_characters

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert drop_format_characters(every) == "".join(ch for ch in every if unicodedata.category(ch) != "Cf")
    for ch in (chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"):
        assert drop_format_characters(f"澳{ch}门 a{ch}b") == "澳门 ab"
    assert drop_format_characters("plain ASCII\n") == "plain ASCII\n"
