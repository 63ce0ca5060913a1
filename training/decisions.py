"""Moderator decisions as training data: ``export-decisions`` and their conversion to examples.

``python -m training export-decisions --out FILE`` writes one JSON line per
decided item, with the final (not reverted) decision: page labels and span
labels on the page's extracted text, who decided, when, and the model that
had proposed the verdict. ``python -m training train --decisions FILE``
adds these pages to the training split (:func:`load_decision_examples`), less
those on realpages-dev pages (:func:`without_realpages`: that set tunes and
evaluates the model), and the report then shows the model before and after on
the same test split (:func:`before_after`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from service.analysis.page import Page
from service.analysis.text import drop_format_characters
from service.model import LABELS
from training.examples import Example

EXPORT_KEYS = ("id", "url", "site", "language", "text", "html", "labels", "spans", "decision", "moderator",
               "decided_at", "model_version")


def iter_decisions(database_url: str):
    """Decided items (final decision), oldest decision first, as export dicts."""
    from service.review.queries import _jsonable
    from service.storage.db import session_scope
    from service.storage.models import ReviewItem

    with session_scope(database_url) as session:
        rows = session.scalars(select(ReviewItem).where(ReviewItem.status == "decided")
                               .order_by(ReviewItem.decided_at, ReviewItem.id).execution_options(yield_per=500))
        for item in rows:
            record = {"id": item.page_id, "url": item.url, "site": item.site, "language": item.language,
                      "text": item.text, "labels": list(item.final_labels or []),
                      "spans": [{"start": s["start"], "end": s["end"], "label": s["label"]}
                                for s in (item.final_spans or [])],
                      "decision": item.decision, "moderator": item.decided_by,
                      # SQLite hands back naive datetimes; they are UTC, and the API writes them so
                      "decided_at": _jsonable(item.decided_at) if item.decided_at else None,
                      "model_version": item.model_version}
            if item.html is not None and not item.html_truncated:  # a cut page would parse differently
                record["html"] = item.html
            yield record


class ExportError(ValueError):
    """The decisions cannot be exported: where they come from or where they go is wrong."""


def _check_source(database_url: str) -> None:
    """Refuse a database that holds no review queue, without creating one: an SQLite path that does not exist
    became an empty database, and the export then failed on a missing table."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from service.storage.db import get_engine

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        raise ExportError(f"no database at {url.database} (give the service's --database-url, or set DATABASE_URL)")
    try:
        has_queue = inspect(get_engine(database_url)).has_table("review_items")
    except Exception as exc:  # unreachable server, bad credentials: the driver's own words
        raise ExportError(f"cannot open the database: {exc}") from None
    if not has_queue:
        raise ExportError("the database has no review queue (the service creates it when it starts)")


