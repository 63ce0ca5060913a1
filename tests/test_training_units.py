"""Training-side building blocks that need no corpora: block labels, the spam vocabulary and threshold tuning."""

from __future__ import annotations

import random

import numpy as np
import pytest

from service.model import LABELS
from training.evaluate import Scored
from training.examples import TextBuilder
from training.lexicons import build_vocab
from training.pipeline import MAX_DEV_CLEAN_FPR, MAX_REAL_CLEAN_FPR, tune_thresholds


def _block_labels(builder: TextBuilder) -> list[str]:
    from training.examples import Example

    text, spans = builder.text()
    ex = Example(example_id="x", split="train", site="s", recipe="r", lang="zh", labels=[], text=text, spans=spans)
    return ex.block_labels(ex.build())


def test_a_substituted_gambling_name_makes_its_paragraph_an_injected_block():
    b = TextBuilder(random.Random(0), nfkc=False)
    b.add("全市教育大会召开", sep="\n\n")
    b.add_inline("6月21日,台湾明新科技大学师生来", "永利集团", "进行访问交流,双方就人才培养展开深入讨论。", "injected_spam",
                 sep="\n\n")
    b.add("会议指出,要坚持立德树人,深化教育改革,加快建设教育强市。", sep="\n\n")
    b.add("责任编辑:张三 | 分享到 | 打印", "boilerplate", sep="\n\n")
    assert _block_labels(b) == ["content", "injected_spam", "content", "boilerplate"]


def test_a_one_character_overlap_does_not_label_a_block():
    b = TextBuilder(random.Random(0), nfkc=False)
    b.add("会议指出,要坚持立德树人,深化教育改革,加快建设教育强市。", sep="\n\n")
    start = len("会议指出,要坚持立德树人,深化教育改革,加快建设教育强市")
    b.spans.append((start, start + 1, "injected_spam"))  # a stray character, as a cut can leave
    assert _block_labels(b) == ["content"]


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


def test_the_explainer_scaffold_keeps_every_paragraph_in_order_and_sums_up_at_the_end():
    from training.recipes import SCAFFOLD_ENDS, Composer

    paragraphs = ["随着时代的发展,工作方案越来越重要。", "经济发展,方案是对某项工作的总体安排,包括目标。",
                  "实施方案则是在具体执行层面的操作指南。", "两者在适用范围上也有差异,前者用于大项目。", "因此要正确区分两者。"]
    composer = Composer.__new__(Composer)
    for seed in range(20):
        composer.rng = random.Random(seed)
        out = composer._scaffold(list(paragraphs), "方案与实施方案的区别")
        joined = "".join(out)
        positions = [joined.find(p.split(",")[-1]) for p in paragraphs]
        assert all(pos >= 0 for pos in positions) and positions == sorted(positions)
        assert out[0] == paragraphs[0] and out[-1].startswith(SCAFFOLD_ENDS) and out[-1].endswith(paragraphs[-1])
        assert len(out) > len(paragraphs) or any(p.startswith(("首先", "第一", "一是", "一方面", "1", "一", "(")) for p in out)


def test_coined_gambling_names_are_new_names_with_a_gambling_suffix():
    from training.recipes import COINED_SUFFIXES, Composer

    class _Pools:
        ordinary_words = {"train": ["会议", "教育", "发展", "蓝天", "冠军", "亚洲"]}

    composer = Composer.__new__(Composer)
    composer.split, composer.pools, composer.rng = "train", _Pools(), random.Random(5)
    names = [composer.coined_brand() for _ in range(50)]
    assert all(name.endswith(COINED_SUFFIXES) for name in names)
    assert len(set(names)) > 40
    assert not any(word + suffix in names for word in _Pools.ordinary_words["train"] for suffix in COINED_SUFFIXES)


