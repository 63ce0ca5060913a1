"""Queue storage on SQLite and PostgreSQL: migrations, upsert per page id, campaigns."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import inspect, select

from service.review import campaigns
from service.storage.db import get_engine, session_scope
from service.storage.models import Base, Campaign, ReviewItem
from tests.review.conftest import INJECTED, add_items, make_db_url, verdict

FARM = "\n".join(f"- • {t}" for t in (
    "安远县多措并举推进乡村振兴取得新成效", "某某镇召开安全生产专题会议部署重点工作", "全县教育系统扎实开展师德师风建设",
    "市场监管局开展食品安全专项检查行动", "县人民医院举办义诊进社区活动", "乡村道路硬化工程全面完工通车",
    "全市防汛抗旱工作会议召开", "农业农村局推广水稻新品种种植技术"))


def test_migrations_create_every_model_table(db_url):
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_processes_that_migrate_a_new_database_at_once_all_succeed(kind, tmp_path, pg_reason):
    """gunicorn's workers each build the app, so on a new database several processes migrate at the same moment;
    they used to race (PostgreSQL: a duplicate pg_type row; one worker then served believing its database down)."""
    import subprocess
    import sys
    import time

    url, drop = make_db_url(kind, tmp_path, pg_reason)
    script = ("import sys, time; from service.storage.db import migrate\n"
              "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); migrate(sys.argv[1]); print('migrated')")
    start = time.time() + 3.0  # every process imported and waiting, then all at once
    try:
        runs = [subprocess.Popen([sys.executable, "-c", script, url, str(start)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outcomes = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0] * 4, [err[-600:] for _, err in outcomes]
        assert set(Base.metadata.tables) <= set(inspect(get_engine(url)).get_table_names())
    finally:
        drop()


def test_models_match_the_migrations(db_url):
    """A column added to models.py without a migration (or the reverse) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    relevant = [d for d in diff if d[0] in {"add_table", "remove_table", "add_column", "remove_column"}]
    assert relevant == []


def test_item_keeps_what_a_moderator_needs(db_url):
    v = verdict("p1", spans=[("injected_spam", INJECTED)], url="http://www.school.edu.cn/news/1.html")
    (item_id,) = add_items(db_url, [v])
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert (item.site, item.language, item.model_version, item.status, item.version) == (
            "www.school.edu.cn", "zh", "m1", "pending", 1)
        assert item.text == v["text"] and item.verdict["spans"] == v["spans"]
        assert item.reason_codes == "PORN_KEYWORD_CHAIN" and item.top_label == "injected_spam"
        assert item.proposed_labels == ["injected_spam"] and item.label_set == " injected_spam "
        # closest label to its threshold, in log-odds: link_farm 0.05 vs 0.1
        assert abs(item.uncertainty - (math.log(0.1 / 0.9) - math.log(0.05 / 0.95))) < 1e-5


def test_same_page_id_is_one_item(db_url):
    v = verdict("same", spans=[("injected_spam", INJECTED)])
    first = add_items(db_url, [v])
    second = add_items(db_url, [v], source="feedback")
    assert first == second
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, first[0])
        assert item.version == 1 and item.source == "feedback"  # unchanged verdict: no new version


def test_new_verdict_refreshes_a_pending_item_and_bumps_its_version(db_url):
    (item_id,) = add_items(db_url, [verdict("p", model_version="m1")])
    add_items(db_url, [verdict("p", model_version="m2")])
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert (item.model_version, item.version) == ("m2", 2)


def test_an_older_verdict_replayed_from_the_spool_does_not_replace_a_newer_one(db_url):
    """Spooled while the database was down, the old verdict was written after the newer one and replaced it."""
    from service.requests import PageRequest
    from service.review.store import item_record, upsert_item

    def record(text, at):
        v = verdict("order1", text=text, spans=[("injected_spam", INJECTED)])
        rec = item_record(v, PageRequest(id="order1", url=v["url"], text=v["text"]), None, "review", 200_000)
        return {**rec, "classified_at": at}

    older = record("旧版本:区政府召开会议。", "2026-11-20T08:00:00+00:00")
    newer = record("新版本:区政府召开常务会议,研究部署近期重点工作。", "2026-11-20T09:00:00+00:00")
    for rec in (newer, older):
        with session_scope(db_url) as s:
            item_id = upsert_item(s, rec).id
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert item.text.startswith("新版本") and item.version == 1
        assert item.classified_at.replace(tzinfo=None).isoformat() == "2026-11-20T09:00:00"


def test_html_is_capped(db_url):
    from service.requests import PageRequest
    from service.review.store import item_record

    html = "<p>" + "好" * 1000 + "</p>"
    rec = item_record(verdict("h"), PageRequest(id="h", url="", html=html), None, "review", 600)
    assert rec["html_truncated"] and len(rec["html"].encode()) <= 600


def _edited(chain: str) -> str:
    """The same chain as another site carries it: one term swapped, separators changed."""
    return chain.replace("婷婷五月", "丁香五月").replace(",", "、")


