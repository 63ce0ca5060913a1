"""``python -m service bench``: pages/s per core, p50/p99 latency and peak RSS.

Three measurements on one realistic page mix (:mod:`service.bench.mix`):

1. in-process, one core: a child process with ``OMP_NUM_THREADS=1`` runs
   each page through the API's own code path (request validation and
   decoding, :func:`service.classify.classify_page`, JSON encoding) after a
   warm-up; pages/s and per-page latency; then a second, sampled pass says
   which stage the time goes to (:mod:`service.bench.stages`);
2. over HTTP: a real gunicorn (``python -m service serve``, 2 workers, a
   temporary SQLite database and API key) loaded by concurrent client
   threads on the same machine; throughput, p50/p99 latency, errors;
3. peak RSS (VmHWM) of the in-process child and of the gunicorn workers.

Writes ``reports/benchmark.json`` and ``reports/benchmark.md`` and prints
the Markdown table. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from service.config import REPO_ROOT, load_config


FIRST_REQUESTS = 8  # timed right after /readyz says ready, before the warm-up requests


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0-100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def _mix(args):
    from service.bench.mix import build_mix

    config = load_config()
    data_dir = args.data or config.path("training", "data_dir")
    pages, note = build_mix(Path(data_dir), Path(data_dir).parent / "seeds", composed=args.composed)
    return (pages[:args.limit] if args.limit else pages), note


def _classify_one(page, loaded, max_bytes: int) -> str:
    """What the API does with one request body, without Flask: validate, decode, classify, encode."""
    from service.classify import classify_page
    from service.requests import charset_from_content_type, page_from_bytes, parse_page

    if page.content_type == "application/json":
        req = parse_page(json.loads(page.body), max_bytes)
    else:
        query = dict(part.split("=", 1) for part in page.query.split("&") if "=" in part)
        req = page_from_bytes(page.body, url=query.get("url", ""), req_id=query.get("id"),
                              charset=charset_from_content_type(page.content_type))
    return json.dumps(classify_page(req, loaded), ensure_ascii=False)


def _clear_caches() -> None:
    from service.analysis import text

    text._identify.cache_clear()
    text._langdetect.cache_clear()


def in_process(args) -> dict:
    """The in-process measurement (run in a child process by :func:`main`)."""
    from service.bench.stages import StageSampler
    from service.heap import settle_heap
    from service.model.registry import ModelRegistry

    pages, note = _mix(args)
    config = load_config()
    max_bytes = int(config.get("limits", "max_page_bytes"))
    started = time.perf_counter()
    loaded = ModelRegistry(config.path("model", "dir"), warm=True).get()  # as a serving worker
    load_seconds = time.perf_counter() - started  # loaded, verified and warmed up, as a worker does
    settle_heap()  # as each gunicorn worker does after loading the model
    for page in pages[:args.warmup]:
        _classify_one(page, loaded, max_bytes)
    latencies: list[float] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(args.repeat):
        _clear_caches()  # a repeated page must not be answered from a cache
        for page in pages:
            t0 = time.perf_counter()
            _classify_one(page, loaded, max_bytes)
            latencies.append(time.perf_counter() - t0)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    _clear_caches()
    with StageSampler() as sampler:
        for page in pages:
            _classify_one(page, loaded, max_bytes)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "note": note, "pages": len(latencies), "seconds": wall, "cpu_seconds": cpu,
        "pages_per_s": len(latencies) / wall, "pages_per_cpu_s": len(latencies) / max(cpu, 1e-9), "p50_ms": 1000 * percentile(latencies, 50),
        "p99_ms": 1000 * percentile(latencies, 99), "max_ms": 1000 * max(latencies),
        "model_load_s": load_seconds, "peak_rss_mib": rss / 1024, "stages": sampler.shares(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


def over_http(args, pages) -> dict:
    """Start gunicorn, warm it up, then load it from ``args.concurrency`` client threads."""
    from service.bench.http import peak_rss_kib, request, run_concurrently, start_server

    with tempfile.TemporaryDirectory(prefix="pagesieve-bench-") as tmp:
        server = start_server(Path(tmp), workers=args.workers)
        try:
            server.wait_ready()

            def call(page):
                path = "/v1/classify" + (f"?{page.query}" if page.query else "")
                headers = {**server.auth, "Content-Type": page.content_type}
                return lambda: request(server.port, "POST", path, page.body, headers)

            # the first requests a just-ready server answers (no warm-up from this side): what a crawler
            # meets after every deploy or worker restart
            first, _ = run_concurrently([call(p) for p in pages[:FIRST_REQUESTS]], args.concurrency)
            run_concurrently([call(p) for p in pages[:args.warmup]], args.concurrency)
            todo = [call(p) for _ in range(args.repeat) for p in pages]
            responses, wall = run_concurrently(todo, args.concurrency)
            workers = server.worker_pids()
            worker_rss = [peak_rss_kib(pid) or 0 for pid in workers]
            master_rss = peak_rss_kib(server.process.pid) or 0
        finally:
            server.stop()
    ok = [r for r in responses if r.status == 200]
    errors = len(responses) - len(ok)
    latencies = [r.seconds for r in ok] or [0.0]
    return {
        "workers": args.workers, "concurrency": args.concurrency, "requests": len(responses), "errors": errors,
        "error_statuses": sorted({r.status for r in responses if r.status != 200}), "seconds": wall,
        "pages_per_s": len(ok) / wall, "p50_ms": 1000 * percentile(latencies, 50),
        "p99_ms": 1000 * percentile(latencies, 99), "max_ms": 1000 * max(latencies),
        "worker_peak_rss_mib": [kib / 1024 for kib in worker_rss], "master_peak_rss_mib": master_rss / 1024,
        "first_requests": len(first), "first_max_ms": 1000 * max(r.seconds for r in first) if first else 0.0,
        "first_errors": sum(1 for r in first if r.status != 200),
    }


def _load(result: dict) -> str:
    return "/".join(f"{v:.1f}" for v in result.get("load_average_before", ())) or "unknown"


def _first(web: dict | None) -> str:
    if not web or not web.get("first_requests"):
        return ""
    return (f" Over HTTP, the first {web['first_requests']} requests after /readyz said ready (before the warm-up "
            f"requests): slowest {web['first_max_ms']:.1f} ms, {web['first_errors']} errors.")


def render(result: dict) -> str:
    """The Markdown report: the table, the mix and where the time goes."""
    ip, web, mix = result["in_process"], result.get("http"), result["mix"]
    rows = [
        "| measurement | pages/s | p50 ms | p99 ms | errors | peak RSS |",
        "|---|---:|---:|---:|---:|---|",
        f"| in-process, 1 core (`OMP_NUM_THREADS=1`) | {ip['pages_per_s']:.1f} per core | {ip['p50_ms']:.1f} | "
        f"{ip['p99_ms']:.1f} | 0 | {ip['peak_rss_mib']:.0f} MiB |",
    ]
    if web:
        rss = ", ".join(f"{m:.0f}" for m in web["worker_peak_rss_mib"])
        rows.append(f"| HTTP, gunicorn {web['workers']} workers, {web['concurrency']} client threads | "
                    f"{web['pages_per_s']:.1f} ({web['pages_per_s'] / web['workers']:.1f} per worker) | "
                    f"{web['p50_ms']:.1f} | {web['p99_ms']:.1f} | {web['errors']} of {web['requests']} | "
                    f"workers {rss} MiB, master {web['master_peak_rss_mib']:.0f} MiB |")
    kinds = ", ".join(f"{n} {k}" for k, n in mix["kind"].items())
    langs = ", ".join(f"{n} {k}" for k, n in mix["lang"].items())
    size = mix["size_bytes"]
    lines = [*rows, "",
             f"Mix ({ip['note']}): {mix['pages']} pages, {kinds}; {langs}; {mix['gbk_raw_bytes']} sent as raw GBK "
             f"bytes; page size {size.get('min', 0) / 1024:.1f}-{size.get('max', 0) / 1024:.1f} KiB "
             f"(median {size.get('p50', 0) / 1024:.1f}). In-process: {ip['pages']} pages timed after a warm-up, "
             f"request validation and JSON encoding included ({ip.get('pages_per_cpu_s', 0):.1f} pages per CPU "
             f"second).{_first(web)} Machine: {result['machine']}, load average {_load(result)} when the run "
             "started.", "",
             "| stage (sampled, in-process) | share of time |", "|---|---:|"]
    lines += [f"| {stage} | {share:.0%} |" for stage, share in ip["stages"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="corpora directory (default: training.data_dir, ../shared/data)")
    parser.add_argument("--composed", type=int, default=120, help="composed text pages in the mix")
    parser.add_argument("--warmup", type=int, default=30, help="untimed pages/requests first")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes over the mix")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N pages of the mix (smoke runs)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn measurement")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports", help="where benchmark.{json,md} go")
    parser.add_argument("--in-process-only", action="store_true",
                        help="only the in-process measurement, printed as JSON (what the full run does in a child)")
    args = parser.parse_args(argv)
    if args.in_process_only:
        print(json.dumps(in_process(args)))
        return 0

    child = [sys.executable, "-m", "service", "bench", "--in-process-only", "--composed", str(args.composed),
             "--warmup", str(args.warmup), "--repeat", str(args.repeat), "--limit", str(args.limit)] + \
        (["--data", str(args.data)] if args.data else [])
    print("in-process run (one core) ...", file=sys.stderr, flush=True)
    done = subprocess.run(child, env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                      "MKL_NUM_THREADS": "1"}, capture_output=True, text=True, cwd=REPO_ROOT)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    pages, _ = _mix(args)
    from service.bench.mix import describe

    result = {"command": "python -m service bench " + " ".join(argv if argv is not None else sys.argv[2:]),
              "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
                         f"Python {platform.python_version()}",
              "created": time.strftime("%Y-%m-%d %H:%M:%S"), "mix": describe(pages),
              "load_average_before": os.getloadavg(),
              "in_process": json.loads(done.stdout.strip().splitlines()[-1])}
    if not args.no_http:
        print("HTTP run (gunicorn) ...", file=sys.stderr, flush=True)
        result["http"] = over_http(args, pages)
    result["command"] = result["command"].strip()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    report = render(result)
    (args.out / "benchmark.md").write_text(f"# Benchmark\n\n`{result['command']}`\n\n{report}")
    print(report)
    return 0