def test_the_any_label_cap_finds_the_best_combination_under_the_cap():
    """Five clean pages, each flagged by one label, break the any-label cap together. The greedy walk this
    replaced raised the thresholds one step at a time and ended at summed F1 1.50; the best combination
    under the cap reaches 1.99 (injected_spam 0.56, link_farm 0.2, fabricated_listicle 0.8)."""
    from training.metrics import prf
    from training.pipeline import MAX_REAL_CLEAN_FPR_ANY

    def page(gold, label, p):
        return Scored(gold=gold, probs={**dict.fromkeys(LABELS, 0.0), label: p}, flags=[], action="keep")

    inj, lin, fab = LABELS
    real = [page([inj], inj, p) for p in (0.62, 0.57, 0.32, 0.69, 0.67)]
    real += [page([lin], lin, p) for p in (0.21, 0.41, 0.88)]
    real += [page([fab], fab, p) for p in (0.83, 0.57, 0.76, 0.15, 0.28)]
    real += [page([], label, p) for label, p in ((inj, 0.32), (fab, 0.42), (lin, 0.88), (inj, 0.75), (fab, 0.78))]
    real += [Scored(gold=[], probs=dict.fromkeys(LABELS, 0.0), flags=[], action="keep") for _ in range(40)]
    dev = [Scored(gold=[], probs=dict.fromkeys(LABELS, 0.0), flags=[], action="keep")]
    flag = tune_thresholds(dev, real)["flag"]
    clean = [s for s in real if not s.gold]
    assert sum(any(s.probs[lab] >= flag[lab] for lab in LABELS) for s in clean) / len(clean) <= MAX_REAL_CLEAN_FPR_ANY
    summed = sum(prf(np.array([lab in s.gold for s in real]), np.array([s.probs[lab] >= flag[lab] for s in real]))["f1"]
                 for lab in LABELS)
    assert summed == pytest.approx(1.99, abs=0.01)


def test_a_substitution_picks_the_same_name_whatever_the_hash_seed():
    """The composed set is the same on every run: with two institutions named equally often, the first named
    is replaced, not whichever a set happens to yield first under the process's string-hash seed."""
    import os
    import subprocess
    import sys

    script = (
        "import random\n"
        "from training.examples import TextBuilder\n"
        "from training.recipes import Composer\n"
        "c = Composer.__new__(Composer)\n"
        "c.rng, c.split, c.brand = random.Random(0), 'train', lambda: '永利集团'\n"
        "b = TextBuilder(random.Random(0), nfkc=False)\n"
        "c._substitute(b, ['北京大学与清华大学联合举办研讨会。', '东方医院和西山中学派代表参加。'])\n"
        "print(b.text()[0])\n"
    )
    outputs = set()
    for seed in range(6):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        outputs.add(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                   check=True).stdout)
    assert len(outputs) == 1 and "永利集团与清华大学" in outputs.pop()


def test_a_composed_set_built_by_other_code_is_rebuilt_not_reused(tmp_path, monkeypatch):
    import json

    import training.pipeline as pipeline
    from training.build import composing_code_hash

    built = []
    monkeypatch.setattr(pipeline, "build", lambda data, work, scale: built.append(scale) or {"scale": scale})
    (tmp_path / "examples.jsonl").write_text("", encoding="utf-8")
    summary = {"scale": 1.0, "code_sha256": composing_code_hash(), "dataset_sha256": "x"}
    (tmp_path / "build.json").write_text(json.dumps(summary), encoding="utf-8")
    assert pipeline.ensure_build(tmp_path, tmp_path, 1.0)["dataset_sha256"] == "x" and built == []
    (tmp_path / "build.json").write_text(json.dumps({**summary, "code_sha256": "older"}), encoding="utf-8")
    pipeline.ensure_build(tmp_path, tmp_path, 1.0)
    assert built == [1.0]


def test_centered_isotonic_keeps_the_plateau_values_and_the_forest_order():
    """Calibration must not tie pages the forest ranked apart: each isotonic plateau becomes its centre point."""
    from sklearn.isotonic import IsotonicRegression

    from training.train import centered_isotonic

    rng = np.random.default_rng(3)
    scores = rng.random(400)
    y = (rng.random(400) < scores).astype(int)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
    xs, ys = centered_isotonic(iso.X_thresholds_, iso.y_thresholds_)
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) >= 0)
    assert set(np.round(ys, 9)) == set(np.round(iso.y_thresholds_, 9))  # the same calibrated values
    inner = np.linspace(xs[1], xs[-2], 500)  # strictly rising between the first and last plateau centres
    assert np.all(np.diff(np.interp(inner, xs, ys)) > 0)
    assert np.interp(0.0, xs, ys) == iso.predict([0.0])[0] and np.interp(1.0, xs, ys) == iso.predict([1.0])[0]


