"""From model probabilities to the verdict: what the decision rules do with block and page probabilities."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from service.analysis.page import build_page
from service.model import BLOCK_LABELS
from service.model.verdict import Policy, block_label_max, decide

MENU = "<nav><a href='/'>首页</a><a href='/n'>新闻</a><a href='/c'>通知公告</a></nav>"
ARTICLE = "11月28日,湖南省基础教育优质均衡发展研讨会在双峰县召开,全省各地教育部门负责人、中小学校长共计260余人齐聚一堂。"
FOOTER = "<footer>版权所有 湘ICP备05009375号</footer>"


def _verdict(loaded_model, block_proba: list[list[float]], label_proba: dict[str, float] | None = None,
             policy: Policy | None = None) -> dict:
    """The verdict on a menu, one paragraph and a footer, the block model's probabilities set to ``block_proba``
    (and the page's label probabilities updated with ``label_proba``), under ``policy`` (default the model's)."""
    page = build_page(html=f"<html><body>{MENU}<p>{ARTICLE}</p>{FOOTER}</body></html>",
                      url="http://edu.example.cn/a.html")
    pred = loaded_model.model.predict(page)
    assert len(page.blocks) == len(block_proba)
    pred = replace(pred, block_proba=np.array(block_proba), label_proba={**pred.label_proba, **(label_proba or {})})
    return decide(pred, policy or loaded_model.policy, loaded_model.model.featurizer.lexicons)


def _proba(**kw: float) -> list[float]:
    return [kw.get(label, 0.0) for label in BLOCK_LABELS]


def test_a_page_whose_every_block_looks_like_boilerplate_keeps_its_likeliest_content_block(loaded_model):
    body = _verdict(loaded_model, [_proba(content=0.05, boilerplate=0.95), _proba(content=0.35, boilerplate=0.65),
                                   _proba(content=0.02, boilerplate=0.98)])
    assert ARTICLE in body["clean_text"] and "首页" not in body["clean_text"] and "ICP" not in body["clean_text"]
    assert [s["excerpt"][:2] for s in body["spans"] if s["label"] == "boilerplate"] == ["首页", "版权"]


def test_boilerplate_is_still_cut_when_a_content_block_remains(loaded_model):
    body = _verdict(loaded_model, [_proba(content=0.05, boilerplate=0.95), _proba(content=0.9, boilerplate=0.1),
                                   _proba(content=0.3, boilerplate=0.7)])
    assert body["clean_text"] == ARTICLE
    assert len([s for s in body["spans"] if s["label"] == "boilerplate"]) == 2


def test_a_bad_block_is_cut_only_when_the_page_is_flagged_with_its_label(loaded_model):
    blocks = [_proba(content=0.05, boilerplate=0.95), _proba(content=0.9, boilerplate=0.1), _proba(link_farm=0.9)]
    unflagged = _verdict(loaded_model, blocks, {"link_farm": 0.0})
    assert unflagged["flags"] == [] and [s["label"] for s in unflagged["spans"]] == ["boilerplate", "link_farm"]
    assert "ICP" in unflagged["clean_text"]  # reported, not cut: the page-level decision says keep
    flagged = _verdict(loaded_model, blocks, {"link_farm": 0.99})
    assert flagged["flags"] == ["link_farm"] and flagged["action"] == "strip"
    assert flagged["clean_text"] == ARTICLE


def _block_flag_policy(loaded_model, block_flag: dict[str, float]) -> Policy:
    """The model's policy with its span thresholds at 0.95 and ``block_flag`` as its block-flag thresholds."""
    policy = loaded_model.policy
    return replace(policy, block={**policy.block, "injected_spam": 0.95}, block_flag=block_flag)


