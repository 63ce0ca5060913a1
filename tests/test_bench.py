"""The benchmark command: its page mix and a smoke run (figures are reported, never asserted)."""

from __future__ import annotations

import json

from service.bench import percentile, render
from service.bench.mix import MAX_BYTES, build_mix, describe, synthetic_mix
from service.bench.stages import OTHER, StageSampler, stage_of

from conftest import DATA_DIR, SEEDS_DIR, need_shared


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0 and percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0


@need_shared(DATA_DIR / "gne-test-pages")
def test_real_mix_covers_html_text_chinese_english_and_gbk():
    pages, note = build_mix(DATA_DIR, SEEDS_DIR, composed=20)
    summary = describe(pages)
    assert "real" in note
    assert set(summary["kind"]) == {"html", "text"} and set(summary["lang"]) == {"zh", "en"}
    assert summary["gbk_raw_bytes"] > 0
    assert all(p.size <= MAX_BYTES for p in pages)
    gbk = next(p for p in pages if p.content_type.endswith("gbk"))
    gbk.body.decode("gbk")  # really GBK bytes
    assert [p.id for p in build_mix(DATA_DIR, SEEDS_DIR, composed=20)[0]] == [p.id for p in pages]  # deterministic


def test_without_corpora_the_mix_is_synthetic_and_says_so(tmp_path):
    pages, note = build_mix(tmp_path / "absent", tmp_path / "seeds")
    assert "SYNTHETIC" in note and pages
    assert {p.kind for p in pages} == {"html", "text"}
    assert [p.body for p in synthetic_mix(5)] == [p.body for p in synthetic_mix(5)]


def test_stage_sampler_charges_the_innermost_stage():
    import time

    from service.analysis.text import normalize

    assert stage_of(None) == OTHER
    with StageSampler(interval=0.0005) as sampler:
        deadline = time.perf_counter() + 0.2
        while time.perf_counter() < deadline:
            normalize("全市教育大會召開 " * 50)
    shares = sampler.shares()
    assert max(shares, key=shares.get) == "normalisation and segmentation"


def test_bench_verb_smoke_run_writes_reports(tmp_path, capsys):
    """One synthetic in-process pass of a few pages, no gunicorn: the command and its outputs work."""
    from service.__main__ import main

    out = tmp_path / "reports"
    assert main(["bench", "--data", str(tmp_path / "absent"), "--limit", "6", "--warmup", "2", "--no-http",
                 "--out", str(out)]) == 0
    result = json.loads((out / "benchmark.json").read_text())
    assert result["in_process"]["pages"] == 6 and result["in_process"]["pages_per_s"] > 0
    assert "SYNTHETIC" in result["in_process"]["note"]
    assert result["in_process"]["omp_num_threads"] == "1"
    assert "| in-process, 1 core" in (out / "benchmark.md").read_text()
    assert "| in-process, 1 core" in capsys.readouterr().out


def test_render_includes_the_http_row_and_the_first_requests():
    result = {"machine": "m", "mix": {"pages": 1, "kind": {"text": 1}, "lang": {"zh": 1}, "gbk_raw_bytes": 0,
                                      "size_bytes": {"min": 2048, "p50": 2048, "max": 2048}},
              "in_process": {"note": "n", "pages": 1, "pages_per_s": 120.0, "p50_ms": 5.0, "p99_ms": 9.0,
                             "peak_rss_mib": 200.0, "stages": {"features": 1.0}},
              "http": {"workers": 2, "concurrency": 4, "pages_per_s": 150.0, "p50_ms": 20.0, "p99_ms": 60.0,
                       "errors": 0, "requests": 10, "worker_peak_rss_mib": [250.0, 251.0],
                       "master_peak_rss_mib": 90.0, "first_requests": 8, "first_max_ms": 70.5, "first_errors": 0}}
    text = render(result)
    assert "| HTTP, gunicorn 2 workers, 4 client threads | 150.0 (75.0 per worker)" in text
    assert "the first 8 requests after /readyz said ready (before the warm-up requests): slowest 70.5 ms" in text
    assert "| features | 100% |" in text


def test_limit_zero_means_the_whole_mix(tmp_path):
    import argparse

    from service.bench import _mix

    args = argparse.Namespace(data=tmp_path / "absent", composed=0, limit=0)
    assert len(_mix(args)[0]) == len(synthetic_mix(200))
    assert len(_mix(argparse.Namespace(data=tmp_path / "absent", composed=0, limit=3))[0]) == 3
