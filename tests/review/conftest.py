"""Review-queue fixtures: a database on SQLite *and* PostgreSQL, verdicts, moderators, tokens."""

from __future__ import annotations

import uuid

import pytest

from service.storage.db import dispose_engine, migrate, session_scope
from tests.conftest import PG_URL

INJECTED = "亚洲综合性色AⅤ一区二区三区,婷婷五月综合国产激情,人妻系列精品无码视频在线,日韩欧美高清无码中文字幕"
ARTICLE = ("全市教育大会召开\n\n4月25日上午,全市教育大会召开。市委书记出席并讲话,强调要锚定建设教育强市目标,"
           "推动全市教育事业高质量发展。会议总结了过去一年的工作,部署了下一阶段的重点任务。")


def make_db_url(kind: str, tmp_path, pg_reason) -> tuple[str, callable]:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'review-{uuid.uuid4().hex[:6]}.db'}"
        return url, lambda: dispose_engine(url)
    if pg_reason:
        pytest.skip(pg_reason)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"

    def drop():
        dispose_engine(url)
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    return url, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, pg_reason):
    """A migrated, empty database: an SQLite file, then a fresh schema on the local PostgreSQL."""
    url, drop = make_db_url(request.param, tmp_path, pg_reason)
    migrate(url)
    yield url
    drop()


def verdict(page_id: str, *, url: str = "http://edu.example.cn/a.html", text: str = ARTICLE,
            spans: list[tuple[str, str]] = (), action: str = "review", labels: dict | None = None,
            flags: list[str] | None = None, model_version: str = "m1", language: str = "zh") -> dict:
    """A verdict as classify returns it; ``spans`` are (label, text) pieces appended to the text."""
    body, out = text, []
    for label, piece in spans:
        body += "\n\n"
        out.append({"start": len(body), "end": len(body) + len(piece), "label": label, "score": 0.9,
                    "reasons": ["PORN_KEYWORD_CHAIN" if label == "injected_spam" else "OFFTOPIC_HEADLINE_LIST"],
                    "excerpt": piece[:40]})
        body += piece
    labels = labels or {"injected_spam": 0.6 if spans else 0.1, "link_farm": 0.05, "fabricated_listicle": 0.05}
    return {"id": page_id, "url": url, "model_version": model_version, "language": language, "labels": labels,
            "flags": flags if flags is not None else [], "quality": 0.4, "action": action, "spans": out,
            "text": body, "clean_text": text,
            "reasons": [{"code": s["reasons"][0], "label": s["label"], "description": "d",
                         "evidence": [s["excerpt"]], "spans": [[s["start"], s["end"]]]} for s in out]}


THRESHOLDS = {"flag": {"injected_spam": 0.84, "link_farm": 0.1, "fabricated_listicle": 0.16},
              "review": {"injected_spam": 0.5, "link_farm": 0.06, "fabricated_listicle": 0.1}}


def add_items(url: str, verdicts: list[dict], source: str = "review") -> list[int]:
    """Write verdicts to the queue synchronously; returns the item ids."""
    from service.requests import PageRequest
    from service.review.store import item_record, upsert_item

    ids = []
    for v in verdicts:
        rec = item_record(v, PageRequest(id=v["id"], url=v["url"], text=v["text"]), THRESHOLDS, source, 200_000)
        with session_scope(url) as session:
            ids.append(upsert_item(session, rec).id)
    return ids


def make_app(db_url: str, tmp_dir, loaded_model, **overrides):
    """The service on ``db_url`` with test settings (no sampling, spool and secret under ``tmp_dir``)."""
    from service.app import create_app
    from service.config import load_config

    config = load_config({"storage": {"database_url": db_url, "spool_dir": str(tmp_dir / "spool")},
                          "review": {"sample_rate": 0.0, "secret_key_file": str(tmp_dir / "secret_key")},
                          "service": {"anonymous_classify": False}}, environ={})
    app = create_app(config.with_overrides(overrides))
    app.extensions["pagesieve"].registry._current = loaded_model
    return app


@pytest.fixture()
def review_app(db_url, tmp_path, loaded_model):
    """The service on the parametrised database (SQLite, then PostgreSQL)."""
    app = make_app(db_url, tmp_path, loaded_model)
    yield app
    app.extensions["pagesieve_review"].close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db(request, tmp_path_factory, pg_reason):
    """Like ``db_url`` but shared by a module's read-only tests."""
    tmp = tmp_path_factory.mktemp("db")
    url, drop = make_db_url(request.param, tmp, pg_reason)
    migrate(url)
    yield url, tmp
    drop()


def key_headers(url: str, role: str, name: str) -> dict:
    from service.storage.keys import create_key

    with session_scope(url) as session:
        return {"Authorization": f"Bearer {create_key(session, role, name)}"}


@pytest.fixture()
def mod(review_app):
    """Headers of a moderator token named 'alice-tool'."""
    return key_headers(review_app.extensions["pagesieve"].database_url, "moderator", "alice-tool")


@pytest.fixture()
def mod2(review_app):
    return key_headers(review_app.extensions["pagesieve"].database_url, "moderator", "bob-tool")


@pytest.fixture()
def crawler(review_app):
    return key_headers(review_app.extensions["pagesieve"].database_url, "crawler", "crawler-1")


@pytest.fixture()
def rclient(review_app):
    return review_app.test_client()


NAV = "首页 | 新闻中心 | 联系我们"
TERM = "澳门永利"


def inline_verdict(page_id: str, url: str = "http://edu.example.cn/i.html") -> dict:
    """A verdict as the model gives a page with a spam term substituted into its prose: a boilerplate span
    (the nav line) and two inline injected_spam spans (the term, twice), no block-sized bad span."""
    body = ARTICLE.replace("全市教育大会召开。", f"{TERM}全市教育大会召开。").replace("会议总结", f"{TERM}会议总结")
    text = NAV + "\n\n" + body
    v = verdict(page_id, url=url, text=text, labels={"injected_spam": 0.9, "link_farm": 0.01,
                                                     "fabricated_listicle": 0.01}, flags=["injected_spam"])
    first = text.index(TERM)
    second = text.index(TERM, first + 1)
    v["spans"] = [{"start": 0, "end": len(NAV), "label": "boilerplate", "score": 0.8, "reasons": [],
                   "excerpt": NAV}] + [
        {"start": at, "end": at + len(TERM), "label": "injected_spam", "score": 0.9, "reasons": ["GAMBLING_NAME"],
         "excerpt": TERM, "inline": True} for at in (first, second)]
    return v

def assert_documented(resp, path: str, method: str) -> None:
    """The answer's status is listed for the operation in /openapi.json and its JSON body matches the schema."""
    import jsonschema_rs

    from service.openapi import openapi_document

    document = openapi_document()
    answers = document["paths"][path][method]["responses"]
    assert str(resp.status_code) in answers, (resp.status_code, resp.get_json())
    schema = answers[str(resp.status_code)]["content"]["application/json"]["schema"]
    jsonschema_rs.validator_for({**schema, "components": document["components"]}).validate(resp.get_json())
