"""``GET /metrics`` in one process (the multi-worker gunicorn case is in test_load.py)."""

from __future__ import annotations

import re

from test_api import ARTICLE

SPAM_PAGE = ARTICLE + "\n\n• 亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线"


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if found == {k: str(v) for k, v in labels.items()}:
            return float(match.group(3))
    return 0.0


def test_metrics_count_requests_verdicts_and_latency(client, auth):
    before = client.get("/metrics").get_data(as_text=True)
    verdicts = [client.post("/v1/classify", json={"text": text}, headers=auth).get_json()
                for text in (ARTICLE, SPAM_PAGE)]
    assert client.post("/v1/classify", json={"text": 1}, headers=auth).status_code == 400
    batch = client.post("/v1/classify/batch", json={"pages": [{"text": ARTICLE}, {"text": ARTICLE}]}, headers=auth)
    assert batch.status_code == 200
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    after = resp.get_data(as_text=True)

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("pagesieve_http_requests_total", endpoint="/v1/classify", method="POST", status="200") == 2
    assert delta("pagesieve_http_requests_total", endpoint="/v1/classify", method="POST", status="400") == 1
    assert delta("pagesieve_http_requests_total", endpoint="/v1/classify/batch", method="POST", status="200") == 1
    assert delta("pagesieve_classify_duration_seconds_count") == 4  # one per page, batch pages included
    assert delta("pagesieve_http_request_duration_seconds_count", endpoint="/v1/classify") == 3
    actions = [v["action"] for v in verdicts]
    for action in set(actions):
        assert delta("pagesieve_verdicts_total", action=action) >= actions.count(action)
    assert sum(delta("pagesieve_verdicts_total", action=a) for a in ("keep", "strip", "review", "drop")) == 4
    for flag in {f for v in verdicts for f in v["flags"]}:
        assert delta("pagesieve_verdict_flags_total", flag=flag) >= 1
    assert sample(after, "pagesieve_model_info", version=verdicts[0]["model_version"]) == 1


def test_metrics_report_the_model_before_any_verdict(client, loaded_model):
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "pagesieve_model_info", version=loaded_model.version) == 1


def test_unknown_paths_share_one_label(client):
    client.get("/no/such/path/1")
    client.get("/no/such/path/2")
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "pagesieve_http_requests_total", endpoint="unmatched", method="GET", status="404") >= 2
    assert "/no/such/path" not in text


def test_unknown_methods_share_one_label(client):
    for method in ("FOO1", "FOO2"):
        assert client.open("/healthz", method=method).status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "pagesieve_http_requests_total", endpoint="unmatched", method="other", status="405") >= 2
    assert "FOO" not in text
