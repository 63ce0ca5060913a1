"""Every feature family: same keys, finite values and determinism on empty, ASCII and Chinese input."""

from __future__ import annotations

import math

import pytest

from service.analysis import build_page
from service.features.context import PageContext
from service.features.lexicon import Lexicons, lexicon_features, vocab_features, vocab_page_features
from service.features.pagestats import page_structure_features
from service.features.script import script_block_features, script_page_features
from service.features.structure import structure_features
from service.features.style import style_features
from service.features.topicality import topicality_features
from service.features.url import url_features

LEXICONS = Lexicons(terms={"porn": ["无码", "人妻"], "gambling": ["百家乐"], "illicit": [], "advert": ["代开发票"],
                           "url": ["spam.example"]})
SAMPLES = {
    "empty": "",
    "ascii": "City council approves budget\n\nThe council voted 7-2 on Tuesday to approve a $334 million budget.",
    "chinese": "湖南省基础教育优质均衡发展研讨会召开\n\n11月28日,湖南省基础教育优质均衡发展研讨会在双峰县召开,"
               "全省各地教育部门负责人、中小学校长共计260余人齐聚一堂。\n- • 百家乐无码人妻\n- • 代开发票",
}
BLOCK_FAMILIES = [structure_features, topicality_features, script_block_features]


def _page(text: str):
    return build_page(text=text, url="http://www.example.cn/news/1.html")


def _assert_finite(feats: dict) -> None:
    for key, value in feats.items():
        assert isinstance(value, float), key
        assert math.isfinite(value), key


@pytest.mark.parametrize("family", BLOCK_FAMILIES, ids=lambda f: f.__name__)
def test_block_families_have_stable_finite_keys(family):
    keys = None
    for name, text in SAMPLES.items():
        page = _page(text or "x")
        ctx = PageContext(page, LEXICONS)
        for block in page.blocks:
            feats = family(block, ctx)
            _assert_finite(feats)
            assert feats == family(block, PageContext(page, LEXICONS)), "deterministic"
            keys = keys or set(feats)
            assert set(feats) == keys, name


@pytest.mark.parametrize("family", [style_features, script_page_features], ids=lambda f: f.__name__)
def test_page_families_have_stable_finite_keys(family):
    results = [family(_page(text)) for text in SAMPLES.values()]
    for feats in results:
        _assert_finite(feats)
        assert set(feats) == set(results[0])
    assert family(_page(SAMPLES["chinese"])) == results[2]


def test_lexicon_features_on_all_samples():
    from service.analysis.text import normalize

    results = [lexicon_features(normalize(text), LEXICONS) for text in SAMPLES.values()]
    for feats in results:
        _assert_finite(feats)
        assert set(feats) == set(results[0])
    assert results[2]["lex_porn_hits"] == 2 and results[2]["lex_gambling_hits"] == 1
    assert results[1]["lex_any_hits"] == 0


def test_lexicon_ascii_terms_match_whole_words_only():
    lex = Lexicons(terms={"advert": ["code"]})
    assert lex.matches("encode the code") == [(11, 15, "code", ("advert",))]


VOCAB_LEXICONS = Lexicons(terms={}, vocab={"porn": {"一区": 3.0, "二区": 3.0, "精品": 2.0, "在线": 1.5},
                                           "gambling": {"永利": 4.0, "casino": 3.0}})


