"""Orchestration of ``train`` and ``evaluate``: the steps, in order, with progress on stderr."""

from __future__ import annotations

import itertools
import json
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np

from service.features.featurizer import Featurizer
from service.model import LABELS
from service.model.verdict import (
    BAD_BLOCK_LABELS,
    BLOCK_FLAG_UNLESS,
    DEFAULT_THRESHOLDS,
    Policy,
    decide,
    split_flags,
)
from training.build import build, composing_code_hash, load_examples
from training.evaluate import (
    baseline_scored,
    page_metrics,
    score_examples,
    score_realpages,
    span_metrics,
)
from training.farmlist import load_farm_domains
from training.featurize import featurize_all
from training.metrics import char_counts, prf
from training.realpages import load_realpages, realpages_hash
from training.report import write_reports

MODEL_NAME = "pagesieve"
PAGE_DESIGN = "page_design.npz"  # the page heads' training design, written by train next to the composed set
REAL_WEIGHT = 0.6  # threshold tuning weighs real dev pages over composed dev pages
MAX_REAL_CLEAN_FPR = 0.04  # per label, on the real clean dev pages, while tuning
MAX_REAL_CLEAN_FPR_ANY = 0.05  # any label: the share of real clean dev pages flagged at all
MAX_DEV_CLEAN_FPR = 0.02  # per label, on the composed clean dev pages, while tuning
MAX_DEV_CLEAN_FPR_ANY = 0.025  # any label: the share of composed clean dev pages flagged at all
BLOCK_THRESHOLD_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)  # span thresholds tried for the bad block labels
# a block of these labels at or above a value of the grid may flag its page (``Policy.block_flag``); every value
# is at or above the span grid's top, so a block that flags its page is always reported as a span
BLOCK_FLAG_LABELS = ("injected_spam",)
BLOCK_FLAG_GRID = (0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999)
HELD_OUT_SPLITS = 5  # random halvings of the real sites for the held-out real-page figures
THRESHOLD_GRID = np.round(np.concatenate([np.arange(0.06, 0.9, 0.02), np.arange(0.9, 0.995, 0.01)]), 2)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ensure_build(data: Path, work: Path, scale: float) -> dict:
    """The composed set in ``work``: reused when it was built at this scale by the composing code as it is now,
    built (again) otherwise."""
    summary_path = work / "build.json"
    if summary_path.exists() and (work / "examples.jsonl").exists():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if summary.get("scale") == scale and summary.get("code_sha256") == composing_code_hash():
            return summary
        log(f"the composed set in {work} was built by other composing code or at another scale: rebuilding")
    log(f"building the composed page set (scale {scale})")
    return build(data, work, scale=scale)


def tune_thresholds(dev_scored, real_scored, quiet: bool = False) -> dict:
    """Flag thresholds that maximise a weighted F1 on real and composed dev pages.

    A threshold is feasible when it keeps the clean pages of both dev sets
    under their false-positive caps; when none is, the ones with the fewest
    false positives (real, then composed) are the candidates. The per-label
    caps add up, so the thresholds are then raised, and the block-flag
    thresholds chosen, jointly under caps on the clean pages flagged with any
    label (:func:`_joint_thresholds`). ``quiet``: no progress lines.
    """
    say = (lambda _msg: None) if quiet else log
    thresholds = json.loads(json.dumps(DEFAULT_THRESHOLDS))
    real_clean = np.array([not s.gold for s in real_scored])
    dev_clean = np.array([not s.gold for s in dev_scored])
    for label in LABELS:
        y_real = np.array([label in s.gold for s in real_scored])
        p_real = np.array([s.probs[label] for s in real_scored])
        y_dev = np.array([label in s.gold for s in dev_scored])
        p_dev = np.array([s.probs[label] for s in dev_scored])
        candidates = []
        for t in THRESHOLD_GRID:
            real_fpr = ((p_real >= t) & real_clean).sum() / max(1, real_clean.sum())
            dev_fpr = ((p_dev >= t) & dev_clean).sum() / max(1, dev_clean.sum())
            score = REAL_WEIGHT * prf(y_real, p_real >= t)["f1"] + (1 - REAL_WEIGHT) * prf(y_dev, p_dev >= t)["f1"]
            candidates.append((float(t), float(real_fpr), float(dev_fpr), score))
        feasible = [c for c in candidates if c[1] <= MAX_REAL_CLEAN_FPR and c[2] <= MAX_DEV_CLEAN_FPR]
        if not feasible:
            say(f"threshold {label}: no value keeps clean false positives under the caps; taking the fewest")
            fewest = min((c[1], c[2]) for c in candidates)
            feasible = [c for c in candidates if (c[1], c[2]) == fewest]
        best_t, real_fpr, dev_fpr, best_score = max(feasible, key=lambda c: (round(c[3], 9), c[0]))
        thresholds["flag"][label] = best_t
        thresholds["review"][label] = round(best_t * 0.6, 2)
        say(f"threshold {label}: {best_t} (weighted F1 {best_score:.3f}, clean FPR real {real_fpr:.3f} "
            f"composed {dev_fpr:.3f})")
    block_flag = _joint_thresholds(thresholds["flag"], real_scored, dev_scored, say)
    if block_flag:
        thresholds["block_flag"] = block_flag
    for label in LABELS:
        thresholds["review"][label] = round(thresholds["flag"][label] * 0.6, 2)
    return thresholds