def test_a_sure_injected_block_flags_the_page_even_when_the_page_head_doubts_it(loaded_model):
    """LABELS.md: a page that contains an injected_spam block is an injected_spam page. A block at or over the
    block-flag threshold flags it and is stripped, and the verdict says why; one under it is only reported."""
    policy = _block_flag_policy(loaded_model, {"injected_spam": 0.97})
    blocks = [_proba(content=0.05, boilerplate=0.95), _proba(content=0.9, boilerplate=0.1)]
    sure = _verdict(loaded_model, blocks + [_proba(injected_spam=0.98, content=0.02)], {"injected_spam": 0.1}, policy)
    assert sure["flags"] == ["injected_spam"] and sure["action"] == "strip"
    assert sure["clean_text"] == ARTICLE
    reason = next(r for r in sure["reasons"] if r["code"] == "SURE_BLOCK")
    spam = next(s for s in sure["spans"] if s["label"] == "injected_spam")
    assert reason["spans"] == [[spam["start"], spam["end"]]] and "0.980" in reason["evidence"][0]
    unsure = _verdict(loaded_model, blocks + [_proba(injected_spam=0.96, content=0.04)], {"injected_spam": 0.1},
                      policy)
    assert unsure["flags"] == [] and unsure["action"] == "keep"
    assert [s["label"] for s in unsure["spans"]] == ["boilerplate", "injected_spam"]
    assert "ICP" in unsure["clean_text"] and not any(r["code"] == "SURE_BLOCK" for r in unsure["reasons"])
    without = _verdict(loaded_model, blocks + [_proba(injected_spam=0.999, content=0.001)], {"injected_spam": 0.1},
                       _block_flag_policy(loaded_model, {}))
    assert without["flags"] == []  # no block-flag threshold: only the page head flags


def test_a_page_flagged_by_its_head_does_not_cite_a_sure_block(loaded_model):
    policy = _block_flag_policy(loaded_model, {"injected_spam": 0.97})
    blocks = [_proba(content=0.05, boilerplate=0.95), _proba(content=0.9, boilerplate=0.1),
              _proba(injected_spam=0.99, content=0.01)]
    body = _verdict(loaded_model, blocks, {"injected_spam": 0.99}, policy)
    assert body["flags"] == ["injected_spam"] and not any(r["code"] == "SURE_BLOCK" for r in body["reasons"])


def test_block_label_max_counts_only_the_blocks_the_block_model_gives_that_label(loaded_model):
    page = build_page(html=f"<html><body>{MENU}<p>{ARTICLE}</p>{FOOTER}</body></html>", url="http://e.cn/a.html")
    pred = loaded_model.model.predict(page)
    # the second block's injected_spam probability is the larger, but it is a content block
    pred = replace(pred, block_proba=np.array([_proba(boilerplate=1.0), _proba(content=0.5, injected_spam=0.45),
                                               _proba(injected_spam=0.4, content=0.3, boilerplate=0.3)]))
    assert block_label_max(pred, "injected_spam") == 0.4
    assert block_label_max(replace(pred, block_proba=np.zeros((0, len(BLOCK_LABELS)))), "injected_spam") == 0.0


def test_the_block_flag_thresholds_are_read_from_the_manifest_and_written_back():
    thresholds = {"flag": {"injected_spam": 0.8}, "review": {"injected_spam": 0.48}, "block": {"injected_spam": 0.95},
                  "drop_share": 0.6}
    older = Policy.from_manifest(thresholds)
    assert older.block_flag == {} and "block_flag" not in older.to_json()
    newer = Policy.from_manifest({**thresholds, "block_flag": {"injected_spam": 0.97}})
    assert newer.block_flag == {"injected_spam": 0.97}
    assert Policy.from_manifest(newer.to_json()) == newer


