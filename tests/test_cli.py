"""`python -m service classify`: files, JSONL, stdin; the same verdict as the API."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

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


def test_json_ndjson_and_utf16_jsonl_files(tmp_path, capsys):
    """A .json file is one request or an array of them; .ndjson is JSONL; a UTF-16 JSONL file (an editor on
    Windows saves it so) is read whole, where its bytes split at newlines cut characters in half. Each of these
    was read as one text page, or line by line with decoding errors."""
    requests = [{"id": "j1", "text": ARTICLE}, {"text": "第二页"}, {"id": None, "text": "第三页"}]
    (tmp_path / "one.json").write_text(json.dumps(requests[0], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "many.json").write_text(json.dumps(requests, ensure_ascii=False), encoding="utf-8")
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
    (tmp_path / "n.ndjson").write_text(lines, encoding="utf-8")
    (tmp_path / "w.jsonl").write_text(lines, encoding="utf-16")
    (tmp_path / "bad.json").write_text("{nope", encoding="utf-8")
    names = ("one.json", "many.json", "n.ndjson", "w.jsonl", "bad.json")
    assert classify_main([str(tmp_path / n) for n in names]) == 1
    out = jsonl(capsys.readouterr().out)
    assert [v["id"] for v in out] == ["j1", "j1", "many:2", "many:3", "j1", "n:2", "n:3", "j1", "w:2", "w:3", "bad"]
    assert all("error" not in v for v in out[:-1]) and out[-1]["error"]["code"] == "invalid_json"
    assert out[0] == out[1] == out[4] == out[7]


def test_stdin_reads_a_bom_a_json_array_utf16_and_dash():
    """A UTF-8 byte-order mark hid the '{' that makes standard input JSONL, so the whole stream was one text page;
    a JSON array was a text page too. '-' among the files is standard input."""
    page = json.dumps({"id": "s", "text": ARTICLE}, ensure_ascii=False)

    def ids(data: bytes, *args: str) -> list[str]:
        run = subprocess.run([sys.executable, "-m", "service", "classify", *args], input=data, capture_output=True,
                             check=True)
        return [v["id"] for v in jsonl(run.stdout.decode())]

    assert ids(b"\xef\xbb\xbf" + page.encode()) == ["s"]
    assert ids(f"[{page}, {{\"text\": \"x\"}}]".encode()) == ["s", "stdin:2"]
    assert ids((page + "\n" + page.replace('"s"', '"t"')).encode("utf-16")) == ["s", "t"]
    assert ids(page.encode(), "-") == ["s"]


def test_a_text_page_on_stdin_has_the_size_limit_of_a_file():
    run = subprocess.run([sys.executable, "-m", "service", "classify"], input=b"x" * 2_000_001, capture_output=True)
    assert run.returncode == 1
    assert jsonl(run.stdout.decode())[0]["error"]["code"] == "page_too_large"


def test_ids_that_are_not_unicode_are_printed(tmp_path, capsys):
    """An unpaired surrogate in a bad line's id, or a file name not in UTF-8, stopped the run with a
    UnicodeEncodeError on writing, and every later page was lost."""
    (tmp_path / "s.jsonl").write_text('{"id": "\\ud800", "text": "x"}\n{"id": "after", "text": "y"}\n',
                                      encoding="utf-8")
    odd = tmp_path / os.fsdecode(b"\xd6\xd0\xce\xc4.txt")  # a GBK file name
    odd.write_text(ARTICLE, encoding="utf-8")
    assert classify_main([str(tmp_path / "s.jsonl"), str(odd)]) == 1
    out = jsonl(capsys.readouterr().out)
    assert [v["id"] for v in out] == ["\\ud800", "after", "\\udcd6\\udcd0\\udcce\\udcc4"]
    assert out[0]["error"]["code"] == "invalid_text" and out[2]["action"] == "keep"


def test_a_page_the_service_fails_on_is_an_error_line_and_the_rest_go_on(tmp_path, capsys, monkeypatch):
    import service.classify

    real = service.classify.classify_page

    def fails_on_b(page, loaded):
        if page.id == "b":
            raise RuntimeError("a bug")
        return real(page, loaded)

    monkeypatch.setattr(service.classify, "classify_page", fails_on_b)
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": i, "text": ARTICLE}) + "\n" for i in "abc"),
                                       encoding="utf-8")
    assert classify_main([str(tmp_path / "in.jsonl")]) == 3
    captured = capsys.readouterr()
    out = jsonl(captured.out)
    assert [(v["id"], v.get("error", {}).get("code")) for v in out] == [("a", None), ("b", "internal_error"),
                                                                         ("c", None)]
    assert "RuntimeError: a bug" in captured.err


def test_a_reader_that_goes_away_ends_the_run_without_a_traceback(tmp_path):
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": f"p{i}", "text": ARTICLE}) + "\n"
                                               for i in range(300)), encoding="utf-8")
    run = subprocess.run(f"{sys.executable} -m service classify {tmp_path / 'in.jsonl'} | head -1", shell=True,
                         capture_output=True)
    assert jsonl(run.stdout.decode())[0]["id"] == "p0"
    assert b"Traceback" not in run.stderr and b"BrokenPipe" not in run.stderr


@pytest.mark.parametrize("args,env,message", [
    (["serve", "--workers", "0"], {}, "at least 1 worker"),  # gunicorn listened and never answered
    (["serve", "--port", "99999"], {}, "a port is 0 to 65535"),  # an OverflowError traceback
    (["classify"], {"PAGESIEVE_LIMITS_MAX_BATCH": "abc"}, "PAGESIEVE_LIMITS_MAX_BATCH='abc': expected an integer"),
    (["nosuch"], {}, "unknown verb 'nosuch'"),
    (["serve", "--port", "8624"], {"PAGESIEVE_SERVICE_LOG_LEVEL": "loud"}, "expected one of debug, info"),
    # a URL no retry can mend served with "database": false and retried it every 10 s forever
    (["serve", "--port", "8624"], {"DATABASE_URL": "mysql://u:pw@db/x"},
     "DATABASE_URL (or storage.database_url) is mysql://u:***@db/x: no database driver for it here"),
    (["serve", "--port", "8624"], {"PAGESIEVE_STORAGE_DATABASE_URL": "sqlite:////etc/passwd/x.db"},
     "the SQLite database /etc/passwd/x.db cannot be made: its directory /etc/passwd cannot be created"),
    (["list-keys"], {"PAGESIEVE_STORAGE_SQLITE_PATH": "/etc/passwd/x.db"}, "set storage.sqlite_path"),
    # checked in each worker: a traceback, "Worker failed to boot", exit 3
    (["serve", "--port", "8624"], {"PAGESIEVE_STORAGE_SPOOL_DIR": "/etc/passwd/spool"},
     "storage.spool_dir (PAGESIEVE_STORAGE_SPOOL_DIR) /etc/passwd/spool cannot hold the review spool"),
    # the workers each failed to make it: "Worker failed to boot", exit 3
    (["serve", "--port", "8624"], {"PAGESIEVE_REVIEW_SECRET_KEY_FILE": "/etc/passwd/secret_key"},
     "review.secret_key_file /etc/passwd/secret_key cannot be created or read"),
])
def test_bad_settings_and_verbs_are_named(args, env, message):
    run = subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, timeout=120, input=b"",
                         env={**os.environ, **env})
    assert run.returncode == 2 and message in run.stderr.decode() and b"Traceback" not in run.stderr, run.stderr


@pytest.mark.parametrize("args", [["list-keys"], ["create-key", "--role", "crawler"], ["revoke-key", "ps_AbC1"]])
def test_key_commands_with_the_database_down_say_so_in_one_line(args):
    """Nothing listens on port 8625: a 45-frame traceback, with the URL's password, was all the operator got."""
    url = "postgresql://pagesieve:s3cretpw@127.0.0.1:8625/pagesieve"
    run = subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, timeout=120,
                         env={**os.environ, "PAGESIEVE_STORAGE_DATABASE_URL": url})
    err = run.stderr.decode()
    assert run.returncode == 1 and b"Traceback" not in run.stderr and len(err.splitlines()) == 1, err
    assert err.startswith("error: the database at postgresql://pagesieve:***@127.0.0.1:8625/pagesieve is "
                          "unreachable") and "s3cretpw" not in err, err


def test_a_verdict_is_one_line_to_readers_that_split_on_unicode_line_breaks(tmp_path, capsys):
    """U+2028, U+2029 and NEL are left raw in JSON strings: Python's str.splitlines (and JavaScript) split a
    verdict whose id or url held one into two broken lines."""
    page = {"id": "a\u2028b\x85c", "url": "http://x.cn/\u2029", "text": "全市教育大会召开。"}
    (tmp_path / "a.jsonl").write_text(json.dumps(page) + "\n", encoding="utf-8")
    assert classify_main([str(tmp_path / "a.jsonl")]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1 and json.loads(out)["id"] == page["id"] and json.loads(out)["url"] == page["url"]