def test_vocab_features_measure_how_much_of_a_block_is_spam_vocabulary():
    chain = vocab_features("精品一区二区在线", VOCAB_LEXICONS)
    assert chain["lex_porn_vocab_share"] == 1.0
    assert chain["lex_porn_vocab_max"] == 3.0
    assert chain["lex_porn_vocab_per100"] == pytest.approx(100 * 9.5 / 8)
    assert chain["lex_gambling_vocab_share"] == 0.0
    prose = vocab_features("永利集团建校65周年,学校举行员工返校日活动", VOCAB_LEXICONS)
    assert 0 < prose["lex_gambling_vocab_share"] < 0.15 and prose["lex_gambling_vocab_max"] == 4.0
    assert prose["lex_porn_vocab_share"] == 0.0
    # Latin vocabulary matches whole words only; no vocabulary at all gives zeros with the same keys
    assert vocab_features("casinos are not casino", VOCAB_LEXICONS)["lex_gambling_vocab_share"] == 6 / 22
    # a chain that mixes spam words with ordinary ones: most segments hold a strong word
    mixed = vocab_features("永利集团_一区新闻_体育直播_永利官网", VOCAB_LEXICONS)
    assert mixed["lex_vocab_chain_hit_share"] == 0.75 and mixed["lex_vocab_strong_per100"] == pytest.approx(300 / 19)
    assert chain["lex_vocab_chain_hit_share"] == 0.0  # one segment is no chain
    empty = vocab_features("精品一区", Lexicons(terms={}))
    assert set(empty) == set(chain) and not any(empty.values())


def test_vocab_page_features_aggregate_blocks():
    rows = [vocab_features(t, VOCAB_LEXICONS) for t in ("精品一区二区在线", "市委书记出席会议并讲话,强调推动发展")]
    page = vocab_page_features(rows, [8, 18], "永利官网", VOCAB_LEXICONS)
    assert page["page_lex_vocab_strong_blocks"] == 1.0 and page["page_lex_vocab_strong_block_share"] == 0.5
    assert page["page_lex_vocab_title_strong"] == 25.0
    assert vocab_page_features(rows, [8, 18])["page_lex_vocab_title_strong"] == 0.0
    assert page["page_lex_porn_vocab_share_max"] == 1.0
    assert page["page_lex_porn_vocab_blocks"] == 1.0
    assert page["page_lex_porn_vocab_spread"] == pytest.approx(8 / 26)
    assert page["page_lex_gambling_vocab_max"] == 0.0


def test_lexicons_without_vocabulary_unpickle():
    import pickle

    old_state = {"terms": {"porn": ["无码"]}, "source_hash": "x"}  # a format-2 artifact's lexicons
    lex = Lexicons.__new__(Lexicons)
    lex.__setstate__(old_state)
    assert lex.vocab == {} and pickle.loads(pickle.dumps(VOCAB_LEXICONS)).vocab == VOCAB_LEXICONS.vocab


def test_style_rates_per_100_words_compare_chinese_and_english():
    """The same density of dates and stock phrases gives similar per-100-word rates in both languages."""
    zh = style_features(_page("总之,2024年3月5日的会议至关重要。" * 10))
    en = style_features(_page("In conclusion, the March 5 meeting was pivotal for everyone there. " * 10))
    assert zh["style_cjk_word_share"] == 1.0 and en["style_cjk_word_share"] == 0.0
    for key in ("style_stock_per100w", "style_dates_per100w"):
        assert zh[key] > 0 and en[key] > 0
        assert 0.5 < zh[key] / en[key] < 2.0, key
    assert zh["style_dates_per1k"] / en["style_dates_per1k"] > 2.5  # what per-character rates get wrong


def test_page_structure_features_empty_and_full():
    for text in SAMPLES.values():
        page = _page(text)
        ctx = PageContext(page, LEXICONS)
        rows = [{**structure_features(b, ctx), **topicality_features(b, ctx),
                 **lexicon_features(b.norm, LEXICONS)} for b in page.blocks]
        _assert_finite(page_structure_features(page, ctx, rows))


@pytest.mark.parametrize("url,key", [
    ("http://njlxjxsb.com/tags/网球发球违例的五种情况.html", "url_stub_path"),
    ("https://tuoyunmall.com/tags-11933.html", "url_stub_path"),
    ("http://www.jikou.net/?s=%E6%90%9C%E7%B4%A2", "url_search_param"),
    ("https://www.zhetiaohe.com/ss/b6c9b8f05d9a4bf10b0b5954121b139e11a89e98.html", "url_hash_segment"),
    ("https://efbklfbvsnq.blog2learn.com/", "url_random_subdomain"),
])
def test_url_features_fire_on_stub_shapes(url, key):
    assert url_features(url)[key] == 1.0