def test_a_sure_spam_block_does_not_flag_a_page_flagged_fabricated(loaded_model):
    """On a keyword-targeted fabricated page the spam words are its topic: the page is fabricated_listicle only
    (LABELS.md), and its spam block stays a reported span of a dropped page."""
    policy = _block_flag_policy(loaded_model, {"injected_spam": 0.97})
    fabricated = policy.flag["fabricated_listicle"]
    blocks = [_proba(content=0.05, boilerplate=0.95), _proba(content=0.9, boilerplate=0.1),
              _proba(injected_spam=0.99, content=0.01)]
    body = _verdict(loaded_model, blocks, {"injected_spam": 0.1, "fabricated_listicle": fabricated}, policy)
    assert body["flags"] == ["fabricated_listicle"] and body["action"] == "drop"
    assert any(s["label"] == "injected_spam" for s in body["spans"])
    below = _verdict(loaded_model, blocks, {"injected_spam": 0.1, "fabricated_listicle": fabricated - 0.01}, policy)
    assert "injected_spam" in below["flags"]


def test_a_sure_block_with_no_specific_rule_is_explained_once_and_not_by_the_page_score(loaded_model):
    """An on-topic paragraph the block model is sure is spam fires no specific rule (its span says MODEL_SCORE).
    The page's reasons hold MODEL_SCORE once, for the span, and SURE_BLOCK for the flag: not a second MODEL_SCORE
    citing the page score (0.10) that is under its threshold."""
    second = "研讨会上,双峰县教育局负责人介绍了全县基础教育优质均衡发展的做法,与会的中小学校长围绕均衡发展展开交流。"
    page = build_page(html=f"<html><body><p>{ARTICLE}</p><p>{second}</p></body></html>", url="http://edu.example.cn/a")
    pred = loaded_model.model.predict(page)
    pred = replace(pred, block_proba=np.array([_proba(content=0.9, boilerplate=0.1), _proba(injected_spam=0.98)]),
                   label_proba={**pred.label_proba, "injected_spam": 0.1})
    body = decide(pred, _block_flag_policy(loaded_model, {"injected_spam": 0.97}), loaded_model.model.featurizer.lexicons)
    assert body["flags"] == ["injected_spam"] and [s["reasons"] for s in body["spans"]] == [["MODEL_SCORE"]]
    assert [r["code"] for r in body["reasons"]] == ["MODEL_SCORE", "SURE_BLOCK"]
    assert "injected_spam 0.10" not in [e for r in body["reasons"] for e in r["evidence"]]


def test_invisible_format_characters_do_not_hide_spam(loaded_model):
    """A spam line split by zero-width spaces, soft hyphens, word joiners or a BOM reads as the line it shows,
    in text or in HTML: the same verdict as without them (split, it scored 0.58 on injected spam, not 1.0)."""
    spam = "澳门新葡京娱乐场官网百家乐注册送彩金"
    paragraph = "6月21日,台湾明新科技大学师生来{}进行访问交流,双方就人才培养、课程建设等方面展开深入讨论。"
    plain = ARTICLE + "\n\n" + ARTICLE + "\n\n" + paragraph.format(spam) + "\n\n" + ARTICLE

    def verdict(**page) -> dict:
        pred = loaded_model.model.predict(build_page(url="http://edu.example.cn/a.html", **page))
        return decide(pred, loaded_model.policy, loaded_model.model.featurizer.lexicons)

    expected = verdict(text=plain)
    assert expected["labels"]["injected_spam"] > 0.9 and expected["action"] == "strip"
    as_html = "<html><body>" + "".join(f"<p>{p}</p>" for p in plain.split("\n\n")) + "</body></html>"
    expected_html = verdict(html=as_html)
    for mark in ("\u200b", "\u00ad", "\u2060", "\ufeff\u200d"):
        assert verdict(text=plain.replace(spam, mark.join(spam))) == expected
        assert verdict(html=as_html.replace(spam, mark.join(spam))) == expected_html
    # in HTML the same characters written as entities, which the parser decodes after they were dropped
    for entity in ("&#8203;", "&ZeroWidthSpace;", "&shy;", "&#x202E;", "&#xfeff;&zwj;"):
        assert verdict(html=as_html.replace(spam, entity.join(spam))) == expected_html


