"""``python -m training gate``: the committed model against pinned floors and the baselines.

STYLE.md 9: evaluation is a gate. The committed model (loaded through
``service.model.registry.load_verified``, as the service loads it) is scored on a small
fixed evaluation set, and the gate fails when

* a metric is below its floor (or a false-positive rate above its ceiling) in
  ``training/eval_baseline.json``, which pins them with the sha256 of the sets they were
  measured on;
* an evaluation set is not the one the floors were measured on (its sha256 changed);
* the model does not beat both baselines (``training.baselines``) in F1 on every label, on
  the real high-confidence pages and on the composed set.

The sets: the hand-labelled real pages of ``realpages-dev`` (all, and high confidence only)
and a small composed set (``training.gateset``). ``--update-floors`` re-pins the floors at
the measured values minus a margin; without ``--reason`` it only raises floors, and lowering
one (or re-pinning on a changed set) takes a reason, which the file records.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from service.config import REPO_ROOT
from service.model import LABELS

BASELINE_FILE = Path(__file__).with_name("eval_baseline.json")
CACHE_DIR = REPO_ROOT / "var" / "gate"
MARGIN = 0.02  # floors sit this far below the measured values (ceilings above)
COMPARE_SETS = ("realpages_high", "composed")  # where the model must beat every baseline
SOURCE_OF = {"realpages_all": "realpages", "realpages_high": "realpages", "composed": "composed"}
CEILINGS = ("clean_fpr",)  # lower is better: pinned as ceilings


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class GateResult:
    measured: dict
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


def flat_metrics(page: dict, spans: dict | None = None) -> dict:
    """The gated figures of one set: per-label and any-bad F1, clean FPR, spam span char recall."""
    out = {f"{label}_f1": page[label]["f1"] for label in LABELS}
    out["any_bad_f1"] = page["any_bad"]["f1"]
    out["clean_fpr"] = page["clean_fpr"]
    if spans is not None:
        out["injected_spam_char_recall"] = spans["injected_spam"]["char_recall"]
    return out


def measure(loaded, data: Path, cache_dir: Path = CACHE_DIR, log=log) -> dict:
    """Score the model and the baselines on the gate's sets."""
    from training.baselines import make_baselines
    from training.evaluate import baseline_scored, page_metrics, score_examples, score_realpages, span_metrics
    from training.gateset import GATE_SCALE, GATE_SEED, load_gate_set
    from training.realpages import load_realpages, realpages_hash

    real = load_realpages(data)
    composed, composed_sha = load_gate_set(data, cache_dir, log=log)
    log(f"scoring {len(real)} real pages and {len(composed)} composed pages")
    real_scored = score_realpages(loaded.model, loaded.policy, real)
    comp_scored = score_examples(loaded.model, loaded.policy, composed)
    sets = {
        "realpages_all": {"pages": len(real), "model": flat_metrics(page_metrics(real_scored))},
        "realpages_high": {"pages": sum(r.high for r in real),
                           "model": flat_metrics(page_metrics([s for s in real_scored if s.high]))},
        "composed": {"pages": len(composed),
                     "model": flat_metrics(page_metrics(comp_scored), span_metrics(comp_scored))},
    }
    for name, baseline in make_baselines(loaded.model.featurizer.lexicons).items():
        real_b = baseline_scored(baseline, real, "real")
        sets["realpages_all"].setdefault("baselines", {})[name] = flat_metrics(page_metrics(real_b))
        sets["realpages_high"].setdefault("baselines", {})[name] = flat_metrics(
            page_metrics([s for s in real_b if s.high]))
        sets["composed"].setdefault("baselines", {})[name] = flat_metrics(
            page_metrics(baseline_scored(baseline, composed, "examples")))
    return {"model_version": loaded.version, "sets": sets,
            "eval_sets": {"realpages": {"file": "realpages-dev/pages.jsonl", "sha256": realpages_hash(data)},
                          "composed": {"seed": GATE_SEED, "scale": GATE_SCALE, "pages": len(composed),
                                       "sha256": composed_sha}}}