def test_page_heads_may_only_rise_with_their_own_evidence():
    from training.train import evidence_constraints

    names = ["agg_content_max", "agg_injected_spam_max", "agg_link_farm_char_share", "ngram_fabricated_listicle",
             "ngram_injected_spam", "style_zh_stock_per1k"]
    assert evidence_constraints(names, "injected_spam") == [0, 1, 0, 0, 1, 0]
    assert evidence_constraints(names, "link_farm") == [0, 0, 1, 0, 0, 0]
    assert evidence_constraints(names, "fabricated_listicle") == [0, 0, 0, 1, 0, 0]
    assert evidence_constraints(names, None) == [0, -1, -1, -1, -1, 0]


def test_the_page_design_saved_by_training_loads_back_with_its_folds(tmp_path):
    """``train`` keeps the page heads' design, so a change to the heads alone can be refit on the same rows."""
    from sklearn.model_selection import GroupKFold

    from training.train import load_page_design, save_page_design

    rng = np.random.default_rng(5)
    x = rng.random((30, 4)).astype(np.float32)
    groups = np.array([f"site{i % 7}" for i in range(30)])
    page_y = {label: rng.integers(0, 2, 30) for label in LABELS}
    folds = list(GroupKFold(n_splits=3).split(x, groups=groups))
    save_page_design(tmp_path / "design.npz", x, ["a", "b", "c", "d"], page_y, groups, folds)
    design = load_page_design(tmp_path / "design.npz")
    assert design["names"] == ["a", "b", "c", "d"] and np.array_equal(design["x"], x)
    assert all(np.array_equal(design["y"][label], page_y[label]) for label in LABELS)
    assert design["groups"].tolist() == groups.tolist()
    for (train, held), (train_back, held_back) in zip(folds, design["folds"]):
        assert sorted(train) == train_back.tolist() and sorted(held) == held_back.tolist()


def test_thresholds_cap_the_share_of_composed_clean_pages_flagged_by_any_label():
    """On the composed dev pages each label's best threshold (0.44) flags 2% of the clean pages, its per-label
    cap, and different pages for each label: 6% together. The any-label cap (2.5%, 5 of 200 pages) leaves one
    label where it was and raises the other two past their clean pages (0.5-0.7), missing their low positives."""
    from training.pipeline import MAX_DEV_CLEAN_FPR_ANY

    def page(gold, label, p):
        return Scored(gold=gold, probs={**dict.fromkeys(LABELS, 0.0), label: p}, flags=[], action="keep")

    dev = [page([label], label, p) for label in LABELS for p in [0.9] * 20 + [0.45] * 10]
    dev += [page([], label, 0.5 + 0.1 * i) for i, label in enumerate(LABELS) for _ in range(4)]
    dev += [page([], LABELS[0], 0.0) for _ in range(188)]
    real = [page([label], label, 0.9) for label in LABELS for _ in range(5)] + [page([], LABELS[0], 0.0)] * 40
    flag = tune_thresholds(dev, real)["flag"]
    clean = [s for s in dev if not s.gold]
    flagged = sum(1 for s in clean if any(s.probs[label] >= flag[label] for label in LABELS))
    assert flagged / len(clean) <= MAX_DEV_CLEAN_FPR_ANY
    assert sorted(t <= 0.45 for t in flag.values()) == [False, False, True]


