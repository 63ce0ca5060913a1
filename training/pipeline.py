"""Orchestration of ``train`` and ``evaluate``: the steps, in order, with progress on stderr."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np

from service.features.featurizer import Featurizer
from service.model import LABELS
from service.model.verdict import DEFAULT_THRESHOLDS, Policy
from training.build import build, load_examples
from training.evaluate import (
    baseline_scored,
    page_metrics,
    score_examples,
    score_realpages,
    span_metrics,
)
from training.farmlist import load_farm_domains
from training.featurize import featurize_all
from training.metrics import prf
from training.realpages import load_realpages, realpages_hash
from training.report import write_reports

MODEL_NAME = "pagesieve"
REAL_WEIGHT = 0.6  # threshold tuning weighs real dev pages over composed dev pages
MAX_REAL_CLEAN_FPR = 0.03  # per label, on real clean pages, while tuning


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ensure_build(data: Path, work: Path, scale: float) -> dict:
    summary_path = work / "build.json"
    if summary_path.exists() and (work / "examples.jsonl").exists():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if summary.get("scale") == scale:
            return summary
    log(f"building the composed page set (scale {scale})")
    return build(data, work, scale=scale)


def tune_thresholds(dev_scored, real_scored) -> dict:
    """Flag thresholds that maximise a weighted F1 on real and composed dev pages."""
    thresholds = json.loads(json.dumps(DEFAULT_THRESHOLDS))
    real_clean = np.array([not s.gold for s in real_scored])
    for label in LABELS:
        y_real = np.array([label in s.gold for s in real_scored])
        p_real = np.array([s.probs[label] for s in real_scored])
        y_dev = np.array([label in s.gold for s in dev_scored])
        p_dev = np.array([s.probs[label] for s in dev_scored])
        best = (0.5, -1.0)
        for t in np.round(np.arange(0.1, 0.91, 0.02), 2):
            fpr = ((p_real >= t) & real_clean).sum() / max(1, real_clean.sum())
            if fpr > MAX_REAL_CLEAN_FPR:
                continue
            score = REAL_WEIGHT * prf(y_real, p_real >= t)["f1"] + (1 - REAL_WEIGHT) * prf(y_dev, p_dev >= t)["f1"]
            if score > best[1] + 1e-9:
                best = (float(t), score)
        thresholds["flag"][label] = best[0]
        thresholds["review"][label] = round(best[0] * 0.6, 2)
        log(f"threshold {label}: {best[0]} (weighted F1 {best[1]:.3f})")
    return thresholds


def evaluate_all(model, policy: Policy, data: Path, work: Path) -> dict:
    """Model and baselines on the composed test split and the real dev pages."""
    from training.baselines import make_baselines

    test = load_examples(work / "examples.jsonl", "test")
    real = load_realpages(data)
    log(f"evaluating on {len(test)} composed test pages and {len(real)} real pages")
    test_scored = score_examples(model, policy, test)
    real_scored = score_realpages(model, policy, real)
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_version": model.version,
        "test": {"pages": len(test), "sites": len({e.site for e in test}), **page_metrics(test_scored),
                 "spans": span_metrics(test_scored),
                 "by_language": {lang: page_metrics([s for s in test_scored if s.lang == lang]) for lang in ("zh", "en")}},
        "realpages": {"hash": realpages_hash(data), "all": page_metrics(real_scored),
                      "high": page_metrics([s for s in real_scored if s.high]),
                      "sites": len({rp.url.split('/')[2] if '//' in rp.url else rp.url for rp in real})},
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
                      scale: float = 1.0, decisions: Path | None = None) -> dict:
    from training.artifact import prune_old_artifacts, write_artifact
    from training.train import fit_model

    summary = ensure_build(data, work, scale)
    lexicons = joblib.load(work / "lexicons.joblib")
    featurizer = Featurizer(lexicons, load_farm_domains(data))
    version = version or f"{datetime.now(UTC):%Y%m%d}-{summary['dataset_sha256'][:8]}"
    train = load_examples(work / "examples.jsonl", "train")
    if decisions:  # moderator decisions (python -m training export-decisions) join the training split
        from training.decisions import load_decision_examples

        train += load_decision_examples(decisions)
    log(f"featurizing {len(train)} training pages")
    rows = featurize_all(train, featurizer, progress=True)
    log("fitting")
    model = fit_model(rows, featurizer, version, log=log)
    policy = Policy.from_manifest(DEFAULT_THRESHOLDS)
    dev_scored = score_examples(model, policy, load_examples(work / "examples.jsonl", "dev"))
    real_scored = score_realpages(model, policy, load_realpages(data))
    thresholds = tune_thresholds(dev_scored, real_scored)
    policy = Policy.from_manifest(thresholds)
    report = evaluate_all(model, policy, data, work)
    if decisions:  # the published model, before it is replaced, on the same test split
        from training.decisions import before_after

        before_after(report, model_dir, work)
    metrics = {"test": {k: report["test"][k] for k in (*LABELS, "any_bad", "clean_fpr", "spans", "pages", "sites")},
               "realpages_high": report["realpages"]["high"], "realpages_all": report["realpages"]["all"]}
    entry = write_artifact(model, model_dir, name=MODEL_NAME, build=summary, thresholds=thresholds, metrics=metrics)
    prune_old_artifacts(model_dir, entry["file"])
    write_reports(report, entry, reports_dir)
    if report.get("before_after"):
        from training.decisions import before_after_markdown

        with (reports_dir / "evaluation.md").open("a", encoding="utf-8") as fh:
            fh.write(before_after_markdown(report["before_after"]))
    log(f"wrote {entry['file']} ({entry['size_bytes'] / 1e6:.1f} MB) and {reports_dir}")
    print_gate(data, model_dir)
    return entry


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
    write_reports(report, loaded.manifest, out)
    log(f"wrote {out}/evaluation.md and evaluation.json")
    return report