def check(measured: dict, pinned: dict | None) -> list[str]:
    """Every way the measured figures fail the pinned floors or the baselines; empty means pass."""
    failures = []
    changed = set()
    if pinned is None:
        failures.append("no floors are pinned: run `python -m training gate --update-floors`")
        pinned = {}
    for source, info in pinned.get("eval_sets", {}).items():
        actual = measured["eval_sets"].get(source, {}).get("sha256")
        if actual != info.get("sha256"):
            changed.add(source)
            failures.append(f"evaluation set {source} changed: sha256 {str(actual)[:12]}… but the floors were "
                            f"pinned on {str(info.get('sha256'))[:12]}… (corpora or composing code changed); "
                            "re-pin with `python -m training gate --update-floors --reason \"...\"`")
    for kind in ("floors", "ceilings"):
        for set_name, metrics in pinned.get(kind, {}).items():
            if SOURCE_OF.get(set_name) in changed:
                continue
            values = measured["sets"].get(set_name, {}).get("model", {})
            for metric, bound in metrics.items():
                value = values.get(metric)
                if value is None:
                    failures.append(f"{set_name}: {metric} was not measured (pinned {bound:.3f})")
                elif kind == "floors" and value < bound:
                    failures.append(f"{set_name}: {metric} = {value:.3f} is below its floor {bound:.3f}")
                elif kind == "ceilings" and value > bound:
                    failures.append(f"{set_name}: {metric} = {value:.3f} is above its ceiling {bound:.3f}")
    for set_name in COMPARE_SETS:
        entry = measured["sets"].get(set_name, {})
        for name, figures in entry.get("baselines", {}).items():
            for label in LABELS:
                ours, theirs = entry["model"][f"{label}_f1"], figures[f"{label}_f1"]
                if not ours > theirs:
                    failures.append(f"{set_name}: {label} F1 {ours:.3f} does not beat the {name} baseline's "
                                    f"{theirs:.3f}")
    return failures


def _bounds(measured: dict, margin: float) -> tuple[dict, dict]:
    floors: dict = {}
    ceilings: dict = {}
    for set_name, entry in measured["sets"].items():
        for metric, value in entry["model"].items():
            if value is None:
                continue
            if metric in CEILINGS:
                ceilings.setdefault(set_name, {})[metric] = min(1.0, math.ceil(round((value + margin) * 1000, 6)) / 1000)
            else:
                floors.setdefault(set_name, {})[metric] = max(0.0, math.floor(round((value - margin) * 1000, 6)) / 1000)
    return floors, ceilings


def update_floors(measured: dict, pinned: dict | None, reason: str | None = None,
                  margin: float = MARGIN) -> tuple[dict | None, list[str]]:
    """New baseline-file content and the bounds it loosens; ``(None, why)`` when it refuses.

    Without ``reason`` bounds only tighten: each floor rises to the measured value minus
    ``margin`` when that is higher (each ceiling falls to the value plus the margin), and
    nothing is written if a measured value misses its pinned bound or an evaluation set
    changed, since passing would take a lower floor. With ``reason`` every bound is re-pinned
    at the measured value minus (plus) the margin, and the reason and the loosened bounds are
    recorded in the file's history.
    """
    pinned = pinned or {}
    floors, ceilings = _bounds(measured, margin)
    loosened = [f"evaluation set {src} changed" for src, info in pinned.get("eval_sets", {}).items()
                if measured["eval_sets"].get(src, {}).get("sha256") != info.get("sha256")]
    missed = list(loosened)
    for kind, new, looser in (("floors", floors, lambda n, o: n < o), ("ceilings", ceilings, lambda n, o: n > o)):
        for set_name, metrics in new.items():
            for metric, value in metrics.items():
                old = pinned.get(kind, {}).get(set_name, {}).get(metric)
                if old is None or not looser(value, old):
                    continue
                measured_value = measured["sets"][set_name]["model"][metric]
                if looser(measured_value, old):
                    missed.append(f"{set_name}: {metric} = {measured_value:.3f}, pinned {kind[:-1]} {old:.3f}")
                if reason is None:
                    metrics[metric] = old  # keep the stricter bound
                else:
                    loosened.append(f"{set_name}: {metric} {kind[:-1]} {old:.3f} -> {value:.3f}")
    if reason is None and missed:
        return None, missed
    history = list(pinned.get("history", []))
    history.append({"date": datetime.now(UTC).isoformat(timespec="seconds"), "model_version": measured["model_version"],
                    "reason": reason or ("first pin" if not pinned else "raised to the measured values minus the margin"),
                    **({"loosened": loosened} if loosened else {})})
    doc = {"about": "Floors (and false-positive-rate ceilings) of `python -m training gate`, with the sha256 of "
                    "the evaluation sets they were measured on. Re-pin with `python -m training gate "
                    "--update-floors` (lowering takes --reason).",
           "margin": margin, "model_version": measured["model_version"],
           "eval_sets": copy.deepcopy(measured["eval_sets"]),
           "floors": floors, "ceilings": ceilings,
           "measured": copy.deepcopy({s: e["model"] for s, e in measured["sets"].items()}),
           "baselines": copy.deepcopy({s: e.get("baselines", {}) for s, e in measured["sets"].items()}),
           "history": history}
    return doc, loosened