def test_an_html_example_is_scored_against_its_boilerplate_blocks_too():
    """Span evaluation uses the block model's target: an HTML page's blocks outside its content mask are gold
    boilerplate, its marked spam stays spam, and a text page's gold is its composed spans alone."""
    from training.examples import Example

    html = ("<html><body><nav><a href='/'>首页</a> <a href='/news'>新闻中心</a></nav><article>"
            "<p>本市今日召开全体会议，部署下一阶段的重点工作，会议由市长主持，各部门负责人参加。</p></article>"
            "<div><p>澳门葡京娱乐官网注册送彩金</p></div><footer><p>版权所有 © 2024 某某网</p></footer></body></html>")
    ex = Example(example_id="t-1", split="test", site="s", recipe="injected_html_visible", lang="zh",
                 labels=["injected_spam"], html=html, marks=[("injected_spam", "澳门葡京娱乐官网注册送彩金")])
    page = ex.build()
    ex.content_mask = ["全体会议" in block.text for block in page.blocks]
    spans = ex.evaluation_spans(page)
    by_label = {label: [page.text[s:e] for s, e, lab in spans if lab == label] for label in ("injected_spam",
                                                                                             "boilerplate")}
    assert by_label["injected_spam"] == ["澳门葡京娱乐官网注册送彩金"]
    assert any("首页" in text for text in by_label["boilerplate"])
    assert any("版权所有" in text for text in by_label["boilerplate"])
    assert not any("全体会议" in text or "葡京" in text for text in by_label["boilerplate"])
    text_ex = Example(example_id="t-2", split="test", site="s", recipe="clean_article", lang="zh", labels=[],
                      text="正文一段。\n\n版权所有", spans=[(7, 11, "boilerplate")])
    assert text_ex.evaluation_spans(text_ex.build()) == [(7, 11, "boilerplate")]


def test_compare_names_the_real_pages_a_new_model_won_and_lost():
    from training.report import compare_realpages

    def report(flags: dict[str, list[str]]) -> dict:
        return {"realpages": {"scores": {pid: {"probs": {label: (0.9 if label in f else 0.1) for label in LABELS},
                                               "flags": f, "action": "keep"} for pid, f in flags.items()}}}

    old = report({"p1": [], "p2": ["injected_spam"], "p3": ["link_farm"], "p4": []})
    new = report({"p1": ["injected_spam"], "p2": [], "p3": ["link_farm"], "p4": ["fabricated_listicle"]})
    gold = {"p1": ["injected_spam"], "p2": ["injected_spam"], "p3": ["link_farm"], "p4": []}
    lines = compare_realpages(old, new, gold)
    assert [line.split()[0] for line in lines[:-1]] == ["p1", "p2", "p4"]  # p3 did not change
    assert lines[-1] == "per label, pages won / lost: injected_spam +1/-1; link_farm +0/-0; fabricated_listicle +0/-1"
    assert compare_realpages({"realpages": {}}, new, gold)[0].startswith("a report has no per-page scores")


def test_the_block_threshold_with_the_best_span_f1_wins_and_ties_keep_recall():
    from training.metrics import char_counts
    from training.pipeline import best_block_threshold

    assert char_counts([(0, 10)], [(5, 15)]) == (5, 5, 5)
    # 0.5 reports 40 wrong characters for the same 100 right ones that 0.9 reports
    assert best_block_threshold({0.5: (100, 40, 0), 0.9: (100, 0, 0), 0.95: (60, 0, 40)}) == 0.9
    assert best_block_threshold({0.5: (100, 0, 0), 0.9: (100, 0, 0)}) == 0.5


def test_the_model_seed_goes_from_the_command_line_to_training_and_into_each_model_kind(monkeypatch, tmp_path):
    """``--model-seed`` reaches ``train_and_publish``; each model kind (n-gram, block, page) takes the seed it is
    given, the committed model's by default. That ``fit_model`` passes it to each is shown by a retrain:
    ``--model-seed 9`` gave other figures and ``model_seed: 9`` in the manifest (docs/experiments)."""
    import training.pipeline
    from training.__main__ import main
    from training.train import SEED, _block_model, _page_model, _text_model

    seen = {}
    monkeypatch.setattr(training.pipeline, "train_and_publish", lambda *args, **kwargs: seen.update(kwargs))
    main(["train", "--data", str(tmp_path), "--model-seed", "8"])
    assert seen["seed"] == 8
    main(["train", "--data", str(tmp_path)])
    assert seen["seed"] is None  # train_and_publish then uses SEED
    assert {_text_model().random_state, _block_model().random_state, _page_model().random_state} == {SEED}
    assert {_text_model(8).random_state, _block_model(8).random_state, _page_model([1], 8).random_state} == {8}


