"""The API contract under arbitrary input (Hypothesis): a verdict or a 4xx naming the problem, never a 500.

Whatever JSON value, page object or byte string a client sends to
``/v1/classify`` and ``/v1/classify/batch``, the answer is a 200 with a
valid verdict (a valid per-page result for a batch) or a 4xx with
``{"error": {"code", "message"}}``. The regression tests below pin each
problem the property test found.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.app import create_app
from service.config import load_config
from service.requests import FIELDS

VERDICT_KEYS = {"id", "url", "model_version", "language", "labels", "flags", "quality", "action", "spans", "text",
                "clean_text", "reasons"}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udc00" * 3])
TRICKY_URLS = ["", "http://[", "http://[::1", "http://a.cn:99999/", "http://a.cn:port/", "//", "http://%zz/",
               "http://例子.中国/路径?q=澳门", "javascript:alert(1)", "http://a.cn/" + "a" * 300, "\x00", "http://a b/"]
TRICKY_CHARSETS = ["gbk", "gb2312", "big5", "utf-8", "utf-16", "latin-1", "rot13", "hex", "base64", "punycode",
                   "idna", "utf-7", "nope", "", "\x00", "zlib", "uu", "bz2", "quopri", "utf_32", "cp037", "mbcs"]
html_snippets = st.sampled_from(["<p>全市教育大会召开</p>", "<a href='http://[x'>link</a>", "<div style='display:none'>",
                                 "<style>.x{display:none}</style>", "</div>", "<title>t</title>", "<br>", "&#0;",
                                 "<a href='//[::1'>x</a>", "<base href='http://[::'>", "\x00", "<ul><li>a</li></ul>"])
page_values = {
    "id": st.text(max_size=30) | SURROGATES | json_values,
    "url": st.sampled_from(TRICKY_URLS) | st.text(max_size=50) | SURROGATES | json_values,
    "text": st.text(max_size=300) | SURROGATES | json_values,
    "html": st.lists(html_snippets | st.text(max_size=30), max_size=8).map("".join) | json_values,
    "html_base64": st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=40),
    "charset": st.sampled_from(TRICKY_CHARSETS) | st.text(max_size=12) | SURROGATES | json_values,
    "content_type": st.sampled_from(["text/html", "text/html; charset=gbk", "text/plain; charset=rot13",
                                     "text/html; charset=\"big5\"", "image/png", ";", ""]) | st.text(max_size=30)
    | SURROGATES,
}


@st.composite
def page_objects(draw):
    keys = draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=4))
    page = {key: draw(page_values[key]) for key in keys}
    if draw(st.booleans()):
        page[draw(st.sampled_from(["text", "html", "html_base64"]))] = draw(page_values["html"])
    if draw(st.integers(0, 9)) == 0:
        page[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    return page


bodies = page_objects() | json_values


@pytest.fixture(scope="module")
def contract_client(tmp_path_factory, loaded_model):
    tmp = tmp_path_factory.mktemp("contract")
    config = load_config({"storage": {"database_url": f"sqlite:///{tmp / 'c.db'}", "spool_dir": str(tmp / "spool")},
                          "service": {"anonymous_classify": True}}, environ={})
    app = create_app(config)
    app.extensions["pagesieve"].registry._current = loaded_model
    return app.test_client()


def _assert_error(resp):
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:300])
    error = resp.get_json()["error"]
    assert isinstance(error["code"], str) and error["code"] and isinstance(error["message"], str) and error["message"]


def _assert_verdict(body: dict):
    assert VERDICT_KEYS <= set(body), body
    assert body["action"] in {"keep", "strip", "review", "drop"}
    assert all(0.0 <= p <= 1.0 for p in body["labels"].values()) and 0.0 <= body["quality"] <= 1.0
    spans = body["spans"]
    for span in spans:
        assert 0 <= span["start"] < span["end"] <= len(body["text"])
    for i, a in enumerate(spans):  # disjoint, or an inline span inside a boilerplate block's span (README)
        for b in spans[i + 1:]:
            if a["start"] < b["end"] and b["start"] < a["end"]:
                outer, inner = (a, b) if a["end"] - a["start"] >= b["end"] - b["start"] else (b, a)
                assert outer["label"] == "boilerplate" and inner.get("inline") \
                    and outer["start"] <= inner["start"] and inner["end"] <= outer["end"], (a, b)


def check_classify(resp):
    if resp.status_code == 200:
        _assert_verdict(resp.get_json())
    else:
        _assert_error(resp)


def check_batch(resp, sent):
    if resp.status_code != 200:
        _assert_error(resp)
        return
    results = resp.get_json()["results"]
    pages = sent.get("pages") if isinstance(sent, dict) else sent
    assert len(results) == len(pages)
    for index, result in enumerate(results):
        if "error" in result:
            assert result["index"] == index and 400 <= result["status"] < 500 and result["error"]["message"]
        else:
            _assert_verdict(result)


def _post(client, path, body):
    raw = json.dumps(body, allow_nan=True).encode()
    return client.post(path, data=raw, content_type="application/json")


@SETTINGS
@given(body=bodies)
def test_classify_never_500(contract_client, body):
    check_classify(_post(contract_client, "/v1/classify", body))


@SETTINGS
@given(pages=st.lists(bodies, min_size=1, max_size=5), wrap=st.booleans())
def test_batch_never_500(contract_client, pages, wrap):
    body = {"pages": pages} if wrap else pages
    check_batch(_post(contract_client, "/v1/classify/batch", body), body)


@SETTINGS
@given(body=json_values)
def test_batch_with_any_json_never_500(contract_client, body):
    resp = _post(contract_client, "/v1/classify/batch", body)
    if resp.status_code == 200:
        check_batch(resp, body)
    else:
        _assert_error(resp)


@SETTINGS
@given(raw=st.binary(max_size=400), content_type=st.sampled_from(["application/json", "text/html", "text/plain",
                                                                    "text/html; charset=gbk", "text/html; charset=rot13",
                                                                    "text/html; charset=punycode", "application/xml"]),
       query=st.sampled_from(["", "?url=http://[", "?url=http://a.cn/&id=x", "?id=" + "x" * 300]))
def test_raw_bodies_never_500(contract_client, raw, content_type, query):
    check_classify(contract_client.post("/v1/classify" + query, data=raw, content_type=content_type))


# -- regressions: one per problem the property tests found ------------------------------------------------------


@pytest.mark.parametrize("url", ["http://[", "http://[::1", "https://[x]/"])
def test_unparseable_url_is_a_400(contract_client, url):
    for resp in (contract_client.post("/v1/classify", json={"url": url, "html": "<p>x</p>"}),
                 contract_client.post("/v1/classify", json={"url": url, "text": "x"}),
                 contract_client.post(f"/v1/classify?url={url}", data=b"<p>x</p>", content_type="text/html")):
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_url"
    batch = contract_client.post("/v1/classify/batch", json={"pages": [{"url": url, "text": "x"}, {"text": "y"}]})
    assert [r.get("error", {}).get("code") for r in batch.get_json()["results"]] == ["invalid_url", None]


@pytest.mark.parametrize("charset", ["punycode", "idna"])
def test_charset_whose_codec_fails_without_a_position(contract_client, charset):
    """punycode/idna raise a bare UnicodeError (not UnicodeDecodeError): the next charset is tried instead."""
    resp = contract_client.post("/v1/classify", data=b"\x00 <p>x</p>", content_type=f"text/html; charset={charset}")
    assert resp.status_code in (200, 422)
    if resp.status_code == 422:
        assert resp.get_json()["error"]["code"] == "undecodable"
    resp = contract_client.post("/v1/classify", json={"html_base64": base64.b64encode(b"\xff\x00 x").decode(),
                                                      "charset": charset})
    assert resp.status_code in (200, 422)


@pytest.mark.parametrize("field", ["id", "url", "charset", "content_type", "text", "html"])
def test_unpaired_surrogates_in_any_string_field_are_a_400(contract_client, field):
    """JSON may carry lone surrogates (\\ud800); they cannot be encoded back to UTF-8 in the verdict."""
    page = {"text": "x"} if field not in {"text", "html"} else {}
    page[field] = "a\ud800b" if field != "content_type" else "text/html; charset=\ud800"
    raw = json.dumps(page).encode()
    resp = contract_client.post("/v1/classify", data=raw, content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"] == {
        "code": "invalid_text", "field": field, "message": resp.get_json()["error"]["message"]}
    batch = contract_client.post("/v1/classify/batch", data=b'{"pages": [' + raw + b"]}",
                                 content_type="application/json")
    assert batch.status_code == 200 and batch.get_json()["results"][0]["error"]["code"] == "invalid_text"


@pytest.mark.parametrize("path", ["/v1/classify", "/v1/classify/batch"])
def test_deeply_nested_json_is_a_400(contract_client, path):
    resp = contract_client.post(path, data=b"[" * 100_000, content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"


def test_error_echoing_client_text_with_surrogates_renders(contract_client):
    """An unknown field name or a bad page's id is echoed back; lone surrogates in it are escaped."""
    resp = contract_client.post("/v1/classify", data=b'{"text": "x", "\\ud800": 1}', content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "\\ud800"
    batch = contract_client.post("/v1/classify/batch", data=b'{"pages": [{"id": "\\ud800", "colour": 1}]}',
                                 content_type="application/json")
    assert batch.status_code == 200 and batch.get_json()["results"][0]["id"] == "\\ud800"
