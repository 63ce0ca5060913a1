"""The HTTP API: verdict shape, batch, bad input (a 4xx naming the problem), auth."""

from __future__ import annotations

import base64
import gzip
import json
import zlib

import pytest

ARTICLE = ("湖南省基础教育优质均衡发展研讨会召开\n\n11月28日,湖南省基础教育优质均衡发展研讨会在双峰县召开,"
           "全省各地教育部门负责人、中小学校长共计260余人齐聚一堂,围绕提高教育质量展开深入探讨交流。")
VERDICT_KEYS = {"id", "url", "model_version", "language", "labels", "flags", "quality", "action", "spans", "text",
                "clean_text", "reasons"}


def test_classify_text_returns_full_verdict(client, auth):
    resp = client.post("/v1/classify", json={"url": "http://edu.example.cn/a.html", "text": ARTICLE, "id": "a1"},
                       headers=auth)
    assert resp.status_code == 200
    body = resp.get_json()
    assert VERDICT_KEYS <= set(body)
    assert body["id"] == "a1" and body["language"] == "zh"
    assert set(body["labels"]) == {"injected_spam", "link_farm", "fabricated_listicle"}
    assert all(0.0 <= p <= 1.0 for p in body["labels"].values()) and 0.0 <= body["quality"] <= 1.0
    assert body["action"] in {"keep", "strip", "review", "drop"}
    for span in body["spans"]:
        assert body["text"][span["start"]:span["end"]]
        assert span["label"] in {"injected_spam", "link_farm", "boilerplate"} and span["reasons"]


def test_a_gambling_name_substituted_into_a_paragraph_is_stripped_alone(client, auth):
    """The paragraph is an injected_spam block; its span is narrowed to the name, and the paragraph stays."""
    paragraph = "会议由澳门新葡京娱乐场承办,与会代表围绕提高教育质量展开深入探讨交流,并参观了当地学校的课堂教学和校园文化建设。"
    text = ("湖南省基础教育研讨会召开\n\n11月28日,湖南省基础教育优质均衡发展研讨会在双峰县召开,全省各地教育部门负责人、"
            "中小学校长共计260余人齐聚一堂。\n\n" + paragraph + "\n\n与会代表表示收获很大,将把好的经验带回去。")
    body = client.post("/v1/classify", json={"text": text}, headers=auth).get_json()
    assert body["flags"] == ["injected_spam"] and body["action"] == "strip"
    spam = [(s["start"], s["end"]) for s in body["spans"] if s["label"] == "injected_spam"]
    assert [text[s:e] for s, e in spam] == ["澳门新葡京娱乐场"]
    assert paragraph.replace("澳门新葡京娱乐场", "") in body["clean_text"] and "新葡京" not in body["clean_text"]


def test_classify_html_reports_element_paths(client, auth):
    html = f"<html><head><title>研讨会</title></head><body><nav><a href='/'>首页</a><a href='/n'>新闻</a></nav>" \
           f"<p>{ARTICLE}</p><footer>版权所有 湘ICP备05009375号</footer></body></html>"
    body = client.post("/v1/classify", json={"url": "http://edu.example.cn/a.html", "html": html},
                       headers=auth).get_json()
    assert body["input"] == "html"
    assert all("path" in s for s in body["spans"])
    assert "研讨会在双峰县召开" in body["clean_text"]