def tune_block_thresholds(model, policy: Policy, examples) -> dict[str, float]:
    """Span thresholds for the bad block labels: per label, the value of ``BLOCK_THRESHOLD_GRID`` with the
    best character-level F1 of the verdict's spans on the composed dev pages (ties: the lowest). Each page is
    predicted once and decided at every value; boilerplate keeps its threshold (``clean_text`` rests on it).
    """
    counts = {(label, t): np.zeros(3, dtype=np.int64) for label in BAD_BLOCK_LABELS for t in BLOCK_THRESHOLD_GRID}
    for ex in examples:
        page = ex.build()
        pred = model.predict(page)
        gold = ex.evaluation_spans(page)
        for label in BAD_BLOCK_LABELS:
            gold_label = [(s, e) for s, e, lab in gold if lab == label]
            for t in BLOCK_THRESHOLD_GRID:
                trial = replace(policy, block={**policy.block, label: t})
                spans = decide(pred, trial, model.featurizer.lexicons)["spans"]
                counts[label, t] += char_counts(gold_label, [(s["start"], s["end"]) for s in spans
                                                             if s["label"] == label])
    block = dict(policy.block)
    for label in BAD_BLOCK_LABELS:
        block[label] = best_block_threshold({t: tuple(counts[label, t]) for t in BLOCK_THRESHOLD_GRID})
        tp, fp, fn = counts[label, block[label]]
        log(f"block threshold {label}: {block[label]} (span characters: precision {tp / max(1, tp + fp):.3f}, "
            f"recall {tp / max(1, tp + fn):.3f})")
    return block


def best_block_threshold(counts: dict[float, tuple[int, int, int]]) -> float:
    """The threshold whose (true positive, false positive, false negative) character counts give the best F1;
    ties go to the lowest threshold (the most recall)."""
    def f1(t: float) -> float:
        tp, fp, fn = counts[t]
        return 2 * tp / max(1, 2 * tp + fp + fn)

    return max(sorted(counts), key=lambda t: (round(f1(t), 9), -t))


def _any_flag_fpr(flag: dict[str, float], scored, block_flag: dict[str, float] | None = None) -> float:
    """The share of the clean pages of ``scored`` flagged with any label at ``flag`` (and ``block_flag``)."""
    clean = [s for s in scored if not s.gold]
    return sum(1 for s in clean if _flags(s, flag, block_flag or {})) / max(1, len(clean))


def _flags(s, flag: dict[str, float], block_flag: dict[str, float]) -> set[str]:
    """The labels a scored page would be flagged with (the verdict's own rule, :func:`split_flags`)."""
    head, sure = split_flags(s.probs, s.block_max, flag, block_flag)
    return head | sure