def test_quality_falls_with_thin_content(loaded_model):
    """An empty page has quality 0 (it had the clean probability, 0.98); a line of text gets a fraction of its
    clean probability; a page with THIN_CONTENT_CHARS of main content or more is discounted only for its share
    of boilerplate."""
    from service.model.verdict import THIN_CONTENT_CHARS, quality

    def judged(text: str) -> tuple[dict, float]:
        pred = loaded_model.model.predict(build_page(text=text, url="http://edu.example.cn/a.html"))
        return decide(pred, loaded_model.policy, loaded_model.model.featurizer.lexicons), pred.clean_proba

    empty, _ = judged("")
    assert empty["quality"] == 0.0 and empty["action"] == "keep"
    line, clean = judged(ARTICLE[:30])
    assert line["quality"] == round(clean * 30 / THIN_CONTENT_CHARS, 4)
    article, clean = judged("\n\n".join([ARTICLE] * 3))
    assert article["quality"] == round(clean, 4)
    assert quality(0.9, 0, 0.0) == 0.0 and quality(0.9, 500, 0.5) == round(0.9 * 0.8, 4)


def test_spam_set_apart_by_line_breaks_is_its_own_span(loaded_model):
    """A spam paragraph appended to an article whose paragraphs are set apart by <br><br> or <br> in one element
    (old CMS pages) is cut as it is from <p> paragraphs: it was read as part of one article block, and the page
    kept (0.06 on injected spam)."""
    spam = "亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,天天都在看高清无码"
    paragraphs = [ARTICLE, "会议强调,要坚持教育优先发展,加大投入保障力度,推进基础教育扩优提质,办好人民满意的教育。",
                  "会议要求,各地各部门要压实责任,细化措施,确保全市教育大会精神落地见效,为建设教育强市贡献力量。"]

    def judged(body: str) -> dict:
        html = f"<html><head><title>全市教育大会召开</title></head><body>{MENU}{body}{FOOTER}</body></html>"
        pred = loaded_model.model.predict(build_page(html=html, url="http://edu.example.cn/a.html"))
        return decide(pred, loaded_model.policy, loaded_model.model.featurizer.lexicons)

    for body in ("".join(f"<p>{p}</p>" for p in paragraphs + [spam]),
                 "<div class=content>" + "<br><br>".join(paragraphs + [spam]) + "</div>",
                 "<div class=content>" + "<br>".join("\u3000\u3000" + p for p in paragraphs + [spam]) + "</div>",
                 "".join(f"<p>{p}</p>" for p in paragraphs[:-1]) + f"<p>{paragraphs[-1]}<br>{spam}</p>"):
        verdict = judged(body)
        assert verdict["action"] == "strip" and verdict["flags"] == ["injected_spam"], body[:40]
        assert [s["excerpt"] for s in verdict["spans"] if s["label"] == "injected_spam"] == [spam]
        assert spam not in verdict["clean_text"] and all(p in verdict["clean_text"] for p in paragraphs)


