"""Decisions become training data: export-decisions JSONL, conversion to examples, the train hook."""

from __future__ import annotations

import json
import subprocess
import sys

from service.analysis import build_page
from service.review import decisions as dec
from service.storage.db import session_scope
from training.decisions import (
    before_after,
    before_after_markdown,
    decision_example,
    export_decisions,
    load_decision_examples,
    without_realpages,
)
from training.examples import Example
from training.realpages import load_realpages
from tests.conftest import DATA_DIR
from training.featurize import featurize_example
from tests.review.conftest import ARTICLE, INJECTED, add_items, inline_verdict, verdict


def _decided(db_url) -> list[int]:
    ids = add_items(db_url, [verdict(f"e{i}", spans=[("injected_spam", INJECTED)], url=f"http://s{i}.cn/p")
                             for i in range(5)])
    with session_scope(db_url) as s:
        dec.decide(s, ids[0], 1, "confirm", "alice")
        dec.decide(s, ids[1], 1, "not_spam", "bob")
        text_len = len(s.get(dec.ReviewItem, ids[2]).text)
        dec.decide(s, ids[2], 1, "relabel", "alice", spans=[{"start": 0, "end": 8, "label": "boilerplate"},
                                                             {"start": len(ARTICLE) + 2, "end": text_len,
                                                              "label": "link_farm"}])
        reverted = dec.decide(s, ids[3], 1, "confirm", "carol")
        dec.revert(s, reverted.id, "carol")
        dec.decide(s, ids[4], 1, "skip", "alice")
    return ids


def test_export_writes_the_final_decision_per_item(db_url, tmp_path):
    _decided(db_url)
    out = tmp_path / "decisions.jsonl"
    assert export_decisions(db_url, out) == 3
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    by_id = {x["id"]: x for x in lines}
    assert set(by_id) == {"e0", "e1", "e2"}
    assert by_id["e0"]["labels"] == ["injected_spam"] and by_id["e0"]["moderator"] == "alice"
    assert by_id["e0"]["spans"] == [{"start": len(ARTICLE) + 2, "end": len(ARTICLE) + 2 + len(INJECTED),
                                     "label": "injected_spam"}]
    assert by_id["e1"]["labels"] == [] and by_id["e1"]["spans"] == [] and by_id["e1"]["decision"] == "not_spam"
    assert by_id["e2"]["labels"] == ["link_farm"] and by_id["e2"]["decision"] == "relabel"
    for line in lines:
        assert {"id", "url", "site", "text", "labels", "spans", "decision", "moderator", "decided_at",
                "model_version"} <= set(line) and line["model_version"] == "m1"
        assert line["decided_at"].endswith("+00:00")  # UTC, as the API writes times (SQLite's were naive)


def _decide_inline_page_and_export(db_url, tmp_path, decision: str) -> tuple[dict, dict]:
    """Queue a page whose spam is an inline term (:func:`inline_verdict`), decide it, export: its verdict and line."""
    v = inline_verdict(f"inline-{decision}")
    ids = add_items(db_url, [v])
    with session_scope(db_url) as s:
        dec.decide(s, ids[0], 1, decision, "alice")
    out = tmp_path / "d.jsonl"
    export_decisions(db_url, out)
    return v, json.loads(out.read_text(encoding="utf-8"))


def test_confirm_exports_the_models_inline_and_boilerplate_spans(db_url, tmp_path):
    """Confirm kept only the model's block-sized bad spans: a page whose spam is a term substituted into its
    prose (and its nav line) was exported with "spans": [] and trained as all content."""
    v, line = _decide_inline_page_and_export(db_url, tmp_path, "confirm")
    assert line["labels"] == ["injected_spam"]
    assert line["spans"] == [{k: s[k] for k in ("start", "end", "label")} for s in v["spans"]]
    example = decision_example(line)
    assert example.block_labels(example.build()) == ["boilerplate", "content", "injected_spam"]


def test_not_spam_exports_the_models_boilerplate_and_drops_its_spam_spans(db_url, tmp_path):
    """not_spam stored no spans at all: a page marked not spam trained its nav and footer as content."""
    v, line = _decide_inline_page_and_export(db_url, tmp_path, "not_spam")
    assert line["labels"] == [] and line["decision"] == "not_spam"
    assert line["spans"] == [{"start": 0, "end": len(v["spans"][0]["excerpt"]), "label": "boilerplate"}]
    example = decision_example(line)
    assert example.block_labels(example.build()) == ["boilerplate", "content", "content"]