def test_same_chain_on_two_sites_is_one_campaign_unrelated_spam_is_not(db_url):
    gambling = "澳门新葡京娱乐场官网,百家乐真人在线开户,北京赛车pk10计划网页版,时时彩平台注册送38元彩金"
    ids = add_items(db_url, [
        verdict("a", url="http://edu.a.cn/1.html", spans=[("injected_spam", INJECTED)]),
        verdict("b", url="http://news.b.com/2.html", text="区政府召开常务会议,研究部署近期重点工作。",
                spans=[("injected_spam", _edited(INJECTED))]),
        verdict("c", url="http://www.c.org/3.html", spans=[("injected_spam", gambling)]),
        verdict("d", url="http://d.cn/4.html", spans=[("link_farm", FARM)]),
        verdict("e", url="http://e.cn/5.html", spans=[("link_farm", "\n".join(reversed(FARM.splitlines())))]),
    ])
    with session_scope(db_url) as s:
        items = {i.page_id: i for i in s.scalars(select(ReviewItem).where(ReviewItem.id.in_(ids)))}
        assert items["a"].campaign_id == items["b"].campaign_id != 0
        assert items["a"].campaign_size == 2
        assert items["c"].campaign_id not in {0, items["a"].campaign_id}
        assert items["d"].campaign_id == items["e"].campaign_id not in {0, items["a"].campaign_id}
        assert s.get(Campaign, items["a"].campaign_id).size == 2


def test_a_campaign_counts_the_items_it_is_the_main_campaign_of(db_url):
    """A page carrying two chains counted in both campaigns' sizes, while the campaign filter and the campaign
    decision take each page by its main chain (campaign_id): size 2 listed and settled 1."""
    from service.review import decisions
    from service.review.reports import campaign_json

    gambling = "澳门新葡京娱乐场官网,百家乐真人在线开户,北京赛车pk10计划网页版,时时彩平台注册送38元彩金"
    ids = add_items(db_url, [
        verdict("one", url="http://a.cn/1", spans=[("injected_spam", INJECTED)]),
        verdict("two", url="http://b.cn/2", spans=[("injected_spam", gambling)]),
        verdict("both", url="http://c.cn/3", spans=[("injected_spam", INJECTED), ("injected_spam", gambling)]),
    ])
    with session_scope(db_url) as s:
        items = [s.get(ReviewItem, i) for i in ids]
        porn, casino = items[0].campaign_id, items[1].campaign_id
        assert items[2].campaign_id == porn != casino  # its longest chain
        sizes = {c: s.get(Campaign, c).size for c in (porn, casino)}
        assert sizes == {porn: 2, casino: 1}
        assert [i.campaign_size for i in items] == [2, 1, 2]
        assert campaign_json(s, casino)["size"] == len(campaign_json(s, casino)["members"]) == 1
    with session_scope(db_url) as s:
        assert decisions.decide_campaign(s, casino, "confirm", "alice").applied == [ids[1]]


def test_short_and_clean_pages_get_no_campaign(db_url):
    ids = add_items(db_url, [verdict("s", spans=[("injected_spam", "百家乐")]), verdict("clean")])
    with session_scope(db_url) as s:
        assert [s.get(ReviewItem, i).campaign_id for i in ids] == [0, 0]


def test_minhash_is_one_full_matrix_min_in_chunks_and_signs_long_spans_by_their_start():
    """The chunked signature equals the one-matrix form; a span longer than MAX_SIGNED_CHARS is signed by its
    first characters (a page-long span took 2.4 s and 700 MB), so two spans sharing them share a signature."""
    import hashlib
    import random

    import numpy as np

    def one_matrix(text):
        canon = campaigns.canonical(text)
        grams = sorted({canon[i:i + campaigns.SHINGLE] for i in range(len(canon) - campaigns.SHINGLE + 1)})
        base = np.array([int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                         % campaigns._PRIME for g in grams], dtype=np.uint64)
        return ((base[None, :] * campaigns._A[:, None] + campaigns._B[:, None]) % campaigns._PRIME).min(axis=1)

    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    rng = random.Random(7)
    text = "".join(rng.choice(chars) for _ in range(3 * campaigns.HASH_CHUNK))
    assert len(campaigns.shingles(text)) > 2 * campaigns.HASH_CHUNK  # three chunks
    assert (campaigns.signature(text) == one_matrix(text).astype(np.uint32)).all()
    long_span = "".join(chars[(i * 104729) % 3000] for i in range(campaigns.MAX_SIGNED_CHARS + 5000))
    other_end = "".join(chars[(i * 13 + 5) % 3000] for i in range(50_000))  # thousands of shingles of its own
    assert (campaigns.signature(long_span) == campaigns.signature(long_span + other_end)).all()


def test_minhash_is_deterministic_and_estimates_similarity():
    a, b = campaigns.signature(INJECTED), campaigns.signature(INJECTED)
    assert (a == b).all() and campaigns.band_keys(a) == campaigns.band_keys(b)
    assert campaigns.similarity(a, campaigns.signature(_edited(INJECTED))) >= campaigns.MIN_SIMILARITY
    assert campaigns.similarity(a, campaigns.signature(FARM)) < 0.2
    assert campaigns.from_hex(campaigns.to_hex(a)).tolist() == a.tolist()
    assert campaigns.signature("") is None and campaigns.signature("好") is None
