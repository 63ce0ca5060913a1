"""``python -m training evaluate``: metrics of a model on data it did not train on.

Two evaluation sets:

* the composed **test split** (sites, spam terms, headlines and generators
  held out from training): page-level P/R/F1 and PR-AUC per label, the
  clean-page false-positive rate, and character-level P/R of spans;
* the hand-labelled **real pages** of ``realpages-dev`` (all and high
  confidence): page-level figures only (the set has no spans).

The same figures are computed for the baselines of ``training/baselines.py``
on the same pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from service.analysis import build_page
from service.model import LABELS
from service.model.pipeline import PageSieveModel
from service.model.verdict import BAD_BLOCK_LABELS, Policy, block_label_max, decide
from training.metrics import char_prf, pr_auc, prf

SPAN_LABELS = ("injected_spam", "link_farm", "boilerplate")


@dataclass
class Scored:
    gold: list[str]
    probs: dict[str, float]
    flags: list[str]
    action: str
    pred_spans: list[tuple[int, int, str]] = field(default_factory=list)
    gold_spans: list[tuple[int, int, str]] = field(default_factory=list)
    lang: str = ""
    high: bool = True
    recipe: str = ""
    input: str = "text"  # how the page was sent: "text" or "html"
    # block label -> the largest probability of a block labelled so (what ``Policy.block_flag`` is tuned on)
    block_max: dict[str, float] = field(default_factory=dict)


def score_page(model: PageSieveModel, policy: Policy, *, text=None, html=None,
               url="") -> tuple[dict, object, dict[str, float]]:
    """The verdict, the analysed page and its :func:`block_label_max` per bad block label."""
    page = build_page(text=text, html=html, url=url)
    pred = model.predict(page)
    verdict = decide(pred, policy, model.featurizer.lexicons)
    return verdict, page, {label: block_label_max(pred, label) for label in BAD_BLOCK_LABELS}


def score_examples(model, policy, examples) -> list[Scored]:
    out = []
    for ex in examples:
        verdict, page, block_max = score_page(model, policy, text=ex.text, html=ex.html, url=ex.url)
        out.append(Scored(gold=ex.labels, probs=verdict["labels"], flags=verdict["flags"], action=verdict["action"],
                          pred_spans=[(s["start"], s["end"], s["label"]) for s in verdict["spans"]],
                          gold_spans=ex.evaluation_spans(page), lang=ex.lang, recipe=ex.recipe,
                          input="html" if ex.html is not None else "text", block_max=block_max))
    return out


def score_realpages(model, policy, pages) -> list[Scored]:
    out = []
    for rp in pages:
        verdict, _, block_max = score_page(model, policy, text=rp.text, url=rp.url)
        out.append(Scored(gold=rp.labels, probs=verdict["labels"], flags=verdict["flags"], action=verdict["action"],
                          lang=rp.lang, high=rp.high, block_max=block_max))
    return out


def page_metrics(scored: list[Scored]) -> dict:
    """Per-label P/R/F1 (at the flag thresholds) and PR-AUC, any-bad F1, clean FPR."""
    if not scored:
        return {}
    out: dict = {"pages": len(scored)}
    for label in LABELS:
        y = np.array([label in s.gold for s in scored])
        pred = np.array([label in s.flags for s in scored])
        scores = np.array([s.probs.get(label, 0.0) for s in scored])
        out[label] = {**prf(y, pred), "pr_auc": pr_auc(y, scores)}
    y_any = np.array([bool(s.gold) for s in scored])
    pred_any = np.array([bool(s.flags) for s in scored])
    out["any_bad"] = {**prf(y_any, pred_any), "pr_auc": pr_auc(y_any, np.array(
        [max(s.probs.values()) if s.probs else 0.0 for s in scored]))}
    clean = ~y_any
    false_pos = np.array([bool(s.flags) or s.action == "drop" for s in scored]) & clean
    out["clean_pages"] = int(clean.sum())
    out["clean_fpr"] = round(float(false_pos.sum() / clean.sum()), 4) if clean.sum() else None
    return out


def span_metrics(scored: list[Scored]) -> dict:
    out = {}
    for label in SPAN_LABELS:
        gold = [[(s, e) for s, e, lab in sc.gold_spans if lab == label] for sc in scored]
        pred = [[(s, e) for s, e, lab in sc.pred_spans if lab == label] for sc in scored]
        out[label] = char_prf(gold, pred)
    return out


def baseline_scored(baseline, items, kind: str) -> list[Scored]:
    """Run a baseline (text, url) -> {label: score} on examples or real pages."""
    out = []
    for item in items:
        if kind == "examples":
            page = build_page(text=item.text, html=item.html, url=item.url)
            text, url, gold, lang, high = page.text, item.url, item.labels, item.lang, True
        else:
            text, url, gold, lang, high = item.text, item.url, item.labels, item.lang, item.high
        probs = baseline.predict(text, url)
        flags = [label for label in LABELS if probs.get(label, 0.0) >= 0.5]
        out.append(Scored(gold=gold, probs=probs, flags=flags, action="drop" if flags else "keep", lang=lang,
                          high=high))
    return out
