"""Training-side building blocks that need no corpora: the spam vocabulary and threshold tuning."""

from __future__ import annotations

import random

import pytest

from service.model import LABELS
from training.evaluate import Scored
from training.lexicons import build_vocab
from training.pipeline import MAX_DEV_CLEAN_FPR, MAX_REAL_CLEAN_FPR, tune_thresholds


def test_vocabulary_keeps_recurring_spam_words_and_drops_ordinary_ones():
    found = {"porn": {"国产精品一区", "精品一区视频", "日韩精品一区", "一区在线", "会议精品"},
             "gambling": {"永利娱乐城", "金沙娱乐城", "娱乐城注册"}, "illicit": set(), "advert": set()}
    clean = ["市委书记出席会议并讲话,会议强调推动发展。"] * 50 + ["精品"] * 5
    vocab = build_vocab(found, clean)
    assert set(vocab) == {"porn", "gambling", "illicit", "advert"}
    assert "一区" in vocab["porn"] and "娱乐城" in vocab["gambling"]
    assert "会议" not in vocab["porn"]  # in fewer than three terms, and common in clean text
    assert vocab["porn"]["一区"] > vocab["porn"].get("精品", 0.0)  # 精品 also occurs in clean text
    assert all(score > 0 for table in vocab.values() for score in table.values())


def _scored(n_bad: int, n_clean: int, bad_p: float, clean_ps: list[float]) -> list[Scored]:
    out = [Scored(gold=list(LABELS), probs=dict.fromkeys(LABELS, bad_p), flags=[], action="keep")
           for _ in range(n_bad)]
    out += [Scored(gold=[], probs=dict.fromkeys(LABELS, p), flags=[], action="keep") for p in clean_ps]
    return out[: n_bad + n_clean]


def test_thresholds_respect_the_clean_false_positive_caps():
    rng = random.Random(1)
    real = _scored(30, 100, 0.7, [0.95] * 10 + [rng.uniform(0, 0.5) for _ in range(90)])
    dev = _scored(100, 300, 0.9, [rng.uniform(0, 0.8) for _ in range(300)])
    thresholds = tune_thresholds(dev, real)
    for label in LABELS:
        t = thresholds["flag"][label]
        real_fpr = sum(1 for s in real if not s.gold and s.probs[label] >= t) / 100
        dev_fpr = sum(1 for s in dev if not s.gold and s.probs[label] >= t) / 300
        # 10% of the real clean pages score 0.95: no threshold keeps them under the cap, so the fewest win
        assert real_fpr == pytest.approx(0.10) or real_fpr <= MAX_REAL_CLEAN_FPR
        assert dev_fpr <= MAX_DEV_CLEAN_FPR or real_fpr > MAX_REAL_CLEAN_FPR
        assert thresholds["review"][label] < t


def test_thresholds_take_the_best_feasible_value():
    real = _scored(20, 100, 0.6, [0.1] * 100)
    dev = _scored(50, 100, 0.6, [0.3] * 100)
    thresholds = tune_thresholds(dev, real)
    # every value in (0.3, 0.6] separates both sets perfectly; ties go to the highest such value
    assert all(thresholds["flag"][label] == 0.6 for label in LABELS)


def test_thresholds_cap_the_share_of_real_clean_pages_flagged_by_any_label():
    """Each label alone flags 4% of the real clean pages (under its cap), different pages: 12% together."""
    from training.pipeline import MAX_REAL_CLEAN_FPR_ANY

    real = [Scored(gold=[label], probs={**dict.fromkeys(LABELS, 0.0), label: 0.9}, flags=[], action="keep")
            for label in LABELS for _ in range(10)]
    for i, label in enumerate(LABELS):
        real += [Scored(gold=[], probs={**dict.fromkeys(LABELS, 0.0), label: 0.5 + 0.1 * i}, flags=[], action="keep")
                 for _ in range(4)]
    real += [Scored(gold=[], probs=dict.fromkeys(LABELS, 0.0), flags=[], action="keep") for _ in range(88)]
    dev = _scored(10, 10, 0.9, [0.0] * 10)
    flag = tune_thresholds(dev, real)["flag"]
    clean = [s for s in real if not s.gold]
    flagged = sum(1 for s in clean if any(s.probs[label] >= flag[label] for label in LABELS))
    assert flagged / len(clean) <= MAX_REAL_CLEAN_FPR_ANY
    caught = sum(1 for s in real if s.gold and s.probs[s.gold[0]] >= flag[s.gold[0]])
    assert caught == 30  # raising past the clean pages' scores (0.5-0.7) costs no true positive
