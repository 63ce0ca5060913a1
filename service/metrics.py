"""Prometheus metrics at ``GET /metrics``: requests, classify latency, verdicts, model version.

Under gunicorn every worker is a separate process, so the counters live in
prometheus_client's multiprocess mode: ``service/server.py`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh temporary directory before anything
imports prometheus_client, passes that directory in the config
(``metrics.multiprocess_dir``), and marks each dead worker from gunicorn's
``child_exit`` hook. ``/metrics`` then sums all workers, live and dead,
whichever worker answers. In a single process (tests, the CLI) the same
metrics are served from a private registry.

The metric objects are created once per process, lazily, on the first
``create_app`` (no I/O at import time: in multiprocess mode creating a
metric creates its file).
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request

bp = Blueprint("metrics", __name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_metrics: dict | None = None

# Methods counted under their own name; any other (a scanner can send any token) is "other", so that no client
# can grow the number of series without bound, as unknown paths share "unmatched".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _create() -> dict:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry(auto_describe=True)
    return {
        "registry": registry,
        "requests": Counter("pagesieve_http_requests", "HTTP requests by endpoint, method and status",
                            ["endpoint", "method", "status"], registry=registry),
        "request_seconds": Histogram("pagesieve_http_request_duration_seconds", "HTTP request latency by endpoint",
                                     ["endpoint"], buckets=LATENCY_BUCKETS, registry=registry),
        "classify_seconds": Histogram("pagesieve_classify_duration_seconds",
                                      "Time to classify one page (analysis, features, models, verdict)",
                                      buckets=LATENCY_BUCKETS, registry=registry),
        "verdicts": Counter("pagesieve_verdicts", "Verdicts by action", ["action"], registry=registry),
        "flags": Counter("pagesieve_verdict_flags", "Page labels flagged, by label", ["flag"], registry=registry),
        "model": Gauge("pagesieve_model_info", "The model version this process serves (1 = serving)",
                       ["version"], multiprocess_mode="livemax", registry=registry),
    }


def metrics() -> dict:
    """This process's metric objects (created on first use)."""
    global _metrics
    if _metrics is None:
        _metrics = _create()
    return _metrics


def observe_classify(seconds: float) -> None:
    metrics()["classify_seconds"].observe(seconds)


def _count_verdict(verdict: dict, _page_request) -> None:
    """A classify hook: one count per verdict action and per flagged label."""
    m = metrics()
    m["verdicts"].labels(action=verdict.get("action", "unknown")).inc()
    for flag in verdict.get("flags", ()):
        m["flags"].labels(flag=flag).inc()
    version = verdict.get("model_version")
    if version and m.get("_serving") != version:
        _set_model(version)


def _set_model(version: str) -> None:
    """Mark ``version`` as the one this process serves (and the previous one as no longer)."""
    m = metrics()
    if m.get("_serving"):
        m["model"].labels(version=m["_serving"]).set(0)
    m["model"].labels(version=version).set(1)
    m["_serving"] = version


def init_metrics(app: Flask, state) -> None:
    """Count every request and every verdict of ``app``; serve them at ``/metrics``."""
    metrics()
    app.extensions["pagesieve_metrics_dir"] = str(state.config.get("metrics", "multiprocess_dir", "") or "")
    state.classify_hooks.append(_count_verdict)
    app.register_blueprint(bp)

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count_request(response):
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        m = metrics()
        method = request.method if request.method in KNOWN_METHODS else "other"
        m["requests"].labels(endpoint=endpoint, method=method, status=str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            m["request_seconds"].labels(endpoint=endpoint).observe(time.perf_counter() - started)
        return response


@bp.get("/metrics")
def metrics_endpoint():
    """Prometheus text format; in multiprocess mode the sum over all gunicorn workers."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    state = current_app.extensions["pagesieve"]
    ready, detail = state.registry.status()
    if ready and metrics().get("_serving") != detail:  # report the model before the first verdict too
        _set_model(detail)
    directory = current_app.extensions.get("pagesieve_metrics_dir")
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = metrics()["registry"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