def test_a_block_flag_is_chosen_when_it_catches_pages_the_page_head_misses_within_the_caps():
    """Real injected pages whose page head says 0.0 but whose spam block scores 0.98: a block-flag threshold
    catches them. The composed clean pages decide how low it may go (two at 0.975 fit the 2.5% cap, four at
    0.965 would not), ties go to the higher value; real clean pages with sure-looking blocks rule it out."""
    def page(gold, p, block_max):
        return Scored(gold=gold, probs={**dict.fromkeys(LABELS, 0.0), "injected_spam": p}, flags=[], action="keep",
                      block_max={"injected_spam": block_max})

    inj = ["injected_spam"]
    real = [page(inj, 0.0, 0.98) for _ in range(10)] + [page([], 0.0, 0.5) for _ in range(40)]
    dev = [page(inj, 0.9, 0.999) for _ in range(20)] + [page([], 0.0, 0.975)] * 2 + [page([], 0.0, 0.965)] * 2
    dev += [page([], 0.0, 0.2) for _ in range(96)]
    thresholds = tune_thresholds(dev, real)
    assert thresholds["block_flag"] == {"injected_spam": 0.98}
    policy_fpr = sum(1 for s in dev if not s.gold and s.block_max["injected_spam"] >= 0.98) / 100
    assert policy_fpr <= 0.025

    real_clean_sure = real[:10] + [page([], 0.0, 0.985) for _ in range(5)] + real[10:45]
    assert "block_flag" not in tune_thresholds(dev, real_clean_sure)


def test_the_tuner_does_not_count_a_block_flag_on_pages_flagged_fabricated():
    """One injected page only a block flag catches (its spam block 0.98), beside fabricated pages whose spam block
    scores 0.99. Counted on the fabricated pages too, a block flag would add ten false injected_spam labels and
    lose; as the verdict applies it (not on pages flagged fabricated), it catches the one page and wins."""
    def page(gold, inj, fab, block_max):
        return Scored(gold=gold, probs={**dict.fromkeys(LABELS, 0.0), "injected_spam": inj, "fabricated_listicle": fab},
                      flags=[], action="keep", block_max={"injected_spam": block_max})

    fab, inj = ["fabricated_listicle"], ["injected_spam"]
    real = [page(fab, 0.0, 0.9, 0.99) for _ in range(10)] + [page(inj, 0.9, 0.0, 0.999) for _ in range(5)]
    real += [page(inj, 0.0, 0.0, 0.98)] + [page([], 0.0, 0.0, 0.2) for _ in range(40)]
    dev = [page(fab, 0.0, 0.9, 0.99) for _ in range(20)] + [page(inj, 0.9, 0.0, 0.999) for _ in range(10)]
    dev += [page([], 0.0, 0.0, 0.2) for _ in range(100)]
    thresholds = tune_thresholds(dev, real)
    assert thresholds["flag"]["fabricated_listicle"] <= 0.9
    assert thresholds["block_flag"] == {"injected_spam": 0.98}


def _site_pages(n_sites: int, bad_p: float, clean_p: float) -> tuple[list[Scored], list[str]]:
    """Two real pages a site: every other site's first page is injected spam scoring ``bad_p``; the rest are clean
    pages scoring ``clean_p``."""
    pages, sites = [], []
    for i in range(2 * n_sites):
        bad = i % 4 == 0
        pages.append(Scored(gold=["injected_spam"] if bad else [], flags=[], action="keep",
                            probs={**dict.fromkeys(LABELS, 0.0), "injected_spam": bad_p if bad else clean_p},
                            block_max={"injected_spam": 0.0}))
        sites.append(f"site{i // 2}.cn")
    return pages, sites


