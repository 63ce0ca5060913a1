"""`python -m service classify`: files, JSONL, stdin; the same verdict as the API."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

from service.cli import classify_main
from tests.conftest import jsonl

ARTICLE = "湖南省基础教育优质均衡发展研讨会在双峰县召开,全省各地教育部门负责人、中小学校长共计260余人齐聚一堂。"


def test_classify_files_in_order(tmp_path, capsys):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.html").write_bytes(f"<html><head><meta charset='gbk'></head><body><p>{ARTICLE}</p></body></html>"
                                      .encode("gbk"))
    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "c1", "text": ARTICLE}) + "\n" +
                                      json.dumps({"text": "第二行"}) + "\n", encoding="utf-8")
    assert classify_main([str(tmp_path / n) for n in ("a.txt", "b.html", "c.jsonl")]) == 0
    out = jsonl(capsys.readouterr().out)
    assert [v["id"] for v in out] == ["a", "b", "c1", "c:2"]
    assert out[1]["input"] == "html" and "双峰县" in out[1]["text"]


def test_gzip_files_read_as_their_inner_extension(tmp_path, capsys):
    """pages.jsonl.gz, page.html.gz: the same verdicts as the files uncompressed, the same ids."""
    html = f"<html><head><meta charset='gbk'></head><body><p>{ARTICLE}</p></body></html>".encode("gbk")
    lines = (json.dumps({"id": "c1", "text": ARTICLE}) + "\n" + json.dumps({"text": "第二行"}) + "\n").encode()
    for name, data in (("a.txt", ARTICLE.encode()), ("b.html", html), ("c.jsonl", lines)):
        (tmp_path / "plain").mkdir(exist_ok=True)
        (tmp_path / "plain" / name).write_bytes(data)
        (tmp_path / (name + ".gz")).write_bytes(gzip.compress(data))
    assert classify_main([str(tmp_path / "plain" / n) for n in ("a.txt", "b.html", "c.jsonl")]) == 0
    plain = capsys.readouterr().out
    assert classify_main([str(tmp_path / n) for n in ("a.txt.gz", "b.html.gz", "c.jsonl.gz")]) == 0
    assert capsys.readouterr().out == plain
    assert [v["id"] for v in jsonl(plain)] == ["a", "b", "c1", "c:2"]


def test_broken_and_oversize_gzip_files_print_errors_in_place(tmp_path, capsys):
    lines = "".join(json.dumps({"id": f"p{i}", "text": ARTICLE}) + "\n" for i in range(200)).encode()
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(lines)[:-40])  # ends before its data does
    (tmp_path / "fake.txt.gz").write_bytes(b"plain text, not gzip")
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"x" * 3_000_000))  # past the 2 MB page limit
    (tmp_path / "ok.txt").write_text(ARTICLE, encoding="utf-8")
    assert classify_main([str(tmp_path / n) for n in ("cut.jsonl.gz", "fake.txt.gz", "bomb.txt.gz", "ok.txt")]) == 1
    out = jsonl(capsys.readouterr().out)
    assert [v["id"] for v in out[:-4]] == [f"p{i}" for i in range(len(out) - 4)]  # the lines before the cut
    assert [(v["id"], v.get("error", {}).get("code")) for v in out[-4:]] == [
        ("cut", "unreadable_file"), ("fake", "unreadable_file"), ("bomb", "page_too_large"), ("ok", None)]


def test_bad_lines_print_errors_in_place(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"id": "x", "text": "好"}\n{broken\n{"id": "y", "url": 5, "text": "好"}\n'
                                       '[1]\n', encoding="utf-8")
    assert classify_main([str(tmp_path / "in.jsonl")]) == 1
    out = jsonl(capsys.readouterr().out)
    assert [v.get("id") for v in out] == ["x", "in:2", "y", "in:4"]
    assert [v.get("error", {}).get("code") for v in out] == [None, "invalid_json", "invalid_field", "invalid_page"]


def test_a_file_that_cannot_be_read_prints_its_error_in_place(tmp_path, capsys):
    """A missing file or a directory is an error line where its page would be; the other files still run."""
    (tmp_path / "ok.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "folder.html").mkdir()
    files = [tmp_path / "missing.jsonl", tmp_path / "ok.txt", tmp_path / "folder.html", tmp_path / "gone.txt"]
    assert classify_main([str(f) for f in files]) == 1
    out = jsonl(capsys.readouterr().out)
    assert [v["id"] for v in out] == ["missing", "ok", "folder", "gone"]
    assert [v.get("error", {}).get("code") for v in out] == ["unreadable_file", None, "unreadable_file",
                                                             "unreadable_file"]
    assert "No such file" in out[0]["error"]["message"] and "directory" in out[2]["error"]["message"]
    assert out[1]["action"] == "keep"


LABELLED = [{"id": "l1", "url": "http://edu.example.cn/a.html", "text": ARTICLE, "labels": ["clean"], "lang": "zh"},
            {"id": "l2", "text": ARTICLE + "\n\n- • 百家乐开户送彩金", "labels": ["injected_spam"], "why": "x"}]


def test_labelled_records_are_classified_on_their_request_fields(tmp_path, capsys):
    """A labelled set's records (realpages-dev's own format) classify as their request fields alone would, and
    each extra field is named once on stderr."""
    (tmp_path / "labelled.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LABELLED),
                                             encoding="utf-8")
    (tmp_path / "plain.jsonl").write_text("".join(json.dumps({k: r[k] for k in ("id", "url", "text") if k in r},
                                                             ensure_ascii=False) + "\n" for r in LABELLED),
                                          encoding="utf-8")
    assert classify_main([str(tmp_path / "labelled.jsonl")]) == 0
    captured = capsys.readouterr()
    labelled = jsonl(captured.out)
    assert classify_main([str(tmp_path / "plain.jsonl")]) == 0
    assert labelled == jsonl(capsys.readouterr().out)
    assert labelled[1]["flags"] == ["injected_spam"]
    notes = [line for line in captured.err.splitlines() if line.startswith("note: ignoring")]
    assert len(notes) == 2 and "'labels'" in notes[0] and "'lang'" in notes[0] and "'why'" in notes[1]


def test_strict_fields_rejects_what_the_api_rejects(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LABELLED),
                                       encoding="utf-8")
    assert classify_main(["--strict-fields", str(tmp_path / "in.jsonl")]) == 1
    out = jsonl(capsys.readouterr().out)
    assert [v["id"] for v in out] == ["l1", "l2"]
    assert [v["error"]["code"] for v in out] == ["unknown_field", "unknown_field"]
    assert out[0]["error"]["field"] == "labels"


def test_stdin_jsonl_and_text():
    run = subprocess.run([sys.executable, "-m", "service", "classify"], input=json.dumps(
        {"id": "s", "text": ARTICLE}).encode(), capture_output=True, check=True)
    assert jsonl(run.stdout.decode())[0]["id"] == "s"
    run = subprocess.run([sys.executable, "-m", "service", "classify"], input=ARTICLE.encode(),
                         capture_output=True, check=True)
    assert jsonl(run.stdout.decode())[0]["id"] == "stdin"
    run = subprocess.run([sys.executable, "-m", "service", "classify"], capture_output=True, check=True,
                         input=("\n".join(json.dumps(r, ensure_ascii=False) for r in LABELLED)).encode())
    assert [v["id"] for v in jsonl(run.stdout.decode())] == ["l1", "l2"] and b"'labels'" in run.stderr


def test_cli_and_api_give_the_same_verdict(tmp_path, capsys, client, auth):
    page = {"id": "same", "url": "http://edu.example.cn/a.html", "text": ARTICLE + "\n\n- • 百家乐开户送彩金"}
    (tmp_path / "p.jsonl").write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    classify_main([str(tmp_path / "p.jsonl")])
    cli = jsonl(capsys.readouterr().out)[0]
    api = client.post("/v1/classify", json=page, headers=auth).get_json()
    assert cli == api
