"""From model probabilities to the verdict: what the decision rules do with block and page probabilities."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from service.analysis.page import build_page
from service.model import BLOCK_LABELS
from service.model.verdict import decide

MENU = "<nav><a href='/'>首页</a><a href='/n'>新闻</a><a href='/c'>通知公告</a></nav>"
ARTICLE = "11月28日,湖南省基础教育优质均衡发展研讨会在双峰县召开,全省各地教育部门负责人、中小学校长共计260余人齐聚一堂。"
FOOTER = "<footer>版权所有 湘ICP备05009375号</footer>"


def _verdict(loaded_model, block_proba: list[list[float]], label_proba: dict[str, float] | None = None) -> dict:
    """The verdict on a menu, one paragraph and a footer, the block model's probabilities set to ``block_proba``
    (and the page's label probabilities updated with ``label_proba``)."""
    page = build_page(html=f"<html><body>{MENU}<p>{ARTICLE}</p>{FOOTER}</body></html>",
                      url="http://edu.example.cn/a.html")
    pred = loaded_model.model.predict(page)
    assert len(page.blocks) == len(block_proba)
    pred = replace(pred, block_proba=np.array(block_proba), label_proba={**pred.label_proba, **(label_proba or {})})
    return decide(pred, loaded_model.policy, loaded_model.model.featurizer.lexicons)


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