@pytest.mark.parametrize("url", ["https://news.csu.edu.cn/info/1003/123485.htm",
                                 "http://www.syracuse.com/news/index.ssf/2013/05/shy_guys.html"])
def test_url_features_quiet_on_ordinary_articles(url):
    feats = url_features(url)
    assert feats["url_stub_path"] == feats["url_search_param"] == feats["url_random_subdomain"] == 0.0


def test_url_features_without_url():
    feats = url_features("")
    assert feats["url_missing"] == 1.0 and set(feats) == set(url_features("http://a.com/x"))


def test_topicality_separates_related_box_from_farm():
    """Golden pair: an on-topic related box is coherent; a wall of unrelated headlines is not."""
    article = "湖南省教育厅召开基础教育研讨会,研讨义务教育优质均衡发展,湖南省各地教育局长参加会议并交流。"
    related = "\n".join(f"- 湖南省教育{x}优质均衡发展" for x in ("厅部署", "系统推进", "督导检查"))
    farm = "\n".join(f"- {t}" for t in ("萍乡与以色列共建沙漠农业研究中心", "武功山脚下泉水豆腐坊爆火",
                                          "残疾儿童送教上门服务标准化", "新能源汽车销量创新高"))
    for items, expect_high in ((related, True), (farm, False)):
        page = _page(article + "\n\n" + items)
        ctx = PageContext(page, LEXICONS)
        coherence = topicality_features(page.blocks[-1], ctx)["topic_item_coherence"]
        assert (coherence > 0.1) is expect_high, coherence


def test_stitching_features_count_seams_between_unrelated_stories():
    from service.features.stitching import stitching_features

    one_story = ("全市教育大会召开,市委书记出席并讲话,强调要推动全市教育事业高质量发展,加快建设教育强市。\n\n"
                 "会议指出,全市教育系统要坚持立德树人,深化教育改革,推动教育事业高质量发展取得新成效。\n\n"
                 "会议要求,各级各部门要关心支持教育事业,为全市教育高质量发展营造良好环境和氛围。")
    stitched = ("全市教育大会召开,市委书记出席并讲话,强调要推动全市教育事业高质量发展,加快建设教育强市。\n\n"
                "台东近海发生里氏规模5.2级地震,高雄捷运一度停驶,铁路部门随即检查沿线设施状况。\n\n"
                "河南鹿邑一警车遭故意破坏,警方通报八人被立案侦查,其中王某等人已被依法刑事拘留。")
    a, b = (stitching_features(PageContext(_page(t), LEXICONS)) for t in (one_story, stitched))
    assert a["page_topic_prose_pairs"] == b["page_topic_prose_pairs"] == 2.0
    assert a["page_topic_seams"] == 0.0 and b["page_topic_seams"] == 2.0
    assert a["page_topic_mean_adjacent_sim"] > b["page_topic_mean_adjacent_sim"]
    assert stitching_features(PageContext(_page(""), LEXICONS))["page_topic_seam_share"] == 0.0


def test_evidence_vocabulary_lists_strong_words_strongest_first():
    from service.features.lexicon import evidence_vocabulary

    assert evidence_vocabulary("永利集团_一区新闻_精品在线_永利官网", VOCAB_LEXICONS) == ["永利", "一区"]
    assert evidence_vocabulary("", VOCAB_LEXICONS) == [] and evidence_vocabulary("永利", Lexicons(terms={})) == []


def test_filler_under_a_headline_wall_keeps_its_rates_in_the_main_text_features():
    """The stock-phrase rate of a short filler article is measured on its prose, not diluted by the wall."""
    from service.features.style import MAIN_TEXT_RATES, style_features

    filler = ("安源区入选先行区,这不仅是对教育事业的极大肯定,更是对社会各界共同努力的最好回报。"
              "总之,相信在不久的将来,安源区将为全国义务教育均衡发展贡献力量,助力教育事业谱写新篇章。")
    wall = "\n".join(f"- • 某地第{i}届农民丰收节开幕 现场热闹非凡群众喜笑颜开" for i in range(60))
    walled = style_features(build_page(text=f"安源区荣膺先行区\n\n{filler}\n\n{wall}"))
    alone = style_features(build_page(text=f"安源区荣膺先行区\n\n{filler}"))
    assert walled["style_main_share"] < 0.2 and alone["style_main_share"] > 0.8
    assert walled["style_zh_stock_per1k"] < alone["style_zh_stock_per1k"] / 4  # the whole page: diluted
    assert walled["style_main_zh_stock_per1k"] > alone["style_zh_stock_per1k"] * 0.9  # its prose: not
    assert all(alone[f"style_main_{name}"] == alone[f"style_{name}"] for name in MAIN_TEXT_RATES)