@pytest.mark.parametrize("query", ["id=a&id=b", "url=http://a.cn/&url=http://b.cn/"])
def test_a_raw_page_names_its_id_and_url_once(client, auth, query):
    resp = client.post(f"/v1/classify?{query}", data=b"<p>x</p>", headers={**auth, "Content-Type": "text/html"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_parameter"


@pytest.mark.parametrize("query,field", [("id=" + "a" * 201, "id"), ("url=http://a.cn/" + "a" * 4100, "url")])
def test_a_raw_page_s_names_have_the_json_limits(client, auth, query, field):
    """A 1,000-character ?id= was taken for a page sent as raw bytes, where a JSON page's id is refused over 200."""
    resp = client.post(f"/v1/classify?{query}", data=b"<p>x</p>", headers={**auth, "Content-Type": "text/html"})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == field


def test_a_charset_with_a_nul_is_read_as_no_charset(client, auth):
    """codecs.lookup("utf-8\x00") raises ValueError, not LookupError: a 500, and a batch lost every page."""
    raw = base64.b64encode(f"<p>{ARTICLE}</p>".encode("gbk")).decode()
    pages = [{"id": "nul", "html_base64": raw, "charset": "utf-8\x00"}, {"id": "ok", "text": ARTICLE}]
    resp = client.post("/v1/classify", json=pages[0], headers=auth)
    assert resp.status_code == 200 and "双峰县" in resp.get_json()["text"]
    batch = client.post("/v1/classify/batch", json={"pages": pages}, headers=auth).get_json()
    assert [r["id"] for r in batch["results"]] == ["nul", "ok"] and "双峰县" in batch["results"][0]["text"]


def test_base64_bytes_declared_text_plain_are_text(client, auth):
    """As when sent raw: "a<b" in a text page opens no tag, so what follows it stays in the text."""
    spam = "亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,天天都在看高清无码"
    page = f"{ARTICLE}\n\n若 a<b 则成立\n\n{spam}".encode("gbk")
    raw = client.post("/v1/classify", data=page, headers={**auth, "Content-Type": "text/plain; charset=gbk"})
    wrapped = client.post("/v1/classify", headers=auth, json={
        "html_base64": base64.b64encode(page).decode(), "content_type": "text/plain; charset=gbk"})
    assert spam in wrapped.get_json()["text"] and wrapped.get_json()["input"] == "text"
    assert {k: v for k, v in wrapped.get_json().items() if k != "id"} == \
        {k: v for k, v in raw.get_json().items() if k != "id"}


def test_text_bytes_that_mention_a_meta_charset_are_not_decoded_by_it(client, auth, tmp_path, capsys):
    """A text page's sentence about <meta charset> named the charset its bytes were decoded with, over the API's
    raw text/plain and in the command line's .txt files (GB18030 mojibake), while the same page as JSON text was
    read right."""
    from service.__main__ import main as cli_main

    page = 'Write <meta charset="gb2312"> in the head: 中文好'  # too few characters to be plainly UTF-8
    raw = client.post("/v1/classify?id=t", data=page.encode(), headers={**auth, "Content-Type": "text/plain"})
    assert raw.status_code == 200 and raw.get_json()["text"] == page and raw.get_json()["charset"] == "utf-8"
    (tmp_path / "t.txt").write_bytes(page.encode())
    assert cli_main(["classify", str(tmp_path / "t.txt")]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == raw.get_json()["text"]


@pytest.mark.parametrize("head,charset", [
    ("", "gbk"),
    # a crawler that forwards the HTTP default for a GBK page: the page's own meta charset wins over it
    ("<head><meta charset=gbk></head>", "ISO-8859-1"),
    # a label no codec has (servers send MySQL's utf8mb4, "none"): read as if none were named, not refused
    ("<head><meta charset=gbk></head>", "utf8mb4"),
    ("", "none"),
])
def test_raw_gbk_bytes_are_read_as_gbk(client, auth, head, charset):
    html = f"<html>{head}<body><p>{ARTICLE}</p></body></html>".encode("gbk")
    resp = client.post("/v1/classify?url=http://a.cn/x.html&id=gbk1", data=html,
                       headers={**auth, "Content-Type": f"text/html; charset={charset}"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id"] == "gbk1" and "双峰县" in body["text"] and body["charset"] == "gb18030"
    assert body["language"] == "zh"


@pytest.mark.parametrize("content_type", ["application/xhtml+xml", "text/html"])
def test_an_xhtml_page_opening_with_an_xml_declaration_is_read(client, auth, content_type):
    """lxml refuses decoded text that declares an encoding: an XHTML page (<?xml ... encoding="gb2312"?>, as older
    CMS pages open) read as empty and was kept, spam and all; a spam page so prefixed passed as clean."""
    spam = "亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,天天都在看高清无码"
    html = (f'<?xml version="1.0" encoding="gb2312"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            f'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<body><p>{ARTICLE}</p><p>{spam}</p></body></html>").encode("gbk")
    resp = client.post("/v1/classify?url=http://a.cn/x.html", data=html,
                       headers={**auth, "Content-Type": content_type})
    body = resp.get_json()
    assert resp.status_code == 200 and "双峰县" in body["text"] and spam in body["text"]
    assert body["action"] == "strip" and spam not in body["clean_text"] and "双峰县" in body["clean_text"]


def test_compressed_bodies_get_the_same_verdicts(client, auth):
    """Content-Encoding gzip or deflate (a crawler's HTML compresses several times over): decoded, then as if plain."""
    page = json.dumps({"id": "z1", "text": ARTICLE}).encode()
    plain = client.post("/v1/classify", data=page, headers=auth, content_type="application/json").get_json()
    for coding, data in (("gzip", gzip.compress(page)), ("deflate", zlib.compress(page)),
                         ("gzip", gzip.compress(page[:20]) + gzip.compress(page[20:]))):  # two gzip members
        resp = client.post("/v1/classify", data=data, content_type="application/json",
                           headers={**auth, "Content-Encoding": coding})
        assert resp.status_code == 200 and resp.get_json() == plain
    html = f"<html><body><p>{ARTICLE}</p></body></html>".encode("gbk")
    raw = client.post("/v1/classify?id=z2", data=gzip.compress(html),
                      headers={**auth, "Content-Type": "text/html; charset=gbk", "Content-Encoding": "gzip"})
    assert raw.status_code == 200 and "双峰县" in raw.get_json()["text"]
    batch = json.dumps({"pages": [{"text": ARTICLE}, {"text": "短文本"}]}).encode()
    resp = client.post("/v1/classify/batch", data=zlib.compress(batch), content_type="application/json",
                       headers={**auth, "Content-Encoding": "deflate"})
    assert resp.status_code == 200 and len(resp.get_json()["results"]) == 2


@pytest.mark.parametrize("coding,data,status,code", [
    ("gzip", b"not gzip at all", 400, "invalid_encoding"),
    ("gzip", gzip.compress(b'{"text": "x"}')[:-12], 400, "invalid_encoding"),  # truncated
    ("deflate", zlib.compress(b'{"text": "x"}') + b"junk", 400, "invalid_encoding"),
    ("br", b'{"text": "x"}', 415, "unsupported_content_encoding"),
    ("gzip, deflate", b'{"text": "x"}', 415, "unsupported_content_encoding"),
    # 10 MB of spaces in 10 KB: decoding stops at the body limit, as for an uncompressed body
    ("gzip", gzip.compress(b'{"text": "x"' + b" " * 10_000_000 + b"}"), 413, "body_too_large"),
])
def test_bad_compressed_bodies_get_a_4xx(client, auth, coding, data, status, code):
    resp = client.post("/v1/classify", data=data, content_type="application/json",
                       headers={**auth, "Content-Encoding": coding})
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code


def test_html_base64_big5(client, auth):
    raw = "<html><body><p>全市教育大會召開,錨定建設教育強市目標,齊心協力推動全市教育事業高質量發展。</p></body></html>"
    resp = client.post("/v1/classify", json={"html_base64": base64.b64encode(raw.encode("big5")).decode(),
                                             "charset": "big5"}, headers=auth)
    assert resp.status_code == 200 and "錨定建設" in resp.get_json()["text"]


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_empty_text_gets_a_valid_verdict(client, auth, text):
    resp = client.post("/v1/classify", json={"text": text}, headers=auth)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["action"] in {"keep", "review"} and body["spans"] == [] and body["flags"] == []


def test_default_id_is_stable(client, auth):
    a = client.post("/v1/classify", json={"text": ARTICLE, "url": "u"}, headers=auth).get_json()["id"]
    b = client.post("/v1/classify", json={"text": ARTICLE, "url": "u"}, headers=auth).get_json()["id"]
    assert a == b and a.startswith("p_")


@pytest.mark.parametrize("kwargs,status,code", [
    ({"data": "text=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ({"data": '{"text": "x"', "content_type": "application/json"}, 400, "invalid_json"),
    ({"data": "", "content_type": "application/json"}, 400, "empty_body"),
    ({"data": b'{"text": "\xff\xfe"}', "content_type": "application/json"}, 400, "invalid_json"),
    ({"json": {"text": "x", "colour": "red"}}, 400, "unknown_field"),
    ({"json": {"url": "http://a.cn"}}, 400, "missing_content"),
    ({"json": {"text": "x", "html": "<p>x</p>"}}, 400, "ambiguous_content"),
    ({"json": {"text": 42}}, 400, "invalid_field"),
    ({"json": {"url": 1}}, 400, "invalid_field"),  # the wrong field is named even when content is missing too
    ({"json": ["not", "an", "object"]}, 400, "invalid_page"),
    ({"json": {"html_base64": "%%%"}}, 400, "invalid_base64"),
    ({"json": {"html_base64": base64.b64encode(bytes(range(256)) * 40).decode()}}, 422, "undecodable"),
    ({"json": {"text": "x", "content_type": "image/png"}}, 415, "unsupported_page_type"),
    ({"json": {"text": "x" * 2_000_001}}, 413, "page_too_large"),
    # Python's own advice ("use sys.set_int_max_str_digits()") was the message
    ({"data": '{"text": "x", "id": ' + "9" * 5000 + "}", "content_type": "application/json"}, 400, "invalid_json"),
])
def test_bad_input_gets_a_4xx_naming_the_problem(client, auth, kwargs, status, code):
    resp = client.post("/v1/classify", headers=auth, **kwargs)
    assert resp.status_code == status
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"] and "sys." not in error["message"]


def test_body_over_the_limit(client, auth, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = client.post("/v1/classify", json={"text": "x" * 5000}, headers=auth)
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "body_too_large"


def test_batch_answers_in_order_with_per_page_errors(client, auth):
    pages = [{"id": "ok1", "text": ARTICLE}, {"id": "bad", "colour": "red"}, {"id": "ok2", "text": "短文本"}]
    resp = client.post("/v1/classify/batch", json={"pages": pages}, headers=auth)
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert [r.get("id") for r in results] == ["ok1", "bad", "ok2"]
    assert results[1]["error"]["code"] == "unknown_field" and results[1]["index"] == 1
    assert "action" in results[0] and "action" in results[2]


@pytest.mark.parametrize("body,status,code", [
    ({"pages": [{"text": "x"}] * 65}, 413, "batch_too_long"),
    ({"pages": []}, 400, "empty_batch"),
    ({"pages": "x"}, 400, "invalid_batch"),
    ({"pages": [], "extra": 1}, 400, "unknown_field"),
])
def test_batch_limits(client, auth, body, status, code):
    resp = client.post("/v1/classify/batch", json=body, headers=auth)
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code


def test_classify_needs_a_key_unless_anonymous(client, anon_client):
    resp = client.post("/v1/classify", json={"text": ARTICLE})
    assert resp.status_code == 401 and "create-key" in resp.get_json()["error"]["message"]
    assert anon_client.post("/v1/classify", json={"text": ARTICLE}).status_code == 200


def test_invalid_and_wrong_role_keys(client, app):
    from service.storage.db import session_scope
    from service.storage.keys import create_key

    assert client.post("/v1/classify", json={"text": "x"},
                       headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/v1/classify", json={"text": "x"},
                       headers={"Authorization": "Basic abc"}).status_code == 401
    with session_scope(app.extensions["pagesieve"].database_url) as session:
        moderator = create_key(session, "moderator")
    resp = client.post("/v1/classify", json={"text": "x"}, headers={"Authorization": f"Bearer {moderator}"})
    assert resp.status_code == 403


def test_health_ready_model_and_openapi(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["ready"] is True
    info = client.get("/v1/model").get_json()
    assert {"version", "sha256", "training_data_sha256", "metrics", "thresholds"} <= set(info)
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/v1/classify" in spec["paths"]


def test_openapi_states_the_configured_batch_limit(config, loaded_model):
    from service.app import create_app

    app = create_app(config.with_overrides({"limits": {"max_batch": 3}}))
    app.extensions["pagesieve"].registry._current = loaded_model
    spec = app.test_client().get("/openapi.json").get_json()
    body = spec["paths"]["/v1/classify/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    wrapped, bare = body["oneOf"][0]["properties"]["pages"], body["oneOf"][1]  # {"pages": [...]} or the list
    assert wrapped == bare and bare["type"] == "array" and bare["minItems"] == 1 and bare["maxItems"] == 3


def test_openapi_lists_every_route(app):
    """Every API route and method is in the document, which is also what says which query parameters each
    takes (the unknown-parameter check passes a route the document lacks)."""
    from service.openapi import openapi_document, openapi_path

    documented = {(path, method.upper()) for path, ops in openapi_document()["paths"].items() for method in ops}
    routes = {(openapi_path(r.rule), m) for r in app.url_map.iter_rules()
              if r.endpoint != "static" and not r.rule.startswith(("/review", "/static"))
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes <= documented, routes - documented


def _operations():
    from service.openapi import openapi_document

    return [(path, method) for path, ops in openapi_document()["paths"].items() if path.startswith("/v1/")
            for method in ops]


@pytest.mark.parametrize("path,method", _operations())
def test_every_api_operation_refuses_a_query_parameter_it_does_not_take(client, auth, path, method):
    """A misspelt parameter is a 400 naming it and saying what the operation takes, before anything runs."""
    from service.openapi import openapi_document, query_parameters

    url = path.replace("{", "").replace("}", "").replace("item_id", "1").replace("campaign_id", "1") \
        .replace("decision_id", "1")
    resp = client.open(url + "?colour=red", method=method.upper(), headers=auth, json={})
    assert resp.status_code == 400, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "unknown_parameter" and error["field"] == "colour"
    for name in query_parameters(openapi_document())[(path, method.upper())]:
        assert name in error["message"]
    assert "400" in openapi_document()["paths"][path][method]["responses"]


def test_a_misspelt_review_filter_is_refused_not_ignored(client, app):
    from service.storage.db import session_scope
    from service.storage.keys import create_key

    with session_scope(app.extensions["pagesieve"].database_url) as session:
        moderator = {"Authorization": f"Bearer {create_key(session, 'moderator')}"}
    assert client.get("/v1/review/items?label=link_farm", headers=moderator).status_code == 200
    resp = client.get("/v1/review/items?lable=link_farm", headers=moderator)
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "lable"
    assert "label" in resp.get_json()["error"]["message"]


def test_classify_query_parameters_go_with_raw_bytes_only(client, auth):
    page = "<html><head><title>t</title></head><body><p>正文</p></body></html>".encode("gbk")
    ok = client.post("/v1/classify?url=http://a.cn/1&id=p1", data=page, headers=auth,
                     content_type="text/html; charset=gbk")
    assert ok.status_code == 200 and ok.get_json()["id"] == "p1" and ok.get_json()["url"] == "http://a.cn/1"
    charset = client.post("/v1/classify?charset=gbk", data=page, headers=auth, content_type="text/html")
    assert charset.status_code == 400 and charset.get_json()["error"]["field"] == "charset"
    assert "id, url" in charset.get_json()["error"]["message"]
    json_page = client.post("/v1/classify?url=http://a.cn/1", json={"text": ARTICLE}, headers=auth)
    assert json_page.status_code == 400 and json_page.get_json()["error"]["code"] == "unknown_parameter"
    assert "in the body" in json_page.get_json()["error"]["message"]
    other = client.post("/v1/classify?colour=red", json={"text": ARTICLE}, headers=auth).get_json()["error"]
    assert other["field"] == "colour" and "unknown query parameter 'colour'" in other["message"]
    assert "takes no query parameters" in other["message"] and "raw page bytes" not in other["message"]


def test_every_answer_carries_a_request_id(client, auth):
    """The client's own X-Request-Id when usable, else a new one; on errors too."""
    mine = client.get("/healthz", headers={"X-Request-Id": "crawl-42:page.7"})
    assert mine.headers["X-Request-Id"] == "crawl-42:page.7"
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)
    for unusable in ("has space", "x" * 129, "<script>", ""):
        given = client.get("/healthz", headers={"X-Request-Id": unusable}).headers["X-Request-Id"]
        assert given != unusable and len(given) == 32
    error = client.post("/v1/classify", data="{", content_type="application/json",
                        headers={**auth, "X-Request-Id": "bad-1"})
    assert error.status_code == 400 and error.headers["X-Request-Id"] == "bad-1"
    assert client.get("/nope", headers={"X-Request-Id": "lost-1"}).headers["X-Request-Id"] == "lost-1"


def test_an_unexpected_error_is_a_json_500_whose_log_names_the_request(config, caplog):
    from service.app import create_app

    app = create_app(config)

    @app.get("/v1/boom")
    def boom():
        raise RuntimeError("a bug")

    with caplog.at_level("ERROR", logger="service.app"):
        resp = app.test_client().get("/v1/boom", headers={"X-Request-Id": "trace-500"})
    assert resp.status_code == 500 and resp.get_json()["error"]["code"] == "internal_error"
    assert "a bug" not in resp.get_data(as_text=True)  # the details stay in the log
    assert resp.headers["X-Request-Id"] == "trace-500"
    assert any("request trace-500" in r.getMessage() and r.exc_info for r in caplog.records)


def test_unknown_endpoint_and_method_are_json(client):
    assert client.get("/nope").get_json()["error"]["code"] == "not_found"
    resp = client.get("/v1/classify")
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"
    assert resp.headers["Allow"] == "OPTIONS, POST"  # RFC 9110: a 405 says which methods are allowed
    assert client.delete("/healthz").headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("url", [
    "postgresql:///fix_spool_absent?host=127.0.0.1&password=S3CRETPW",
    "postgresql://postgres:S3CRETPW@127.0.0.1/fix_spool_absent?sslpassword=S3CRETPW",
])
def test_a_database_password_is_never_logged(config, loaded_model, caplog, url):
    """A database that is not there at start-up is logged by its URL, the password hidden wherever the URL holds it
    (libpq reads one from the query string too)."""
    from service.app import create_app
    from service.storage.db import dispose_engine

    with caplog.at_level("INFO", logger="service.app"):
        app = create_app(config.with_overrides({"storage": {"database_url": url}}))
    try:
        assert "fix_spool_absent" in caplog.text and "***" in caplog.text
        assert "S3CRETPW" not in caplog.text
    finally:
        app.extensions["pagesieve_review"].close()
        dispose_engine(url)
