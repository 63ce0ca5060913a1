"""Paging with 100,000 items on SQLite and PostgreSQL: the first and a deep page are exactly right.

Timings are printed (``-s``) and reported, never asserted: this machine is shared.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from service.review.queries import Filters, encode_cursor, facet_counts, list_items
from service.storage.db import get_engine, session_scope
from service.storage.models import ReviewItem

N = 100_000
SITES = [f"site{i}.example.cn" for i in range(500)]
pytestmark = pytest.mark.slow


def _rows(n: int) -> list[dict]:
    rng = random.Random(7)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    rows = []
    for i in range(1, n + 1):
        label = rng.choice(("injected_spam", "link_farm", "fabricated_listicle", "none"))
        campaign = rng.randrange(1, 2000) if label in {"injected_spam", "link_farm"} and rng.random() < 0.5 else 0
        text = f"第{i}页 全市教育大会召开 " + ("百家乐开户" if i % 1000 == 0 else "会议部署重点工作")
        rows.append({
            "id": i, "page_id": f"p{i}", "url": f"http://{SITES[i % len(SITES)]}/{i}.html",
            "site": SITES[i % len(SITES)], "language": "en" if i % 10 == 0 else "zh",
            "model_version": ("m1", "m2", "m3")[i % 3], "action": rng.choice(("review", "keep", "strip", "drop")),
            "top_label": label, "score": round(rng.random(), 4), "uncertainty": round(rng.random() * 5, 3),
            "quality": 0.5, "flags": [], "proposed_labels": [] if label == "none" else [label],
            "label_set": f" {label} ", "reason_codes": "", "verdict": {}, "text": text, "html": None,
            "html_truncated": False, "search_text": text, "source": "review",
            "classified_at": start + timedelta(seconds=rng.randrange(0, 60 * 86400)), "enqueued_at": start,
            "status": "decided" if i % 10 == 3 else "pending", "version": 1, "campaign_id": campaign,
            "campaign_size": 0})
    sizes: dict[int, int] = {}
    for r in rows:
        if r["campaign_id"]:
            sizes[r["campaign_id"]] = sizes.get(r["campaign_id"], 0) + 1
    for r in rows:
        r["campaign_size"] = sizes.get(r["campaign_id"], 0)
    return rows


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def big(request, tmp_path_factory, pg_reason):
    from service.storage.db import migrate
    from tests.review.conftest import make_db_url

    url, drop = make_db_url(request.param, tmp_path_factory.mktemp("big"), pg_reason)
    migrate(url)
    rows = _rows(N)
    started = time.perf_counter()
    with get_engine(url).begin() as conn:
        for i in range(0, N, 5000):
            conn.execute(insert(ReviewItem), rows[i:i + 5000])
        if request.param == "postgresql":
            from sqlalchemy import text

            conn.execute(text("ANALYZE review_items"))
    print(f"\n[{request.param}] inserted {N} items in {time.perf_counter() - started:.1f}s")
    yield request.param, url, rows
    drop()


def _key(sort: str):
    return {"uncertainty": lambda r: (r["uncertainty"], r["id"]),
            "newest": lambda r: (-r["classified_at"].timestamp(), -r["id"]),
            "campaign": lambda r: (-r["campaign_size"], r["campaign_id"], r["id"])}[sort]


@pytest.mark.parametrize("sort", ["uncertainty", "newest", "campaign"])
def test_first_and_deep_pages_are_exact(big, sort):
    kind, url, rows = big
    pending = sorted((r for r in rows if r["status"] == "pending"), key=_key(sort))
    with session_scope(url) as s:
        t0 = time.perf_counter()
        first = list_items(s, Filters(), sort, 50)
        t1 = time.perf_counter()
        deep_at = 85_000
        anchor = SimpleNamespace(**pending[deep_at - 1])
        deep = list_items(s, Filters(), sort, 50, encode_cursor(sort, "next", anchor), with_total=False)
        t2 = time.perf_counter()
        back = list_items(s, Filters(), sort, 50, deep.prev_cursor, with_total=False)
    assert [i["id"] for i in first.items] == [r["id"] for r in pending[:50]]
    assert first.total == len(pending)
    assert [i["id"] for i in deep.items] == [r["id"] for r in pending[deep_at:deep_at + 50]]
    assert [i["id"] for i in back.items] == [r["id"] for r in pending[deep_at - 50:deep_at]]
    print(f"[{kind}] sort={sort}: first page with total {1000 * (t1 - t0):.1f} ms, "
          f"page at {deep_at}: {1000 * (t2 - t1):.1f} ms")


def test_filtered_search_and_counts(big):
    kind, url, rows = big
    f = Filters(label="injected_spam", language="zh", model_version="m2")
    expected = sorted((r for r in rows if r["status"] == "pending" and r["top_label"] == "injected_spam"
                       and r["language"] == "zh" and r["model_version"] == "m2"), key=_key("newest"))
    with session_scope(url) as s:
        t0 = time.perf_counter()
        page = list_items(s, f, "newest", 50)
        t1 = time.perf_counter()
        counts = facet_counts(s, f)
        t2 = time.perf_counter()
        found = list_items(s, Filters(q="百家乐"), "newest", 200)
        t3 = time.perf_counter()
        site = list_items(s, Filters(site=SITES[7]), "uncertainty", 50)
        t4 = time.perf_counter()
    assert [i["id"] for i in page.items] == [r["id"] for r in expected[:50]] and page.total == len(expected)
    assert counts["model_version"]["m2"] == len(expected)
    hits = [r["id"] for r in rows if r["id"] % 1000 == 0 and r["status"] == "pending"]
    assert sorted(i["id"] for i in found.items) == sorted(hits)
    assert {i["site"] for i in site.items} == {SITES[7]}
    print(f"[{kind}] filtered page {1000 * (t1 - t0):.1f} ms; counts per filter {1000 * (t2 - t1):.1f} ms; "
          f"search {1000 * (t3 - t2):.1f} ms; site filter {1000 * (t4 - t3):.1f} ms")