def test_prose_only_style_rates_are_computed_only_for_models_trained_with_them(loaded_model):
    """A model pickled before the style_main_ features existed reads none, so its featurizer computes none."""
    from dataclasses import replace

    page_text = "安源区荣膺先行区\n\n" + "总之,相信在不久的将来,安源区将为全国义务教育均衡发展贡献力量。" * 3
    featurizer = loaded_model.model.featurizer
    reads = any(name.startswith("style_main_") for name in loaded_model.model.page_feature_names)
    computed = featurizer.featurize(build_page(text=page_text)).page_row
    assert reads == any(name.startswith("style_main_") for name in computed)
    with_main = replace(featurizer, main_text_style=True).featurize(build_page(text=page_text)).page_row
    assert with_main["style_main_share"] > 0.8 and with_main["style_main_stock_per100w"] > 0


def test_short_latin_text_has_no_language_guess():
    """Under MIN_LATIN_LETTERS Latin letters langdetect guessed (da for "Home", pl for "Privacy policy", so for
    "x"): such text is ``und``. Longer text, CJK, and short text in a script of its own are identified."""
    from service.analysis.text import MIN_LATIN_LETTERS, detect_language

    for short in ("x", "Home", "Privacy policy", "Ça va très bien", "Login | 12345 !!!"):
        assert sum(map(str.isalpha, short)) < MIN_LATIN_LETTERS and detect_language(short) == "und"
    assert detect_language("The city council approved the new library budget on Tuesday.") == "en"
    assert detect_language("教育") == "zh"
    assert detect_language("안녕하세요") == "ko" and detect_language("Γειά σου") == "el"


def test_language_is_cld2s_where_it_is_sure_and_langdetects_where_not():
    """CLD2 names short English messages that langdetect took for Afrikaans or Somali; a text CLD2 cannot name
    (too few distinct words) or cannot read (a control character) is langdetect's; Hebrew gets its ISO 639-1
    code, not CLD2's withdrawn one."""
    from service.analysis import text

    sms = "I place all ur points on e cultures module already."  # langdetect: fr
    assert text._langdetect(sms) != "en" and text._cld2(sms) == "en" and text.detect_language(sms) == "en"
    unsure = "come funziona una slot machine qihq"
    assert text._cld2(unsure) is None and text.detect_language(unsure) == text._langdetect(unsure) == "it"
    unreadable = "The council approved\x00 the library budget on Tuesday."
    assert text._cld2(unreadable) is None and text.detect_language(unreadable) == "en"
    assert text._cld2("\ud800 The council approved the library budget on Tuesday.") is None  # a lone surrogate
    assert text.detect_language("שלום עולם, זהו משפט קצר בעברית על מועצת העיר") == "he"
    assert text.detect_language(sms, identify=text._langdetect) == text._langdetect(sms)


def test_without_pycld2_langdetect_names_every_language(monkeypatch):
    """pycld2 has no wheel for aarch64, where pyproject.toml leaves it out: the service must run there on
    langdetect alone."""
    import sys

    from service.analysis import text

    monkeypatch.setitem(sys.modules, "pycld2", None)  # import pycld2 raises ImportError
    assert text._cld2_module.__wrapped__() is None
    monkeypatch.setattr(text, "_cld2_module", lambda: None)
    sms = "I place all ur points on e cultures module already."
    assert text._cld2(sms) is None and text._identify.__wrapped__(sms) == text._langdetect(sms) != "en"
