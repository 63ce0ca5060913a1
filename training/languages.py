"""``python -m training languages``: the service's language identification against langdetect alone.

The ``language`` of a verdict comes from :func:`service.analysis.text.detect_language`: ``zh`` where CJK
characters dominate, ``und`` for too few Latin letters, else CLD2 where it is sure and langdetect where it is
not (``_identify``). Only that last step differs between the two columns here; both run on the same texts of
known language from the corpora:

* ``uci-sms-spam``: 5,574 English text messages (short: the hard case);
* ``article-extraction-benchmark``: the article bodies of its ground truth (English news, a few pages in other
  languages, which count against both columns alike);
* ``realpages-dev``: the real pages labelled ``en``.

For each set and identifier: how many texts are identified as English, as ``und`` and as another language, how
many get the language langdetect alone gives them, and the milliseconds per text of the whole
``detect_language``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path


def english_sets(data: Path) -> dict[str, list[str]]:
    """Set name -> texts whose language is English, from the corpora under ``data`` (sets whose files are
    absent are left out)."""
    sets: dict[str, list[str]] = {}
    sms = data / "uci-sms-spam" / "sms_spam_collection.jsonl"
    if sms.is_file():
        rows = [json.loads(line) for line in sms.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets["uci-sms-spam"] = [row["text"] for row in rows if row.get("label") in ("ham", "spam")]
    truth = data / "article-extraction-benchmark" / "ground-truth.json"
    if truth.is_file():
        articles = json.loads(truth.read_text(encoding="utf-8")).values()
        sets["article-extraction-benchmark"] = [a.get("articleBody") or "" for a in articles]
    real = data / "realpages-dev" / "pages.jsonl"
    if real.is_file():
        pages = [json.loads(line) for line in real.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets["realpages-dev (en)"] = [p["text"] for p in pages if p.get("lang") == "en"]
    return sets


def identify_all(texts: list[str], langdetect_only: bool) -> tuple[list[str], float]:
    """``(the language of each text, milliseconds per text)`` of ``detect_language`` over ``texts``: as served,
    or, when ``langdetect_only``, with langdetect naming every language the first steps leave open."""
    from service.analysis import text as textops

    textops._identify.cache_clear()
    textops._langdetect.cache_clear()
    identify = textops._langdetect if langdetect_only else None
    started = time.perf_counter()
    languages = [textops.detect_language(text, identify) for text in texts]
    elapsed = time.perf_counter() - started
    return languages, 1000 * elapsed / max(1, len(texts))


IDENTIFIERS = (("langdetect", True), ("CLD2, else langdetect (served)", False))


def report(data: Path) -> list[str]:
    """The Markdown table of both identifiers on :func:`english_sets`."""
    lines = ["| set | texts | identifier | en | und | other | same as langdetect | ms per text |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for name, texts in english_sets(data).items():
        runs = [(label, *identify_all(texts, langdetect_only)) for label, langdetect_only in IDENTIFIERS]
        alone = runs[0][1]
        for label, languages, ms in runs:
            counts = Counter(languages)
            other = len(languages) - counts["en"] - counts["und"]
            same = sum(a == b for a, b in zip(languages, alone))
            lines.append(f"| {name} | {len(texts)} | {label} | {counts['en']} | {counts['und']} | {other} | {same} "
                         f"| {ms:.2f} |")
    return lines