def test_export_through_the_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    from service.storage.db import migrate

    migrate(url)
    _decided(url)
    out = tmp_path / "d.jsonl"
    run = subprocess.run([sys.executable, "-m", "training", "export-decisions", "--out", str(out)],
                         env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "wrote 3 decisions" in run.stderr and len(out.read_text().splitlines()) == 3


def test_export_says_what_is_wrong_and_leaves_nothing_behind(tmp_path):
    """--out naming a directory, or a database path that does not exist, gave a traceback, exit status 0 and a
    .tmp file left behind; the missing SQLite file was created empty on the way."""
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    from service.storage.db import migrate

    migrate(url)
    (tmp_path / "dir").mkdir()
    cases = [(["--out", str(tmp_path / "dir")], url, "is a directory"),
             (["--out", str(tmp_path / "d.jsonl")], f"sqlite:///{tmp_path / 'new' / 'x.db'}", "no database at"),
             (["--out", str(tmp_path / "d.jsonl")], f"sqlite:///{tmp_path / 'empty.db'}", "no review queue")]
    (tmp_path / "empty.db").write_bytes(b"")
    for args, database, message in cases:
        run = subprocess.run([sys.executable, "-m", "training", "export-decisions", *args, "--database-url", database],
                             capture_output=True, text=True)
        assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr, run.stderr
    left = {p.name for p in tmp_path.iterdir()}
    assert not any(name.endswith(".tmp") for name in left) and "d.jsonl" not in left and "new" not in left
    assert not any((tmp_path / "dir").iterdir())


def test_decisions_become_training_examples_with_block_labels(loaded_model, tmp_path):
    text = ARTICLE + "\n\n" + INJECTED
    start = len(ARTICLE) + 2
    text_record = {"id": "t1", "url": "http://a.cn/1", "site": "a.cn", "language": "zh", "text": text,
                   "labels": ["injected_spam"], "spans": [{"start": start, "end": len(text), "label": "injected_spam"}]}
    html = f"<html><body><p>{ARTICLE.replace(chr(10), '')}</p><p>{INJECTED}</p></body></html>"
    page_text = build_page(text=None, html=html, url="http://b.cn/2").text
    at = page_text.index(INJECTED)
    html_record = {"id": "h1", "url": "http://b.cn/2", "site": "b.cn", "language": "zh", "text": page_text,
                   "html": html, "labels": ["injected_spam"],
                   "spans": [{"start": at, "end": at + len(INJECTED), "label": "injected_spam"}]}
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (text_record, html_record)) + "\n")
    examples = load_decision_examples(path)
    assert [e.split for e in examples] == ["train", "train"] and examples[0].example_id == "moderator:t1"
    for example in examples:
        row = featurize_example(example, loaded_model.model.featurizer)
        assert row.labels == ["injected_spam"]
        assert row.block_labels[-1] == 2  # BLOCK_LABELS.index("injected_spam"): the spam block is labelled
        assert row.block_labels[0] == 0  # the article stays content


LINK_WALL = ('<div style="display:none"><a href="http://x1.cn">亚洲综合性色AⅤ一区二区三区</a> '
             '<a href="http://x2.cn">婷婷五月综合国产激情</a> <a href="http://x3.cn">人妻系列精品无码视频在线</a></div>')


def _wall_record(page_text: str, html: str) -> dict:
    start, end = page_text.index("亚洲综合"), page_text.index("视频在线") + len("视频在线")
    return {"id": "h_json", "url": "http://h.cn/1", "site": "h.cn", "language": "zh", "text": page_text,
            "html": html, "labels": ["injected_spam"], "spans": [{"start": start, "end": end, "label": "injected_spam"}]}


def test_a_decided_span_over_several_lines_of_an_html_page_labels_its_block(tmp_path):
    """A hidden link wall reads as one line per link; its span's string, located with its white space made
    single spaces, was found nowhere, and the wall was trained as content."""
    html = f"<html><body><p>{ARTICLE.replace(chr(10), '')}</p>{LINK_WALL}<p>会议要求各地抓好落实。</p></body></html>"
    record = _wall_record(build_page(html=html, url="http://h.cn/1").text, html)
    assert "\n" in record["text"][record["spans"][0]["start"]:record["spans"][0]["end"]]
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    said = []
    example, = load_decision_examples(path, log=said.append)
    page = example.build()
    span = record["spans"][0]
    assert example.located_spans(page) == [(span["start"], span["end"], "injected_spam")] and said == []
    assert example.block_labels(page) == ["content", "injected_spam", "content"]


