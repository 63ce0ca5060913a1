"""Evaluation reports: ``reports/evaluation.json`` and a Markdown summary."""

from __future__ import annotations

import json
from pathlib import Path

from service.model import LABELS


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _label_rows(metrics: dict, name: str) -> list[str]:
    rows = []
    for label in (*LABELS, "any_bad"):
        m = metrics.get(label) or {}
        rows.append(f"| {name} | {label} | {_fmt(m.get('precision'))} | {_fmt(m.get('recall'))} | "
                    f"{_fmt(m.get('f1'))} | {_fmt(m.get('pr_auc'))} | {m.get('support', '–')} |")
    return rows


def render_markdown(report: dict, entry: dict) -> str:
    test, real = report["test"], report["realpages"]
    lines = [
        f"# Evaluation of {entry.get('name', 'pagesieve')} {report['model_version']}",
        "",
        f"Generated {report['created']} by `python -m training evaluate` (or `train`).",
        "",
        f"* Composed **test split**: {test['pages']} pages from {test['sites']} sites held out from training "
        "(unseen sites, spam terms, headlines and LLM generators).",
        f"* **Real pages** (`realpages-dev`, hand-labelled, never trained on): {real['all'].get('pages')} pages "
        f"from {real['sites']} sites; {real['high'].get('pages')} high-confidence.",
        "",
        "## Page level",
        "",
        "| set | label | precision | recall | F1 | PR-AUC | positives |",
        "|---|---|---|---|---|---|---|",
        *_label_rows(test, "test split"),
        *_label_rows(real["all"], "real pages, all"),
        *_label_rows(real["high"], "real pages, high confidence"),
        "",
        "| set | clean pages | clean false-positive rate |",
        "|---|---|---|",
        f"| test split | {test.get('clean_pages')} | {_fmt(test.get('clean_fpr'))} |",
        f"| real pages, all | {real['all'].get('clean_pages')} | {_fmt(real['all'].get('clean_fpr'))} |",
        f"| real pages, high confidence | {real['high'].get('clean_pages')} | {_fmt(real['high'].get('clean_fpr'))} |",
        "",
        "## Spans (test split, character level)",
        "",
        "| block label | char precision | char recall | gold chars |",
        "|---|---|---|---|",
    ]
    for label, m in test.get("spans", {}).items():
        lines.append(f"| {label} | {_fmt(m['char_precision'])} | {_fmt(m['char_recall'])} | {m['gold_chars']} |")
    if report.get("baselines"):
        lines += ["", "## Baselines on the same pages", "",
                  "| baseline | set | label | precision | recall | F1 | PR-AUC | positives |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, sets in report["baselines"].items():
            for set_name, metrics in sets.items():
                for row in _label_rows(metrics, set_name):
                    lines.append(f"| {name} " + row)
        lines += ["", "| baseline | set | clean false-positive rate |", "|---|---|---|"]
        for name, sets in report["baselines"].items():
            for set_name, metrics in sets.items():
                lines.append(f"| {name} | {set_name} | {_fmt(metrics.get('clean_fpr'))} |")
    by_lang = test.get("by_language", {})
    if by_lang:
        lines += ["", "## Test split by language", "", "| language | label | precision | recall | F1 | PR-AUC | positives |",
                  "|---|---|---|---|---|---|---|"]
        for lang, metrics in by_lang.items():
            if metrics:
                lines += _label_rows(metrics, lang)
    lines += ["", "## Thresholds", "", "```json", json.dumps(entry.get("thresholds", {}), indent=2), "```", ""]
    return "\n".join(lines)


def write_reports(report: dict, entry: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "evaluation.md").write_text(render_markdown(report, entry), encoding="utf-8")
