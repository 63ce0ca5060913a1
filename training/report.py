"""Evaluation reports: ``reports/evaluation.json`` and a Markdown summary."""

from __future__ import annotations

import json
import re
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


def _spread(m: dict) -> str:
    return f"{m['mean']:.3f} ({m['min']:.3f}-{m['max']:.3f})"


def _held_out_section(held_out: dict | None) -> list[str]:
    """The real-page figures with thresholds tuned without the pages they are measured on."""
    if not held_out:
        return []
    lines = ["", "## Real pages, thresholds tuned without them", "",
             f"The figures above use thresholds tuned on the same real pages. Here the real sites are halved at "
             f"random {held_out['splits']} times; each half is flagged with the thresholds tuned on the composed dev "
             "pages and the other half. F1 (and clean false-positive rate): mean over the splits (lowest-highest).",
             "", "| set | injected_spam | link_farm | fabricated_listicle | any bad | clean FPR |",
             "|---|---|---|---|---|---|"]
    for name, title in (("all", "real pages, all"), ("high", "real pages, high confidence")):
        m = held_out[name]
        lines.append(f"| {title} | " + " | ".join(_spread(m[key]) for key in (*LABELS, "any_bad", "clean_fpr")) + " |")
    return lines


def _real_errors_section(scores: dict | None) -> list[str]:
    """The real pages whose flags differ from their hand labels, high-confidence ones first: what the figures above
    count, page by page, so the next change starts from the pages it has to win (the text is in realpages-dev)."""
    if not scores or not all("gold" in s for s in scores.values()):
        return []
    wrong = [(page_id, s) for page_id, s in scores.items() if set(s["flags"]) != set(s["gold"])]
    wrong.sort(key=lambda item: (item[1]["confidence"] != "high", item[0]))
    kinds = {"clean page flagged": 0, "bad page missed": 0, "wrong label": 0}
    rows = []
    for page_id, s in wrong:
        gold, flags = set(s["gold"]), set(s["flags"])
        kind = "clean page flagged" if not gold else "bad page missed" if not flags else "wrong label"
        kinds[kind] += s["confidence"] == "high"
        probs = ", ".join(f"{label} {s['probs'][label]:.2f}" for label in LABELS if label in gold | flags)
        rows.append(f"| {page_id} | {s['confidence']} | {', '.join(sorted(gold)) or 'clean'} | "
                    f"{', '.join(sorted(flags)) or '–'} | {s['action']} | {kind} | {probs} |")
    high = sum(s["confidence"] == "high" for _, s in wrong)
    return ["", "## Real pages it gets wrong", "",
            f"{len(wrong)} of {len(scores)} pages have flags other than their hand labels; {high} of them are "
            "high-confidence (" + ", ".join(f"{n} {kind}" for kind, n in kinds.items()) + "). Probabilities are "
            "the page model's, for the labels either side names (a page flagged by a sure block keeps its lower "
            "page-model probability). The pages and why they carry their labels are in realpages-dev.", "",
            "| page | confidence | hand labels | flags | action | error | probabilities |",
            "|---|---|---|---|---|---|---|", *rows]


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
        *_held_out_section(real.get("held_out")),
        *_real_errors_section(real.get("scores")),
        "",
        "## Spans (test split, character level)",
        "",
        "| block label | char precision | char recall | gold chars |",
        "|---|---|---|---|",
    ]
    for label, m in test.get("spans", {}).items():
        lines.append(f"| {label} | {_fmt(m['char_precision'])} | {_fmt(m['char_recall'])} | {m['gold_chars']} |")
    by_input = test.get("spans_by_input")
    if by_input:
        lines += ["", "By input. A text page's gold boilerplate is the site furniture composed around it. An HTML "
                  "page's is every block outside its main content (gold from the English benchmark's article "
                  "text, silver from a prose-region rule on Chinese pages) that carries no injected span: the "
                  "target the block model is trained on.", "",
                  "| input | block label | char precision | char recall | gold chars |", "|---|---|---|---|---|"]
        for kind, spans in by_input.items():
            for label, m in spans.items():
                lines.append(f"| {kind} | {label} | {_fmt(m['char_precision'])} | {_fmt(m['char_recall'])} | "
                             f"{m['gold_chars']} |")
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


README_START, README_END = "<!-- EVALUATION:START -->", "<!-- EVALUATION:END -->"
EXAMPLE_START, EXAMPLE_END = "<!-- EXAMPLE_RESPONSE:START -->", "<!-- EXAMPLE_RESPONSE:END -->"
_CURL_BODY = re.compile(r"curl -s localhost:\d+/v1/classify .*?-d '(\{.*?\})'", re.DOTALL)


def readme_example(readme_text: str, loaded) -> tuple[dict, dict]:
    """The request of the README's curl example and the verdict ``loaded`` gives it (the API's own code)."""
    from service.classify import classify_page
    from service.requests import parse_page

    match = _CURL_BODY.search(readme_text)
    if not match:
        raise ValueError("the README has no curl example of /v1/classify")
    request = json.loads(match.group(1))
    return request, classify_page(parse_page(request, 10**7), loaded)


