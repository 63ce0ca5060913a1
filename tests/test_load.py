"""Load test: the real service under gunicorn, real HTTP, concurrent clients, a graceful reload.

``python -m service serve --workers 2`` runs in a subprocess with its own
SQLite database (``PAGESIEVE_STORAGE_DATABASE_URL``). A few hundred requests
(single pages and batches, HTML, text and raw GBK bytes, and bad input) go
out from concurrent threads; a third of the way in, the gunicorn master gets
SIGHUP. Only correctness is asserted: every response has the expected status
and a valid body, no 5xx, no dropped connection, batch results in order, and
``/metrics`` (summed over workers, including the ones the reload replaced)
counts exactly the requests sent. Speed is the benchmark's job.
"""

from __future__ import annotations

import json
import time

import pytest
from test_metrics import sample

from service.bench.http import request, run_concurrently, start_server

pytestmark = pytest.mark.slow

ZH = "全市教育大会召开\n\n4月25日上午,全市教育大会召开。市委书记出席并讲话,强调要推动全市教育事业高质量发展。"
EN = "Library budget approved\n\nThe city council approved the new library budget on Tuesday, officials said."
SPAM = ZH + "\n\n• 亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线"
HTML = ("<html><head><title>研讨会召开</title></head><body><nav><a href='/'>首页</a><a href='/n'>新闻</a></nav>"
        "<p>11月28日,湖南省基础教育优质均衡发展研讨会在双峰县召开,全省各地教育部门负责人齐聚一堂。</p>"
        "<footer>版权所有 湘ICP备05009375号</footer></body></html>")
VERDICT_KEYS = {"id", "url", "model_version", "language", "labels", "flags", "quality", "action", "spans", "text",
                "clean_text", "reasons"}
N_REQUESTS = 300
CONCURRENCY = 8


def _is_verdict(body: dict, page_id: str | None) -> bool:
    return (VERDICT_KEYS <= set(body) and (page_id is None or body["id"] == page_id)
            and body["action"] in {"keep", "strip", "review", "drop"}
            and all(0.0 <= p <= 1.0 for p in body["labels"].values()))