def test_a_link_wall_hidden_by_legacy_markup_or_inside_a_paragraph_is_cut_as_hidden(loaded_model):
    """Link walls hidden the old ways (a marquee too small to read, white links in a white cell, a hiding
    element written by scripts around the wall) and a display:none span inside the article paragraph: each is
    its own span, explained as hidden, and the article is kept whole. The marquee, the cell and the scripted
    element were read as visible, and the span as part of the article."""
    names = ["澳门新葡京娱乐场", "太阳城百家乐", "皇冠足球比分", "六合彩开奖结果", "银河娱乐官网", "真人百家乐技巧"]
    links = "".join(f'<a href="http://www.bet{i}.example.com/">{name}</a>' for i, name in enumerate(names))
    more = "会议强调,要坚持教育优先发展,加大投入保障力度,推进基础教育扩优提质,办好人民满意的教育。"

    def judged(body: str) -> dict:
        html = f"<html><head><title>全市教育大会召开</title></head><body>{MENU}{body}{FOOTER}</body></html>"
        pred = loaded_model.model.predict(build_page(html=html, url="http://edu.example.cn/a.html"))
        return decide(pred, loaded_model.policy, loaded_model.model.featurizer.lexicons)

    for body, path in ((f"<p>{ARTICLE}</p><p>{more}</p><marquee height=1 width=4 scrollamount=3000>{links}</marquee>",
                        "html/body/marquee"),
                       (f"<p>{ARTICLE}</p><p>{more}</p><table><tr><td bgcolor=#FFFFFF><font color=white>{links}</font>"
                        "</td></tr></table>", "html/body/table/tr/td/font"),
                       (f"<p>{ARTICLE}<span style='display:none'>{links}</span></p><p>{more}</p>", "html/body/p/span"),
                       (f"<p>{ARTICLE}</p><p>{more}</p><script>document.write('<div style=\"display:none\">')</script>"
                        f"{links}<script>document.write('</div>')</script>", "html/body/div")):
        verdict = judged(body)
        assert verdict["action"] == "strip" and verdict["flags"] == ["injected_spam"], path
        walls = [s for s in verdict["spans"] if s["label"] == "injected_spam"]
        assert [(s["excerpt"].split()[0], s["path"]) for s in walls] == [(names[0], path)]
        assert "HIDDEN_LINK_BLOCK" in walls[0]["reasons"]
        assert ARTICLE in verdict["clean_text"] and more in verdict["clean_text"]
        assert not any(name in verdict["clean_text"] for name in names)


def test_lexicon_terms_in_headings_and_lists_of_a_flagged_page_are_kept(loaded_model):
    """A page flagged for a spam wall had every lexicon term elsewhere cut from its clean text, its own headline
    and tags included (机枪 under a military story); a term substituted into its prose is still cut."""
    spam = "亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,天天都在看高清无码"
    heading = "我军新型超轻重机枪曝光 采用浮动原理全球最轻"
    prose = "6月21日,台湾明新科技大学师生来太阳城在线娱乐进行访问交流,双方就人才培养、科研合作等议题展开深入讨论。"
    html = (f"<html><head><title>{heading}</title></head><body>{MENU}<h2>{heading}</h2><p>{ARTICLE}</p><p>{prose}</p>"
            f"<ul><li>军事</li><li>重机枪</li><li>机枪</li></ul><p>{spam}</p>{FOOTER}</body></html>")
    pred = loaded_model.model.predict(build_page(html=html, url="http://edu.example.cn/a.html"))
    verdict = decide(pred, loaded_model.policy, loaded_model.model.featurizer.lexicons)
    assert verdict["action"] == "strip" and verdict["flags"] == ["injected_spam"]
    cut = [verdict["text"][s["start"]:s["end"]] for s in verdict["spans"] if s["label"] == "injected_spam"]
    assert spam in cut and "太阳城在线娱乐" in cut and "机枪" not in cut
    clean = verdict["clean_text"]
    assert "重机枪" in clean.split("\n") and "机枪" in clean.split("\n") and spam not in clean
    assert "太阳城" not in clean and ARTICLE in clean


def test_a_term_is_found_where_it_is_when_folding_shrinks_and_grows_the_text_by_as_much():
    """A decomposed é before a term folds one character shorter and ﬁ after it one longer: the folded text kept
    its length, and its offsets were taken as the text's, one character off (人赌 for 赌场, the spam left in
    clean_text)."""
    from service.analysis.page import Block
    from service.model.verdict import _find_raw, _folded

    for text in ("Cafe\u0301" + ARTICLE + "澳门威尼斯人赌场官网。ﬁ", ARTICLE + "澳门威尼斯人赌场官网。", "賭場" + ARTICLE):
        block = Block(index=0, start=5, end=5 + len(text), text=text)
        hits = _find_raw(block, "赌场", _folded(text))
        assert len(hits) == 1 and text[hits[0][0] - 5:hits[0][1] - 5] in ("赌场", "賭場"), text