def read_pinned(path: Path = BASELINE_FILE) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def run_gate(data: Path, model_dir: Path = REPO_ROOT / "models", loaded=None, baseline_file: Path = BASELINE_FILE,
             cache_dir: Path = CACHE_DIR, log=log) -> GateResult:
    """Measure the committed (or given) model and check it against the pinned floors."""
    started = time.monotonic()
    if loaded is None:
        from service.model.registry import load_verified

        loaded = load_verified(model_dir)
    measured = measure(loaded, data, cache_dir, log=log)
    return GateResult(measured, check(measured, read_pinned(baseline_file)), round(time.monotonic() - started, 1))


def render(result: GateResult, pinned: dict | None) -> str:
    """A plain-text table of the gated figures, the baseline comparison and the verdict."""
    pinned = pinned or {}
    lines = [f"gate: model {result.measured['model_version']}", "",
             f"{'set':<16} {'metric':<28} {'value':>7} {'bound':>9}"]
    for set_name, entry in result.measured["sets"].items():
        for metric, value in entry["model"].items():
            kind = "ceilings" if metric in CEILINGS else "floors"
            bound = pinned.get(kind, {}).get(set_name, {}).get(metric)
            shown = "–" if bound is None else f"{'<=' if kind == 'ceilings' else '>='} {bound:.3f}"
            lines.append(f"{set_name:<16} {metric:<28} {_num(value):>7} {shown:>9}")
    lines += ["", f"{'set':<16} {'label F1':<22} {'model':>7} " + " ".join(
        f"{name:>15}" for name in next(iter(result.measured["sets"].values())).get("baselines", {}))]
    for set_name, entry in result.measured["sets"].items():
        for label in (*LABELS, "any_bad"):
            key = f"{label}_f1"
            lines.append(f"{set_name:<16} {label:<22} {_num(entry['model'][key]):>7} " + " ".join(
                f"{_num(b[key]):>15}" for b in entry.get("baselines", {}).values()))
    lines.append("")
    lines += [f"FAIL {f}" for f in result.failures] or ["PASS: every floor met, both baselines beaten on every label"]
    lines.append(f"gate took {result.seconds:.0f}s")
    return "\n".join(lines)


def _num(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def gate_main(data: Path, model_dir: Path, update: bool = False, reason: str | None = None, margin: float = MARGIN,
              baseline_file: Path = BASELINE_FILE, cache_dir: Path = CACHE_DIR) -> int:
    """CLI body: 0 pass, 1 gate failed, 2 floors would be lowered without a reason."""
    result = run_gate(data, model_dir, baseline_file=baseline_file, cache_dir=cache_dir)
    pinned = read_pinned(baseline_file)
    if update:
        doc, loosened = update_floors(result.measured, pinned, reason, margin)
        if doc is None:
            print(render(result, pinned))
            print("refusing to lower floors without a reason:\n  " + "\n  ".join(loosened) +
                  "\nrun again with --reason \"why\" (and say it in the commit message)", file=sys.stderr)
            return 2
        baseline_file.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {baseline_file}" + (f" (loosened: {'; '.join(loosened)})" if loosened else ""), file=sys.stderr)
        pinned = doc
        result.failures = check(result.measured, pinned)
    print(render(result, pinned))
    return 0 if result.passed else 1