def _case(n: int) -> dict:
    """Request number ``n``: method, path, body, headers, expected status and a check of the body."""
    pid = f"load-{n}"
    kind = n % 10
    if kind in (0, 1, 2):
        text = (ZH, EN, SPAM)[kind]
        return {"path": "/v1/classify", "json": {"id": pid, "url": f"http://load.example/{n}", "text": text},
                "status": 200, "check": lambda b: _is_verdict(b, pid)}
    if kind == 3:
        return {"path": "/v1/classify", "json": {"id": pid, "html": HTML}, "status": 200,
                "check": lambda b: _is_verdict(b, pid) and b["input"] == "html"}
    if kind == 4:
        return {"path": f"/v1/classify?id={pid}&url=http://gbk.example/", "raw": HTML.encode("gbk"),
                "content_type": "text/html; charset=gbk", "status": 200,
                "check": lambda b: _is_verdict(b, pid) and b["charset"] == "gb18030"}
    if kind in (5, 6):
        pages = [{"id": f"{pid}.{i}", "text": (ZH, EN, SPAM)[i % 3]} for i in range(4)]
        pages.insert(2, {"id": f"{pid}.bad", "colour": "red"})
        ids = [p["id"] for p in pages]

        def check(body, ids=ids):
            results = body["results"]
            return ([r.get("id") for r in results] == ids and results[2]["error"]["code"] == "unknown_field"
                    and results[2]["index"] == 2 and all(_is_verdict(r, None) for i, r in enumerate(results) if i != 2))
        return {"path": "/v1/classify/batch", "json": {"pages": pages}, "status": 200, "check": check}
    bad = [
        ({"raw": b'{"text": ', "content_type": "application/json"}, 400, "invalid_json"),
        ({"json": {"text": "x", "colour": "red"}}, 400, "unknown_field"),
        ({"raw": b"text=x", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({"json": {"pages": []}, "path": "/v1/classify/batch"}, 400, "empty_batch"),
        ({"json": {"html_base64": "%%%"}}, 400, "invalid_base64"),
        ({"json": {"text": "x"}, "auth": False}, 401, "missing_key"),
    ][n % 6]
    spec, status, code = bad
    return {"path": "/v1/classify", **spec, "status": status,
            "check": lambda b, code=code: isinstance(b.get("error"), dict) and bool(b["error"].get("message"))
            and b["error"]["code"] == code}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("load"), workers=2,
                       extra_env={"PAGESIEVE_SERVICE_ALLOW_ANONYMOUS_LOCALHOST": "false"})
    try:
        srv.wait_ready()
        yield srv
    finally:
        code = srv.stop()
        assert code == 0, srv.log_tail()


def _call(srv, case: dict):
    headers = {} if case.get("auth") is False else dict(srv.auth)
    if "raw" in case:
        body, headers["Content-Type"] = case["raw"], case["content_type"]
    else:
        body, headers["Content-Type"] = json.dumps(case["json"]).encode(), "application/json"
    return lambda: request(srv.port, "POST", case["path"], body, headers)


def _new_workers(srv, old: set[int], timeout: float = 90.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = set(srv.worker_pids())
        if len(pids) == 2 and not pids & old and request(srv.port, "GET", "/readyz").status == 200:
            return pids
        time.sleep(0.2)
    raise AssertionError(f"workers not replaced after SIGHUP: {srv.worker_pids()} (old {old})")


def test_concurrent_load_with_graceful_reload(server):
    cases = [_case(n) for n in range(N_REQUESTS)]
    old_workers = set(server.worker_pids())
    assert len(old_workers) == 2
    reloaded = []

    def maybe_reload(done: int) -> None:
        if done == N_REQUESTS // 3 and not reloaded:
            server.reload()
            reloaded.append(time.monotonic())

    responses, _ = run_concurrently([_call(server, c) for c in cases], CONCURRENCY, on_progress=maybe_reload)
    assert reloaded, "SIGHUP was not sent"
    failures = []
    for n, (case, resp) in enumerate(zip(cases, responses)):
        if resp.error or resp.status != case["status"] or resp.status >= 500:
            failures.append((n, resp.status, resp.error, resp.body[:200]))
            continue
        body = resp.json()
        if not case["check"](body):
            failures.append((n, resp.status, "invalid body", json.dumps(body, ensure_ascii=False)[:300]))
    assert not failures, failures[:5]
    new_workers = _new_workers(server, old_workers)
    assert new_workers.isdisjoint(old_workers)

    # /metrics sums every worker, including the two the reload replaced
    text = request(server.port, "GET", "/metrics").body.decode()
    sent: dict[tuple[str, str], int] = {}
    for case in cases:
        key = (case["path"].split("?")[0], str(case["status"]))
        sent[key] = sent.get(key, 0) + 1
    for (endpoint, status), count in sent.items():
        assert sample(text, "pagesieve_http_requests_total", endpoint=endpoint, method="POST", status=status) == count
    pages = sum(1 for c in cases if c["status"] == 200 and c["path"] != "/v1/classify/batch") + \
        sum(4 for c in cases if c["path"] == "/v1/classify/batch" and c["status"] == 200)
    assert sample(text, "pagesieve_classify_duration_seconds_count") == pages
    verdicts = sum(sample(text, "pagesieve_verdicts_total", action=a) for a in ("keep", "strip", "review", "drop"))
    assert verdicts == pages
    assert "pagesieve_model_info{" in text


def test_server_answers_health_and_openapi(server):
    assert request(server.port, "GET", "/healthz").json() == {"status": "ok"}
    spec = request(server.port, "GET", "/openapi.json").json()
    assert "/metrics" in spec["paths"]


def test_the_access_log_names_each_request_id(server):
    """gunicorn's access line ends with the answer's X-Request-Id (the client's own here) and the time taken."""
    import re
    import time

    assert request(server.port, "GET", "/healthz", headers={"X-Request-Id": "crawler-7f3a.1"}).status == 200
    for _ in range(50):  # the access line is written after the answer
        if "crawler-7f3a.1" in server.log_path.read_text(errors="replace"):
            break
        time.sleep(0.1)
    line = next(x for x in server.log_path.read_text(errors="replace").splitlines() if "crawler-7f3a.1" in x)
    assert re.search(r'"GET /healthz HTTP/1\.[01]" 200 .* crawler-7f3a\.1 \d+$', line), line


def test_each_worker_warms_up_and_settles_its_heap_after_loading_the_model(server):
    """Every worker freezes the model's long-lived objects out of the garbage collector (``settle_heap``), so no
    request pays for a full collection walking them."""
    import re

    log = server.log_path.read_text(errors="replace")
    frozen = [int(n) for n in re.findall(r"heap settled: (\d+) objects frozen", log)]
    assert len(frozen) >= 2, server.log_tail()
    assert min(frozen) > 50_000
    # and each warmed the model up first (service/model/warmup.py), so what that loads is frozen too
    assert len(re.findall(r"model \S+ warmed up in \d+ ms", log)) >= 2, server.log_tail()