def test_held_out_real_figures_tune_on_one_half_of_the_sites_and_score_the_other(monkeypatch):
    import training.pipeline as pipeline

    tuned_on: list[set[int]] = []
    tune = pipeline.tune_thresholds

    def spy(dev, real, quiet=False):
        tuned_on.append({id(s) for s in real})
        return tune(dev, real, quiet=quiet)

    monkeypatch.setattr(pipeline, "tune_thresholds", spy)
    real, sites = _site_pages(20, 0.9, 0.1)
    dev = _scored(10, 30, 0.9, [0.1] * 30)
    out = pipeline.held_out_real_figures(dev, real, sites, splits=3)
    assert len(tuned_on) == 6
    site_of = {id(s): site for s, site in zip(real, sites)}
    for one, other in zip(tuned_on[::2], tuned_on[1::2]):
        assert not one & other and one | other == {id(s) for s in real}
        assert not {site_of[i] for i in one} & {site_of[i] for i in other}  # a site is never on both sides
    # the pages separate at any threshold between 0.1 and 0.9, so no half can mislead the other
    assert out["splits"] == 3 and out["all"]["any_bad"] == {"mean": 1.0, "min": 1.0, "max": 1.0}
    assert out["high"]["clean_fpr"]["max"] == 0.0



def test_the_report_names_the_real_pages_the_model_gets_wrong():
    from training.report import _real_errors_section

    def score(flags, gold, confidence="high"):
        return {"probs": {label: (0.9 if label in flags else 0.1) for label in LABELS}, "flags": flags,
                "action": "drop" if flags else "keep", "gold": gold, "confidence": confidence}

    scores = {"p1": score([], []), "p2": score(["injected_spam"], []), "p3": score([], ["link_farm"]),
              "p4": score(["injected_spam"], ["fabricated_listicle"], "uncertain"), "p5": score(["link_farm"],
                                                                                                ["link_farm"])}
    lines = _real_errors_section(scores)
    rows = [line for line in lines if line.startswith("| p") and not line.startswith("| page")]
    assert [row.split(" | ")[0] for row in rows] == ["| p2", "| p3", "| p4"]  # high first; p1, p5 are right
    assert "clean page flagged" in rows[0] and "bad page missed" in rows[1] and "wrong label" in rows[2]
    assert "injected_spam 0.90" in rows[0] and "fabricated_listicle 0.10" in rows[2]
    assert "3 of 5 pages" in lines[3] and "2 of them are high-confidence (1 clean page flagged, 1 bad page missed, " \
        "0 wrong label)" in lines[3]
    assert _real_errors_section({"p1": {"probs": {}, "flags": [], "action": "keep"}}) == []  # an older report


def test_the_languages_command_compares_the_served_identifier_with_langdetect(tmp_path, capsys):
    """``python -m training languages`` counts, per English set of the corpora, what each identifier names
    (a message langdetect takes for French is English as served) and how often they agree."""
    import json

    from training.__main__ import main

    (tmp_path / "uci-sms-spam").mkdir()
    messages = ["I place all ur points on e cultures module already.", "Are you coming to the meeting tomorrow night?",
                "ok"]
    (tmp_path / "uci-sms-spam" / "sms_spam_collection.jsonl").write_text("\n".join(
        json.dumps({"label": label, "text": text}) for label, text in
        [("Label", "SMS"), *[("ham", m) for m in messages]]), encoding="utf-8")
    (tmp_path / "realpages-dev").mkdir()
    (tmp_path / "realpages-dev" / "pages.jsonl").write_text(json.dumps(
        {"id": "dev1", "lang": "en", "text": "The council approved the library budget on Tuesday after a debate."}),
        encoding="utf-8")
    assert main(["languages", "--data", str(tmp_path)]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| uci")
            or line.startswith("| realpages")]
    # set, texts, identifier, en, und, other, same as langdetect
    assert [row[2:7] for row in rows[:2]] == [["langdetect", "1", "1", "1", "3"],
                                            ["CLD2, else langdetect (served)", "2", "1", "0", "2"]]
    assert [row[3] for row in rows[2:]] == ["1", "1"] and len(rows) == 4