def export_decisions(database_url: str, out: Path) -> int:
    """Write the JSONL file (whole, or not at all: it goes through a temporary file); returns the number of
    lines. :class:`ExportError` names what is wrong with the database or ``out``."""
    if out.is_dir():
        raise ExportError(f"--out {out} is a directory; name the file to write")
    _check_source(database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = out.with_name(out.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for record in iter_decisions(database_url):
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return n


@dataclass
class DecisionExample(Example):
    """A decided page. Its ``spans`` are offsets into the text the moderator decided on (``span_text``, the
    verdict's); an HTML page uses them as they are when it parses to that text again, else it locates its
    ``marks`` (the spans' strings) as a composed HTML page does. (A subclass, so that the composed sets'
    lines, and the hashes pinned on them, stay as they are.)"""

    span_text: str | None = None

    def spans_are_exact(self, page: Page) -> bool:
        """Whether ``spans`` are offsets into ``page.text``."""
        return self.html is None or page.text == self.span_text

    def located_spans(self, page: Page) -> list[tuple[int, int, str]]:
        return list(self.spans) if self.spans_are_exact(page) else super().located_spans(page)


def decision_example(record: dict) -> DecisionExample:
    """One decision as a training page. An HTML page keeps its markup and its spans as offsets into the text
    decided on (the verdict's, which the page parses to again); the spans' strings go along, to be located in
    the text should the page parse differently (:class:`DecisionExample`)."""
    labels = [label for label in LABELS if label in record.get("labels", [])]
    text = record.get("text") or ""
    spans = [(int(s["start"]), int(s["end"]), s["label"]) for s in record.get("spans", [])
             if 0 <= int(s["start"]) < int(s["end"]) <= len(text)]
    common = {"example_id": f"moderator:{record['id']}", "split": "train",
              "site": record.get("site") or "moderator", "recipe": "moderator",
              "lang": "en" if record.get("language") == "en" else "zh", "labels": labels, "url": record.get("url", "")}
    if record.get("html"):
        return DecisionExample(**common, html=record["html"], spans=spans, span_text=text,
                               marks=[(label, text[s:e]) for s, e, label in spans])
    return DecisionExample(**common, text=text, spans=spans, span_text=text)


def load_decision_examples(path: Path, log=print) -> list[DecisionExample]:
    """The decisions file as training examples (one per decided page). An HTML page that no longer parses to
    the text it was decided on (the parser changed since) has its spans located by their text, and ``log``
    says how many did."""
    examples = []
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                examples.append(decision_example(json.loads(line)))
    moved = [e.example_id for e in examples if e.html is not None and e.spans and not e.spans_are_exact(e.build())]
    if moved:
        log(f"{len(moved)} decided HTML page(s) parse to another text than the one decided on (e.g. {moved[0]}); "
            "their spans are located by their strings, and a span that is not found is left out")
    return examples


def _same_text(text: str) -> str:
    return " ".join(drop_format_characters(text or "").split())


def without_realpages(examples: list[DecisionExample], realpages, log=print) -> list[DecisionExample]:
    """``examples`` less the decisions on a realpages-dev page (same url, or the same text up to white space):
    that set tunes the thresholds and measures the model, and a page trained on would measure nothing. ``log``
    says how many were left out."""
    urls = {page.url.strip() for page in realpages if page.url.strip()}
    texts = {_same_text(page.text) for page in realpages} - {""}
    kept, dropped = [], []
    for example in examples:
        text = _same_text(example.span_text)
        if example.url.strip() in urls or text and text in texts:
            dropped.append(example.example_id)
        else:
            kept.append(example)
    if dropped:
        log(f"left out {len(dropped)} decision(s) on realpages-dev pages (same url or text, e.g. {dropped[0]}): "
            "those pages tune and evaluate the model and are never trained on")
    return kept


def before_after(report: dict, model_dir: Path, work: Path, committed: Path | None = None, log=print) -> dict:
    """The model before on the same test split as the new one (after), added to ``report`` as ``before_after``.

    Before is the model ``model_dir`` holds (the one the new model replaces) or, when it holds none that loads
    (a new directory), the committed model in ``committed`` (default ``models/``); ``before_source`` says
    which. When neither loads, ``before_after`` is ``{"missing": why}`` and ``log`` says so."""
    from service.config import REPO_ROOT
    from service.model.registry import ModelLoadError, load_verified
    from training.build import load_examples
    from training.evaluate import page_metrics, score_examples

    committed = REPO_ROOT / "models" if committed is None else committed
    candidates = [(model_dir, "the model --model-dir held, which the new one replaces")]
    if committed.resolve() != model_dir.resolve():
        candidates.append((committed, "the committed model (--model-dir held none)"))
    previous, source, failures = None, "", []
    for where, what in candidates:
        try:
            previous, source = load_verified(where), f"{what}: {where}"
            break
        except ModelLoadError as exc:
            failures.append(f"{where}: {exc}")
    if previous is None:
        why = "no model to compare with (" + "; ".join(failures) + ")"
        log(f"no before/after comparison: {why}")
        report["before_after"] = {"missing": why}
        return report["before_after"]
    log(f"before/after: {previous.version}, {source}")
    test = load_examples(work / "examples.jsonl", "test")
    before = page_metrics(score_examples(previous.model, previous.policy, test))
    report["before_after"] = {"before_version": previous.version, "after_version": report.get("model_version"),
                              "before_source": source,
                              "before": before, "after": {k: report["test"].get(k) for k in before}}
    return report["before_after"]


def before_after_markdown(comparison: dict) -> str:
    """A Markdown table: F1 per label and the clean false-positive rate, before and after (and which model is
    before); or why there is no comparison."""
    def f1(metrics, label):
        value = (metrics.get(label) or {}).get("f1")
        return "–" if value is None else f"{value:.3f}"

    if "missing" in comparison:
        return f"\n## Before and after moderator decisions\n\nNo comparison: {comparison['missing']}.\n"
    lines = ["", "## Before and after moderator decisions (same test split)", "",
             f"Before: {comparison['before_source']}.", "",
             f"| label | before ({comparison['before_version']}) F1 | after ({comparison['after_version']}) F1 |",
             "|---|---|---|"]
    for label in (*LABELS, "any_bad"):
        lines.append(f"| {label} | {f1(comparison['before'], label)} | {f1(comparison['after'], label)} |")
    fpr = [comparison[k].get("clean_fpr") for k in ("before", "after")]
    lines.append("| clean false-positive rate | " + " | ".join("–" if v is None else f"{v:.3f}" for v in fpr) + " |")
    return "\n".join(lines) + "\n"