def test_a_term_in_a_text_pages_headline_is_kept(loaded_model):
    """In text input the headline is a paragraph like any other: its own word (机枪 in a military story's
    headline) was cut from clean_text as spam, where the same page as HTML kept it in its title."""
    spam = "亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,天天都在看高清无码"
    heading = "我军新型超轻重机枪曝光 采用浮动原理全球最轻"
    prose = "6月21日,台湾明新科技大学师生来太阳城在线娱乐进行访问交流,双方就人才培养、科研合作等议题展开深入讨论。"
    page = build_page(text=f"{heading}\n\n{ARTICLE}\n\n{prose}\n\n{spam}", url="http://edu.example.cn/a.html")
    verdict = decide(loaded_model.model.predict(page), loaded_model.policy, loaded_model.model.featurizer.lexicons)
    assert verdict["action"] == "strip" and verdict["flags"] == ["injected_spam"]
    cut = [verdict["text"][s["start"]:s["end"]] for s in verdict["spans"] if s["label"] == "injected_spam"]
    assert "太阳城在线娱乐" in cut and "机枪" not in cut
    assert verdict["clean_text"].startswith(heading) and spam not in verdict["clean_text"]


def test_a_spam_domain_in_prose_is_cut_and_cited(loaded_model):
    """A domain of the illegal-site list in a paragraph was left in clean_text when the paragraph narrowed to its
    gambling terms, and its reason SPAM_DOMAIN_IN_TEXT cited no evidence."""
    notice = "本校招生办公室提醒考生注意报名时间,详情请访问 00000-qq.cn 或致电招生办。澳门新葡京娱乐场、六合彩开奖结果。"
    page = build_page(text=f"全市教育大会召开\n\n{ARTICLE}\n\n{notice}\n\n{ARTICLE}", url="http://edu.example.cn/a.html")
    verdict = decide(loaded_model.model.predict(page), loaded_model.policy, loaded_model.model.featurizer.lexicons)
    assert verdict["action"] == "strip" and "00000-qq.cn" not in verdict["clean_text"]
    domain = next(r for r in verdict["reasons"] if r["code"] == "SPAM_DOMAIN_IN_TEXT")
    assert domain["evidence"] == ["00000-qq.cn"]
    assert any("00000-qq.cn" in verdict["text"][s:e] for s, e in domain["spans"])
    assert verdict["clean_text"].count(ARTICLE) == 2


def test_a_short_spam_paragraph_among_short_paragraphs_is_cut_alone(loaded_model):
    """Short <p> siblings were one block: a 20-character chain after two short closing lines was read with them
    and kept (action keep), or cut together with the editor's line."""
    spam = "淫糜_精子_爽死我了_婊子_援助交际"
    second = "会议指出,要坚持以人民为中心的发展思想,加快推进教育现代化,建设教育强市,为全市发展提供人才支撑。"
    paragraphs = [ARTICLE, second, "会议由市长主持。", "与会代表合影留念。", spam, "(责任编辑:王明)"]
    page = build_page(html="<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>",
                      url="http://edu.example.cn/a.html")
    verdict = decide(loaded_model.model.predict(page), loaded_model.policy, loaded_model.model.featurizer.lexicons)
    assert verdict["action"] == "strip"
    cut = [verdict["text"][s["start"]:s["end"]] for s in verdict["spans"] if s["label"] == "injected_spam"]
    assert spam in cut or all(term in "".join(cut) for term in ("淫糜", "援助交际"))
    assert spam not in verdict["clean_text"] and "会议由市长主持。" in verdict["clean_text"]