def _joint_thresholds(flag: dict[str, float], real_scored, dev_scored, say=log) -> dict[str, float]:
    """Raise flag thresholds (in place) and choose the block-flag thresholds, jointly, under the any-label caps.

    Every combination is tried of the grid values at or above each label's own choice and, for the labels of
    ``BLOCK_FLAG_LABELS``, a block-flag value of ``BLOCK_FLAG_GRID`` or none. The caps: at most
    ``MAX_REAL_CLEAN_FPR_ANY`` of the real clean dev pages and ``MAX_DEV_CLEAN_FPR_ANY`` of the composed ones
    flagged with any label. Among the combinations under both, the best wins by the summed weighted F1 of the
    labels plus the weighted F1 of "any bad label" (what matters most to a crawler: whether a page is kept
    whole); ties go to the fewest real clean pages flagged, then the lowest thresholds, then no block flag.
    When none is under both caps, the fewest flagged pages (real, then composed) win. A greedy walk, one grid
    step at a time, can spend a label whose steps cost nothing on flat stretches and end far too high.
    Returns the chosen block-flag thresholds (labels without one left out).
    """
    sets = (real_scored, dev_scored)
    weights = (REAL_WEIGHT, 1 - REAL_WEIGHT)

    def bits(flags) -> int:
        return sum(1 << i for i, f in enumerate(flags) if f)

    bad = [bits(bool(s.gold) for s in pages) for pages in sets]
    gold = {label: [bits(label in s.gold for s in pages) for pages in sets] for label in LABELS}
    n_clean = [max(1, sum(1 for s in pages if not s.gold)) for pages in sets]

    def f1(pred: int, true: int) -> float:
        return 2 * (pred & true).bit_count() / max(1, pred.bit_count() + true.bit_count())

    # label -> (threshold, block flag, pages over the threshold, pages with a block over the block flag), per set
    options = {label: [(t, e, [bits(s.probs[label] >= t for s in pages) for pages in sets],
                        [0, 0] if e is None else [bits(s.block_max.get(label, 0.0) >= e for s in pages)
                                                  for pages in sets])
                       for t in (float(t) for t in THRESHOLD_GRID if t >= flag[label])
                       for e in ((None, *BLOCK_FLAG_GRID) if label in BLOCK_FLAG_LABELS else (None,))]
               for label in LABELS}
    best_key, best = None, None
    for combo in itertools.product(*(options[label] for label in LABELS)):
        head = dict(zip(LABELS, (c[2] for c in combo)))
        score, flagged = 0.0, [0, 0]
        for label, (_, _, over, sure) in zip(LABELS, combo):
            unless = head.get(BLOCK_FLAG_UNLESS.get(label), [0, 0])
            masks = [o | (b & ~u) for o, b, u in zip(over, sure, unless)]
            score += sum(w * f1(m, g) for w, m, g in zip(weights, masks, gold[label]))
            flagged = [f | m for f, m in zip(flagged, masks)]
        fpr = [(f & ~b).bit_count() / n for f, b, n in zip(flagged, bad, n_clean)]
        score += sum(w * f1(f, b) for w, f, b in zip(weights, flagged, bad))
        lowest = -sum(c[0] for c in combo)
        fewest_block_flags = sum(2.0 if c[1] is None else c[1] for c in combo)
        if fpr[0] <= MAX_REAL_CLEAN_FPR_ANY and fpr[1] <= MAX_DEV_CLEAN_FPR_ANY:
            key = (True, round(score, 9), -fpr[0], lowest, fewest_block_flags)
        else:
            key = (False, -fpr[0], -fpr[1], round(score, 9), lowest, fewest_block_flags)
        if best_key is None or key > best_key:
            best_key, best = key, combo
    block_flag = {}
    for label, (t, e, _, _) in zip(LABELS, best):
        flag[label] = t
        if e is not None:
            block_flag[label] = e
    real_fpr, dev_fpr = (_any_flag_fpr(flag, pages, block_flag) for pages in sets)
    say("flag thresholds after the joint search: " + ", ".join(f"{k} {v}" for k, v in flag.items())
        + f"; block flags {block_flag or 'none'} (clean pages flagged: real {real_fpr:.3f}, composed {dev_fpr:.3f})")
    return block_flag