def _replace_between(readme: Path, start_marker: str, end_marker: str, make_body) -> bool:
    """Replace the README's text between two markers with ``make_body(readme_text)``; False without them."""
    if not readme.is_file():
        return False
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        return False
    body = make_body(text)
    readme.write_text(text[:start + len(start_marker)] + "\n" + body + "\n" + text[end:], encoding="utf-8")
    return True


def update_readme_example(readme: Path, loaded) -> bool:
    """Put the published model's real answer to the README's curl example between its markers."""
    def body(text: str) -> str:
        _, verdict = readme_example(text, loaded)
        return "```json\n" + json.dumps(verdict, ensure_ascii=False, indent=2) + "\n```"

    return _replace_between(readme, EXAMPLE_START, EXAMPLE_END, body)


def readme_summary(report: dict) -> str:
    """The README's evaluation table: F1 per label for the model and both baselines, on every set."""
    test, real = report["test"], report["realpages"]
    sets = [("composed test split", test, "test"), ("real pages, all", real["all"], "realpages_all"),
            ("real pages, high confidence", real["high"], "realpages_high")]
    lines = [f"Model `{report['model_version']}`, evaluated {report['created'][:10]} by `python -m training evaluate` "
             f"(full report: [reports/evaluation.md](reports/evaluation.md)). Composed test split: {test['pages']} "
             f"pages from {test['sites']} held-out sites; real pages: {real['all'].get('pages')} hand-labelled pages "
             f"from {real['sites']} sites, {real['high'].get('pages')} of them high-confidence. F1 per label, "
             "and the share of clean pages flagged:", "",
             "| set | system | injected_spam | link_farm | fabricated_listicle | any bad | clean FPR |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for set_name, metrics, key in sets:
        systems = [("**pagesieve**", metrics)] + [(name, base.get(key, {}))
                                                  for name, base in report.get("baselines", {}).items()]
        for system, m in systems:
            cells = [_fmt((m.get(label) or {}).get("f1")) for label in (*LABELS, "any_bad")]
            lines.append(f"| {set_name} | {system} | " + " | ".join(cells) + f" | {_fmt(m.get('clean_fpr'))} |")
    held_out = real.get("held_out")
    if held_out:
        high = held_out["high"]
        lines += ["", "The real-page rows use thresholds tuned on those same pages. Tuned without them (the real "
                  f"sites halved at random {held_out['splits']} times, each half flagged with the thresholds tuned on "
                  "the composed dev pages and the other half), the high-confidence figures are: any-bad F1 "
                  f"{_spread(high['any_bad'])}; injected_spam {_spread(high['injected_spam'])}, link_farm "
                  f"{_spread(high['link_farm'])}, fabricated_listicle {_spread(high['fabricated_listicle'])}; clean "
                  f"pages flagged {_spread(high['clean_fpr'])} (mean, lowest-highest)."]
    spans = test.get("spans", {})
    if spans:
        lines += ["", "Spans on the composed test split (character level): " + "; ".join(
            f"{label} precision {_fmt(m['char_precision'])}, recall {_fmt(m['char_recall'])}"
            for label, m in spans.items()) + ". On HTML pages the gold boilerplate is every block outside the "
            "main content, the block model's target (by input in the full report)."]
    return "\n".join(lines)


def update_readme(readme: Path, report: dict) -> bool:
    """Replace the text between the README's evaluation markers; False when the markers are missing."""
    return _replace_between(readme, README_START, README_END, lambda _text: readme_summary(report))


def write_reports(report: dict, entry: dict, out: Path, readme: Path | None = None) -> None:
    """``evaluation.json`` and ``evaluation.md`` in ``out``; the README's table too when ``readme`` is given."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "evaluation.md").write_text(render_markdown(report, entry), encoding="utf-8")
    if readme is not None:
        update_readme(readme, report)


def compare_realpages(old: dict, new: dict, gold: dict[str, list[str]]) -> list[str]:
    """Lines naming the real pages whose flags differ between two evaluation reports, and what each label gained
    and lost (a page counts as won for a label when the new flag agrees with its gold label and the old did not).

    ``old``/``new``: ``evaluation.json`` contents with ``realpages.scores``; ``gold``: page id -> page labels.
    """
    old_scores, new_scores = old["realpages"].get("scores"), new["realpages"].get("scores")
    if not old_scores or not new_scores:
        return ["a report has no per-page scores (evaluate it again with this version)"]
    lines, tally = [], {label: [0, 0] for label in LABELS}
    for page_id in sorted(set(old_scores) & set(new_scores)):
        before, after = old_scores[page_id], new_scores[page_id]
        if set(before["flags"]) == set(after["flags"]):
            continue
        labels = gold.get(page_id, [])
        for label in LABELS:
            was, now = label in before["flags"], label in after["flags"]
            if was != now:
                tally[label][0 if now == (label in labels) else 1] += 1
        probs = ", ".join(f"{label} {before['probs'][label]:.2f}->{after['probs'][label]:.2f}" for label in LABELS
                          if (label in before["flags"]) != (label in after["flags"]))
        lines.append(f"{page_id}  gold {sorted(labels) or ['clean']}  flags {sorted(before['flags'])} -> "
                     f"{sorted(after['flags'])}  ({probs})")
    lines.append("per label, pages won / lost: " + "; ".join(f"{label} +{won}/-{lost}"
                                                           for label, (won, lost) in tally.items()))
    return lines
