"""The baselines: golden pairs (a page each rule must drop, a legitimate look-alike it must keep)
and the rules of the quality chain one by one."""

from __future__ import annotations

import math

import pytest

from training.baselines import FineWebGopherBaseline, LexiconBaseline, make_baselines
from training.baselines.c4 import c4_lines
from training.baselines.fineweb import fineweb_quality, quality_chain
from training.baselines.gopher import duplicated_ngram_chars, gopher_quality, gopher_repetition, top_ngram_chars
from training.baselines.language import EN, ZH, is_symbol_word, sentences, settings_for, words

NEWS_ZH = (
    "市教育局召开全市教育工作会议\n\n"
    "4月25日上午，市教育局在市民中心召开全市教育工作会议，回顾了去年的工作，并部署了今年的重点任务。"
    "会议由副局长王明主持，各区教育局和市属学校的负责人参加了会议。\n\n"
    "局长李华在讲话中指出，过去一年全市新建和改扩建中小学校十二所，新增学位一万四千个，"
    "有效缓解了城区学校的入学压力。他说，今年要继续推进集团化办学，让更多的孩子在家门口上好学校。\n\n"
    "会上，三所学校的校长分别介绍了课后服务、劳动教育和教师培训方面的做法。"
    "与会人员认为，这些经验具体可行，值得在全市推广。\n\n"
    "会议还对教育系统安全生产工作作了安排，要求各校在汛期到来之前完成校舍安全检查，"
    "并在五月底前把检查结果报送市教育局。\n\n"
    "相关阅读\n"
    "市政府召开常务会议\n"
    "全市高考考务培训会举行\n"
    "我市启动义务教育招生工作\n"
)
NEWS_EN = (
    "City council approves new library budget\n\n"
    "The city council voted on Tuesday to approve a budget of $4.2 million for the new public library, "
    "ending a debate that had lasted for more than a year. The building will stand on the site of the old "
    "bus depot and is expected to open in the spring of 2027.\n\n"
    "Council member Maria Lopez said the vote was a victory for the families who had asked for a larger "
    "children's section. \"We listened to the parents, and the plan changed because of them,\" she said.\n\n"
    "The library will have a reading room, twelve study rooms and a small theatre that local groups can "
    "book at no cost. Construction is due to start in August, and the contractor has promised to keep the "
    "nearby streets open during the work.\n\n"
    "Critics of the plan said the city should have repaired the two existing branches first. The council "
    "agreed to review their condition at its next meeting in June.\n"
)
LINK_WALL = "\n".join(f"- • {place}县召开{topic}工作会议" for place in ("安远", "宁都", "于都", "瑞金", "会昌", "寻乌")
                      for topic in ("安全生产", "乡村振兴", "招商引资", "防汛抗旱", "文明创建", "消防安全"))
TEMPLATE_PAGE = "\n\n".join(["总之，我们要坚定信心，助力经济社会发展迈上新台阶，相信在不久的将来一定能够取得更大的成绩。"] * 6)
SPAM_CHAINS = ("亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线\n"
               "buy cheap viagra online, cialis without prescription, online casino bonus\n"
               "本站提供最新资讯。")
CASINO_NEWS = ("澳门特区政府博彩监察协调局周一公布，上月的总收入同比增长百分之十二。\n"
               "业内人士表示，旅客人数回升是收入增长的主要原因，酒店入住率也明显上升。\n"
               "一名经营者对记者说，今年的重点是发展会展和旅游业，减少对赌场收入的依赖。\n"
               "特区政府此前表示，将继续推动经济适度多元发展。\n"
               "分析人士预计，下半年的收入将保持平稳。")


@pytest.fixture(scope="module")
def lexicon(loaded_model) -> LexiconBaseline:
    return LexiconBaseline(loaded_model.model.featurizer.lexicons)


# --- golden pairs -------------------------------------------------------------------------


def test_lexicon_drops_a_page_made_of_keyword_chains(lexicon):
    assert lexicon.predict(SPAM_CHAINS)["injected_spam"] >= 0.5


@pytest.mark.parametrize("text", [CASINO_NEWS, NEWS_ZH, NEWS_EN], ids=["casino-news", "news-zh", "news-en"])
def test_lexicon_keeps_legitimate_pages(lexicon, text):
    assert lexicon.predict(text)["injected_spam"] < 0.5


def test_lexicon_says_only_injected_spam(lexicon):
    scores = lexicon.predict(SPAM_CHAINS)
    assert scores["link_farm"] == scores["fabricated_listicle"] == 0.0


@pytest.mark.parametrize("text", [LINK_WALL, TEMPLATE_PAGE], ids=["link-wall", "template-filler"])
def test_quality_chain_drops_low_quality_pages(text):
    scores = FineWebGopherBaseline().predict(text)
    assert scores["link_farm"] >= 0.5 and scores["fabricated_listicle"] >= 0.5
    assert scores["injected_spam"] == 0.0  # document filters do not look for insertions


@pytest.mark.parametrize("text", [NEWS_ZH, NEWS_EN], ids=["news-zh-with-related-box", "news-en"])
def test_quality_chain_keeps_a_real_article(text):
    assert quality_chain(text) == []
    assert FineWebGopherBaseline().predict(text) == {"injected_spam": 0.0, "link_farm": 0.0,
                                                     "fabricated_listicle": 0.0}


