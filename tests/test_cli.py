"""`python -m service classify`: files, JSONL, stdin; the same verdict as the API."""

from __future__ import annotations

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


def test_bad_lines_print_errors_in_place(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"id": "x", "text": "好"}\n{broken\n{"id": "y", "colour": 1}\n',
                                       encoding="utf-8")
    assert classify_main([str(tmp_path / "in.jsonl")]) == 1
    out = jsonl(capsys.readouterr().out)
    assert [v.get("id") for v in out] == ["x", "in:2", "y"]
    assert out[1]["error"]["code"] == "invalid_json" and out[2]["error"]["code"] == "unknown_field"


def test_stdin_jsonl_and_text():
    run = subprocess.run([sys.executable, "-m", "service", "classify"], input=json.dumps(
        {"id": "s", "text": ARTICLE}).encode(), capture_output=True, check=True)
    assert jsonl(run.stdout.decode())[0]["id"] == "s"
    run = subprocess.run([sys.executable, "-m", "service", "classify"], input=ARTICLE.encode(),
                         capture_output=True, check=True)
    assert jsonl(run.stdout.decode())[0]["id"] == "stdin"


def test_cli_and_api_give_the_same_verdict(tmp_path, capsys, client, auth):
    page = {"id": "same", "url": "http://edu.example.cn/a.html", "text": ARTICLE + "\n\n- • 百家乐开户送彩金"}
    (tmp_path / "p.jsonl").write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    classify_main([str(tmp_path / "p.jsonl")])
    cli = jsonl(capsys.readouterr().out)[0]
    api = client.post("/v1/classify", json=page, headers=auth).get_json()
    assert cli == api