def test_a_page_that_parses_to_another_text_has_its_spans_located_and_says_so(tmp_path):
    """The parser changed since the decision: the offsets point elsewhere, so the spans' strings are looked for."""
    html = f"<html><body><p>{ARTICLE.replace(chr(10), '')}</p><p>{INJECTED}</p></body></html>"
    page_text = build_page(html=html, url="http://h.cn/2").text
    at = page_text.index(INJECTED)
    decided_on = "旧版解析\n\n" + page_text  # what an older parser gave
    record = {"id": "old", "url": "http://h.cn/2", "text": decided_on, "html": html, "labels": ["injected_spam"],
              "spans": [{"start": at + 6, "end": at + 6 + len(INJECTED), "label": "injected_spam"}]}
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    said = []
    example, = load_decision_examples(path, log=said.append)
    assert example.located_spans(example.build()) == [(at, at + len(INJECTED), "injected_spam")]
    assert len(said) == 1 and said[0].startswith("1 decided HTML page(s) parse to another text") and "old" in said[0]


def test_a_clean_decision_is_a_clean_example(loaded_model):
    example = decision_example({"id": "c", "text": ARTICLE, "labels": [], "spans": []})
    row = featurize_example(example, loaded_model.model.featurizer)
    assert row.labels == [] and set(row.block_labels) == {0}


def test_decisions_on_realpages_dev_pages_are_not_trained_on():
    """realpages-dev tunes and evaluates the model; a decided page of it (same url, or same text) was trained on."""
    real = load_realpages(DATA_DIR)
    page = next(p for p in real if p.id == "dev013")
    other = next(p for p in real if p.id != "dev013" and p.url != page.url)
    examples = [decision_example({"id": "same-url", "url": page.url, "text": "改过的正文", "labels": []}),
                decision_example({"id": "same-text", "url": "http://mirror.cn/x", "text": other.text.replace(
                    "\n", "\n\n", 1) + " ", "labels": []}),
                decision_example({"id": "new", "url": "http://new.cn/1", "text": ARTICLE, "labels": []})]
    said = []
    assert [e.example_id for e in without_realpages(examples, real, log=said.append)] == ["moderator:new"]
    assert len(said) == 1 and said[0].startswith("left out 2 decision(s) on realpages-dev pages")


def _work_with_a_test_split(tmp_path):
    from dataclasses import asdict

    work = tmp_path / "work"
    work.mkdir()
    pages = [Example("t1", "test", "a.cn", "r", "zh", ["injected_spam"], text=ARTICLE + "\n\n" + INJECTED),
             Example("t2", "test", "b.cn", "r", "zh", [], text=ARTICLE)]
    (work / "examples.jsonl").write_text("".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in pages),
                                         encoding="utf-8")
    return work


def test_before_is_the_committed_model_when_the_output_directory_holds_none(tmp_path, loaded_model):
    """The model before was loaded from the output --model-dir only: a new directory gave no comparison and the
    report did not say so."""
    from service.config import REPO_ROOT

    work = _work_with_a_test_split(tmp_path)
    said = []
    report = {"model_version": "new", "test": {}}
    comparison = before_after(report, tmp_path / "new-models", work, log=said.append)
    assert report["before_after"] is comparison and comparison["before_version"] == loaded_model.version
    assert comparison["before_source"] == f"the committed model (--model-dir held none): {REPO_ROOT / 'models'}"
    assert "injected_spam" in comparison["before"] and said == [f"before/after: {loaded_model.version}, "
                                                                 f"{comparison['before_source']}"]
    assert f"Before: {comparison['before_source']}." in before_after_markdown(comparison)


def test_no_model_before_is_said_in_the_log_and_the_report(tmp_path):
    said, report = [], {"model_version": "new", "test": {}}
    comparison = before_after(report, tmp_path / "a", tmp_path, committed=tmp_path / "b", log=said.append)
    assert comparison["missing"].startswith("no model to compare with") and str(tmp_path / "b") in said[0]
    assert "No comparison: no model to compare with" in before_after_markdown(comparison)


def test_before_after_table():
    md = before_after_markdown({"before_version": "v1", "after_version": "v2", "before_source": "x",
                                "before": {"injected_spam": {"f1": 0.5}, "clean_fpr": 0.1},
                                "after": {"injected_spam": {"f1": 0.6}, "clean_fpr": 0.05}})
    assert "| injected_spam | 0.500 | 0.600 |" in md and "| clean false-positive rate | 0.100 | 0.050 |" in md