def test_more_failed_rules_rank_higher():
    code_line = "\n配置文件里每一项都写成 {name: value} 的格式。"
    assert quality_chain(NEWS_ZH + code_line) == ["c4_curly_bracket"]
    one_rule = FineWebGopherBaseline().predict(NEWS_ZH + code_line)["link_farm"]
    many = FineWebGopherBaseline().predict(LINK_WALL)["link_farm"]
    assert 0.5 <= one_rule < many < 1.0


# --- every baseline on empty, ASCII-only and Chinese text (STYLE.md 2) ----------------------


@pytest.mark.parametrize("text", ["", "Hello world. " * 3, NEWS_ZH], ids=["empty", "ascii", "chinese"])
def test_baselines_score_every_label_in_range_and_deterministically(loaded_model, text):
    for baseline in make_baselines(loaded_model.model.featurizer.lexicons).values():
        scores = baseline.predict(text, "http://example.com/")
        assert set(scores) == {"injected_spam", "link_farm", "fabricated_listicle"}
        assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in scores.values())
        assert baseline.predict(text, "http://example.com/") == scores


# --- the rules one by one: a text that fires each, a look-alike that does not --------------


def test_chinese_pages_get_chinese_settings_and_jieba_words():
    assert settings_for(NEWS_ZH) is ZH and settings_for(NEWS_EN) is EN
    assert "教育局" in words(NEWS_ZH, ZH)


@pytest.mark.parametrize("word,symbol", [("。", True), ("--", True), ("教育", False), ("2024", False)])
def test_symbol_words(word, symbol):
    assert is_symbol_word(word) is symbol


def test_sentences_split_chinese_and_english():
    assert sentences("会议召开。部署工作！真的吗？") == ["会议召开。", "部署工作！", "真的吗？"]
    assert sentences("It rained. We stayed in, e.g. at home.") == ["It rained.", "We stayed in, e.g.", "at home."]


def test_gopher_quality_short_doc_and_stop_words():
    short = "这是一个很短的页面。"
    assert "gopher_short_doc" in gopher_quality(short, words(short, ZH), ZH)
    assert gopher_quality(NEWS_ZH, words(NEWS_ZH, ZH), ZH) == []


def test_gopher_quality_numbers_page_fails_the_alphabetic_rule():
    table = "\n".join(f"{i} | {i * 37 % 101} | {i * 11 % 7}.{i % 10} | 2024-05-{i % 28 + 1:02d}" for i in range(40))
    assert "gopher_below_alpha_threshold" in gopher_quality(table, words(table, EN), EN)


def test_gopher_quality_bullet_page():
    assert "gopher_too_many_bullets" in gopher_quality(LINK_WALL, words(LINK_WALL, ZH), ZH)


def test_gopher_repetition_duplicate_paragraphs():
    failed = gopher_repetition(TEMPLATE_PAGE, words(TEMPLATE_PAGE, ZH))
    assert "gopher_dup_para_frac" in failed and "gopher_dup_line_char_frac" in failed
    assert gopher_repetition(NEWS_ZH, words(NEWS_ZH, ZH)) == []


def test_gopher_repetition_empty_text():
    assert gopher_repetition("", []) == ["gopher_empty"]


def test_top_and_duplicated_ngrams():
    toks = ["a", "b"] * 10
    assert top_ngram_chars(toks, 2) == len("a b") * 10
    assert duplicated_ngram_chars(toks, 5) > 0
    assert duplicated_ngram_chars(list("abcdefghij"), 5) == 0


def test_c4_drops_code_pages_and_short_lines():
    kept, failed = c4_lines(NEWS_EN + "\nfunction f() { return 1; }\n", EN)
    assert "c4_curly_bracket" in failed
    kept, failed = c4_lines(NEWS_ZH, ZH)
    assert failed == [] and "相关阅读" not in kept  # a one-word line is removed, the page is kept


def test_c4_too_few_sentences():
    assert c4_lines("今天天气很好。我们去公园散步。", ZH)[1] == ["c4_too_few_sentences"]


def test_c4_removes_javascript_and_policy_lines():
    text = NEWS_EN + "\nPlease enable JavaScript to view the comments powered by Disqus.\n" \
                     "This site uses cookies to improve your experience.\n"
    kept, failed = c4_lines(text, EN)
    assert failed == [] and "JavaScript" not in kept and "cookies" not in kept


@pytest.mark.parametrize("text,rule", [
    ("\n".join(["第一行没有标点", "第二行也没有", "第三行还是没有"] * 3), "fineweb_line_punct_ratio"),
    ("\n".join(["短行。"] * 10), "fineweb_short_line_ratio"),
    ("会议召开了。这是一句重复的话。\n" * 2 + "其他内容在这里，足够长的一句话。", "fineweb_char_dup_ratio"),
])
def test_fineweb_rules(text, rule):
    assert rule in fineweb_quality(text, ZH)


def test_fineweb_keeps_article_lines():
    kept, _ = c4_lines(NEWS_ZH, ZH)
    assert fineweb_quality(kept, ZH) == []