def held_out_real_figures(dev_scored, real_scored, sites: list[str], splits: int = HELD_OUT_SPLITS,
                          seed: int = 0) -> dict:
    """Real-page figures with thresholds tuned without the pages they are measured on.

    The real-page figures of the report use thresholds tuned on those same pages (with the composed dev pages),
    so they are optimistic for pages the model has not seen. Here the real sites are halved at random; each half
    is flagged with the thresholds :func:`tune_thresholds` picks from the composed dev pages and the other half,
    and the pooled flags are scored; ``splits`` such halvings give the mean and the range of each figure, on the
    high-confidence pages and on all. The caps then act on half the clean pages, so they bind harder.
    """
    rng = random.Random(seed)
    order = sorted(set(sites))
    runs: dict[str, list[dict]] = {"high": [], "all": []}
    for _ in range(splits):
        rng.shuffle(order)
        half = set(order[: len(order) // 2])
        flags: list[set[str]] = [set() for _ in real_scored]
        for side in (True, False):
            tuned = tune_thresholds(dev_scored, [s for s, site in zip(real_scored, sites) if (site in half) != side],
                                    quiet=True)
            for i, (s, site) in enumerate(zip(real_scored, sites)):
                if (site in half) == side:
                    flags[i] = _flags(s, tuned["flag"], tuned.get("block_flag", {}))
        judged = [replace(s, flags=sorted(f), action="drop" if f else "keep") for s, f in zip(real_scored, flags)]
        runs["all"].append(page_metrics(judged))
        runs["high"].append(page_metrics([s for s in judged if s.high]))

    def spread(values: list[float]) -> dict[str, float]:
        return {"mean": round(float(np.mean(values)), 4), "min": round(min(values), 4), "max": round(max(values), 4)}

    def summary(metrics: list[dict]) -> dict:
        return {**{key: spread([m[key]["f1"] for m in metrics]) for key in (*LABELS, "any_bad")},
                "clean_fpr": spread([m["clean_fpr"] for m in metrics])}

    return {"splits": splits, **{name: summary(metrics) for name, metrics in runs.items()}}


def evaluate_all(model, policy: Policy, data: Path, work: Path, dev_scored=None) -> dict:
    """Model and baselines on the composed test split and the real dev pages.

    ``dev_scored``: the composed dev pages as the tuning scored them (scored here when not given), for the
    held-out real-page figures (:func:`held_out_real_figures`).
    """
    from training.baselines import make_baselines

    test = load_examples(work / "examples.jsonl", "test")
    real = load_realpages(data)
    log(f"evaluating on {len(test)} composed test pages and {len(real)} real pages")
    test_scored = score_examples(model, policy, test)
    real_scored = score_realpages(model, policy, real)
    if dev_scored is None:
        dev_scored = score_examples(model, policy, load_examples(work / "examples.jsonl", "dev"))
    log(f"re-tuning on halves of the real sites ({HELD_OUT_SPLITS} splits)")
    held_out = held_out_real_figures(dev_scored, real_scored, [rp.site for rp in real])
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_version": model.version,
        "test": {"pages": len(test), "sites": len({e.site for e in test}), **page_metrics(test_scored),
                 "spans": span_metrics(test_scored),
                 "spans_by_input": {kind: span_metrics([s for s in test_scored if s.input == kind])
                                    for kind in ("text", "html")},
                 "by_language": {lang: page_metrics([s for s in test_scored if s.lang == lang])
                                 for lang in ("zh", "en")}},
        "realpages": {"hash": realpages_hash(data), "all": page_metrics(real_scored),
                      "high": page_metrics([s for s in real_scored if s.high]),
                      "sites": len({rp.site for rp in real}),
                      # the model's output per page with its hand label (ids only, no page text), so two models
                      # can be compared page by page (which pages a retrain won and lost) and the report can
                      # name the pages the model gets wrong
                      "scores": {rp.id: {"probs": sc.probs, "flags": sc.flags, "action": sc.action,
                                         "gold": rp.labels, "confidence": rp.confidence}
                                 for rp, sc in zip(real, real_scored)},
                      "held_out": held_out},
        "baselines": {},
    }
    for name, baseline in make_baselines(model.featurizer.lexicons).items():
        real_base = baseline_scored(baseline, real, "real")
        report["baselines"][name] = {
            "test": page_metrics(baseline_scored(baseline, test, "examples")),
            "realpages_all": page_metrics(real_base),
            "realpages_high": page_metrics([s for s in real_base if s.high]),
        }
    return report


def train_and_publish(data: Path, work: Path, model_dir: Path, reports_dir: Path, version: str | None = None,
                      scale: float = 1.0, decisions: Path | None = None, seed: int | None = None) -> dict:
    """Build (or reuse) the composed set, fit on its training split (plus moderator decisions), then publish.

    ``seed``: the models' random state (default :data:`training.train.SEED`, the committed model's).
    """
    from training.train import SEED, fit_model

    summary = ensure_build(data, work, scale)
    lexicons = joblib.load(work / "lexicons.joblib")
    featurizer = Featurizer(lexicons, load_farm_domains(data), main_text_style=True)
    version = version or f"{datetime.now(UTC):%Y%m%d}-{summary['dataset_sha256'][:8]}"
    train = load_examples(work / "examples.jsonl", "train")
    if decisions:  # moderator decisions (python -m training export-decisions) join the training split
        from training.decisions import load_decision_examples, without_realpages

        train += without_realpages(load_decision_examples(decisions, log=log), load_realpages(data), log=log)
    log(f"featurizing {len(train)} training pages")
    rows = featurize_all(train, featurizer, progress=True)
    seed = SEED if seed is None else seed
    log(f"fitting (model seed {seed})")
    model = fit_model(rows, featurizer, version, log=log, design_out=work / PAGE_DESIGN, seed=seed)
    return publish(model, summary, data, work, model_dir, reports_dir, decisions=decisions)


def retune_published(data: Path, work: Path, model_dir: Path, reports_dir: Path) -> dict:
    """Re-tune the published model's thresholds (e.g. after realpages-dev grew) and publish it again.

    Needs the composed set the model was trained on (``var/training``, kept by ``train``): its dev split is
    what the thresholds are tuned on, and only that split is held out from the model. A different set is refused.
    """
    from service.model.registry import load_verified

    loaded = load_verified(model_dir)
    summary = ensure_build(data, work, 1.0)
    trained_on = loaded.manifest.get("training_data_sha256")
    if summary["dataset_sha256"] != trained_on:
        raise SystemExit(f"the composed set in {work} ({summary['dataset_sha256'][:12]}) is not the one the model "
                         f"was trained on ({str(trained_on)[:12]}): its dev split would not be held out; retrain")
    return publish(loaded.model, summary, data, work, model_dir, reports_dir, retuned=True)


def publish(model, summary: dict, data: Path, work: Path, model_dir: Path, reports_dir: Path,
            decisions: Path | None = None, retuned: bool = False) -> dict:
    """Tune thresholds on the dev pages, evaluate, write the artifact, manifest, reports and README tables.

    ``retuned``: ``model`` is the published model itself, whose artifact is kept byte for byte.
    """
    from training.artifact import prune_old_artifacts, write_artifact

    policy = Policy.from_manifest(DEFAULT_THRESHOLDS)
    dev = load_examples(work / "examples.jsonl", "dev")
    dev_scored = score_examples(model, policy, dev)
    real_scored = score_realpages(model, policy, load_realpages(data))
    thresholds = tune_thresholds(dev_scored, real_scored)
    thresholds["block"] = tune_block_thresholds(model, Policy.from_manifest(thresholds), dev)
    policy = Policy.from_manifest(thresholds)
    report = evaluate_all(model, policy, data, work, dev_scored=dev_scored)
    if decisions:  # the model before (the one model_dir held, else the committed one) on the same test split
        from training.decisions import before_after

        before_after(report, model_dir, work, log=log)
    metrics = {"test": {k: report["test"][k] for k in (*LABELS, "any_bad", "clean_fpr", "spans", "pages", "sites")},
               "realpages_high": report["realpages"]["high"], "realpages_all": report["realpages"]["all"]}
    entry = write_artifact(model, model_dir, name=MODEL_NAME, build=summary, thresholds=thresholds, metrics=metrics,
                           keep_file=retuned)
    prune_old_artifacts(model_dir, entry["file"])
    readme = _readme_for(model_dir)
    write_reports(report, entry, reports_dir, readme=readme)
    if readme is not None:
        from service.model.registry import load_verified
        from training.report import update_readme_example

        update_readme_example(readme, load_verified(model_dir))
    if report.get("before_after"):
        from training.decisions import before_after_markdown

        with (reports_dir / "evaluation.md").open("a", encoding="utf-8") as fh:
            fh.write(before_after_markdown(report["before_after"]))
    log(f"wrote {entry['file']} ({entry['size_bytes'] / 1e6:.1f} MB) and {reports_dir}")
    print_gate(data, model_dir)
    return entry


def _readme_for(model_dir: Path) -> Path | None:
    """The README whose evaluation table follows the published model (none for models written elsewhere)."""
    from service.config import REPO_ROOT

    return REPO_ROOT / "README.md" if model_dir.resolve() == (REPO_ROOT / "models").resolve() else None


def print_gate(data: Path, model_dir: Path) -> None:
    """After training: the new model against the pinned floors and the baselines (informational)."""
    from training.gate import read_pinned, render, run_gate

    result = run_gate(data, model_dir, log=log)
    print(render(result, read_pinned()))
    if not result.passed:
        log("the gate fails for this model: if it is the one to ship, re-pin the floors with "
            "`python -m training gate --update-floors` (lowering one takes --reason \"why\")")


def evaluate_published(data: Path, work: Path, model_dir: Path, out: Path) -> dict:
    from service.model.registry import load_verified

    loaded = load_verified(model_dir)
    ensure_build(data, work, 1.0)
    report = evaluate_all(loaded.model, loaded.policy, data, work)
    readme = _readme_for(model_dir)
    write_reports(report, loaded.manifest, out, readme=readme)
    if readme is not None:
        from training.report import update_readme_example

        update_readme_example(readme, loaded)
    log(f"wrote {out}/evaluation.md and evaluation.json")
    return report
