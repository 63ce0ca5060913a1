"""Every feature family: same keys, finite values and determinism on empty, ASCII and Chinese input."""

from __future__ import annotations

import math

import pytest

from service.analysis import build_page
from service.features.context import PageContext
from service.features.lexicon import Lexicons, lexicon_features
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
