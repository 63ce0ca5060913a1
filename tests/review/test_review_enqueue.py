"""The classify hook: what is queued, and that a database outage slows nothing and loses nothing."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import signal
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from service.review.enqueue import ReviewEnqueuer, Spool
from service.storage.db import dispose_engine, migrate, session_scope
from service.storage.models import ReviewItem
from tests.conftest import PG_URL
from tests.review.conftest import INJECTED, THRESHOLDS, make_db_url, verdict
from tests.review.netproxy import Proxy


class Req:
    def __init__(self, v, html=None):
        self.id, self.url, self.text, self.html = v["id"], v["url"], v["text"], html


def count(url: str) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(ReviewItem))


def count_spooled(enq) -> int:
    """Distinct pages in the spool files (a replay in progress may briefly hold a record twice)."""
    seen = set()
    for path in enq.spool.directory.glob("*.jsonl"):
        if path.name != "rejected.jsonl":
            try:
                with path.open("rb") as fh:
                    fcntl.flock(fh, fcntl.LOCK_SH)  # not while the writer thread is half-way through an append
                    seen |= {json.loads(line)["page_id"] for line in fh.read().splitlines() if line.strip()}
            except FileNotFoundError:  # replayed while we looked: its records are in the database
                continue
    return len(seen)


def make(url, tmp_path, rate=0.0, **kw) -> ReviewEnqueuer:
    enq = ReviewEnqueuer(url, tmp_path / "spool", rate, 200_000, thresholds=lambda: THRESHOLDS,
                         retry_seconds=0.2, seed=1, **kw)
    return enq


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.parametrize("action,rate,queued", [
    ("review", 0.0, "review"), ("keep", 0.0, None), ("drop", 0.0, None), ("strip", 1.0, "sample"),
    ("keep", 1.0, "sample"), ("review", 1.0, "review"),
])
def test_what_goes_into_the_queue(tmp_path, action, rate, queued):
    assert make("sqlite://", tmp_path, rate).wants({"action": action}) == queued


def test_sample_rate_is_roughly_honoured(tmp_path):
    enq = make("sqlite://", tmp_path, 0.01)
    hits = sum(enq.wants({"action": "keep"}) == "sample" for _ in range(20_000))
    assert 100 < hits < 320


def test_hook_writes_in_the_background(db_url, tmp_path):
    enq = make(db_url, tmp_path)
    v = verdict("bg", spans=[("injected_spam", INJECTED)])
    enq.hook(v, Req(v, html="<p>x</p>"))
    assert enq.flush() and count(db_url) == 1
    with session_scope(db_url) as s:
        item = s.scalar(select(ReviewItem))
        assert item.html == "<p>x</p>" and item.source == "review"
    enq.close()


def test_classify_through_the_app_enqueues(config, loaded_model, tmp_path):
    from service.app import create_app
    from service.storage.keys import create_key

    app = create_app(config.with_overrides({"review": {"sample_rate": 1.0}}))
    app.extensions["pagesieve"].registry._current = loaded_model
    url = app.extensions["pagesieve"].database_url
    with session_scope(url) as s:
        key = create_key(s, "crawler")
    resp = app.test_client().post("/v1/classify", json={"id": "via-app", "url": "http://x.cn/1", "html":
                                                        "<p>全市教育大会召开,市委书记出席并讲话。</p>"},
                                  headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200
    assert app.extensions["pagesieve_review"].flush()
    with session_scope(url) as s:
        item = s.scalar(select(ReviewItem).where(ReviewItem.page_id == "via-app"))
        assert item.source in {"sample", "review"} and "市委书记" in item.html
        assert item.model_version == loaded_model.version


def _outage_then_recovery(url, tmp_path, go_down, come_back):
    go_down()
    enq = make(url, tmp_path)
    vs = [verdict(f"o{i}", spans=[("injected_spam", INJECTED)]) for i in range(30)]
    started = time.perf_counter()
    for v in vs:
        enq.hook(v, Req(v))
    hook_seconds = time.perf_counter() - started
    assert enq.flush(timeout=30)
    assert enq.stats["spooled"] >= 30 and count_spooled(enq) == 30
    come_back()
    assert wait_for(lambda: not enq.spool.pending_files() and count(url) == 30), enq.stats
    enq.close()
    return hook_seconds


@contextmanager
def proxied_schema(schema: str, pg_reason):
    """``(proxy, url)``: a fresh schema of the local PostgreSQL reached through a :class:`Proxy` the test opens and
    closes (closed at first); the schema and the engine go afterwards."""
    if pg_reason:
        pytest.skip(pg_reason)
    import psycopg

    proxy = Proxy(5432)
    with psycopg.connect(PG_URL, autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        c.execute(f"CREATE SCHEMA {schema}")
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}/pagesieve_test?options=-csearch_path%3D{schema}"
    try:
        yield proxy, url
    finally:
        proxy.stop()
        dispose_engine(url)
        with psycopg.connect(PG_URL, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {schema} CASCADE")


def test_postgres_outage_loses_nothing(tmp_path, pg_reason):
    with proxied_schema("t_outage", pg_reason) as (proxy, url):
        seconds = _outage_then_recovery(url, tmp_path, lambda: None, proxy.start)
        assert seconds < 1.0  # 30 hooks with the database down: no connection attempt on the request path


def test_postgres_going_down_mid_run(tmp_path, pg_reason):
    """Up, then cut (open connections dropped), then back: the items written before stay, the rest follow."""
    with proxied_schema("t_outage2", pg_reason) as (proxy, url):
        proxy.start()
        enq = make(url, tmp_path)
        first = verdict("before")
        enq.hook(first, Req(first))
        assert enq.flush() and count(url) == 1
        proxy.stop()
        for i in range(5):
            v = verdict(f"during{i}")
            enq.hook(v, Req(v))
        assert enq.flush(timeout=30) and enq.stats["spooled"] >= 5, enq.stats
        proxy.start()
        assert wait_for(lambda: count(url) == 6 and not enq.spool.pending_files()), enq.stats
        enq.close()


def test_sqlite_unwritable_then_writable_loses_nothing(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the database directory should be")
    url = f"sqlite:///{blocker / 'queue.db'}"

    def come_back():
        blocker.unlink()

    try:
        _outage_then_recovery(url, tmp_path, lambda: None, come_back)
    finally:
        dispose_engine(url)


def test_spool_is_replayed_at_start_up(config, loaded_model, tmp_path):
    from service.app import create_app

    spool = Spool(config.path("storage", "spool_dir"))
    from service.requests import PageRequest
    from service.review.store import item_record

    v = verdict("left-behind")
    spool.append([item_record(v, PageRequest(id=v["id"], url=v["url"], text=v["text"]), THRESHOLDS, "review",
                              1000)])
    spool._own().rename(spool.directory / "spool-1.jsonl")  # as a dead worker left it
    app = create_app(config)
    app.extensions["pagesieve"].registry._current = loaded_model
    url = app.extensions["pagesieve"].database_url
    assert wait_for(lambda: count(url) == 1 and not spool.pending_files())


def test_a_spool_written_while_the_writer_is_idle_is_replayed_without_new_traffic(db_url, tmp_path):
    """Feedback spooled on a request thread, or a file another worker left, is retried every retry_seconds: a
    quiet process (no classify traffic, 1% sampling) used to leave it until its next write."""
    from service.requests import PageRequest
    from service.review.store import item_record

    enq = make(db_url, tmp_path)
    enq.start()
    time.sleep(0.5)  # the start-up replay has found an empty spool
    v = verdict("quiet")
    other = Spool(enq.spool.directory)
    other.append([item_record(v, PageRequest(id=v["id"], url=v["url"], text=v["text"]), THRESHOLDS, "review",
                              1000)])
    other._own().rename(other.directory / "spool-1.jsonl")  # another worker's file
    assert wait_for(lambda: count(db_url) == 1 and not enq.spool.pending_files(), timeout=5), enq.stats
    enq.close()


def test_a_spool_found_at_start_up_with_the_database_down_is_replayed_when_it_is_back(tmp_path, loaded_model):
    """The writer started only when the database was up at start-up: a spool left by an earlier run then waited
    for classify traffic."""
    from service.app import create_app
    from service.config import load_config
    from service.requests import PageRequest
    from service.review.store import item_record

    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the database directory should be")
    url = f"sqlite:///{blocker / 'queue.db'}"
    spool = Spool(tmp_path / "spool")
    v = verdict("left-while-down")
    spool.append([item_record(v, PageRequest(id=v["id"], url=v["url"], text=v["text"]), THRESHOLDS, "review",
                              1000)])
    spool._own().rename(spool.directory / "spool-1.jsonl")  # as a dead worker left it
    app = create_app(load_config({"storage": {"database_url": url, "spool_dir": str(spool.directory)},
                                  "review": {"secret_key_file": str(tmp_path / "key"), "spool_retry_seconds": 0.2}},
                                 environ={}))
    try:
        assert app.extensions["pagesieve"].database_ready is False
        blocker.unlink()
        assert wait_for(lambda: not spool.pending_files() and count(url) == 1, timeout=10)
    finally:
        app.extensions["pagesieve_review"].close()
        dispose_engine(url)


def test_close_spools_what_is_still_in_memory(tmp_path):
    enq = make("sqlite://", tmp_path)
    enq._queue.put_nowait({"kind": "item", "page_id": "mem"})
    enq.close()
    (path,) = enq.spool.pending_files()
    assert json.loads(path.read_text())["page_id"] == "mem"


def test_a_record_the_database_refuses_is_kept_aside(db_url, tmp_path):
    enq = make(db_url, tmp_path)
    enq.put({"kind": "item", "page_id": "x" * 500, "verdict": {}})  # longer than the column on PostgreSQL
    enq.put({"kind": "item", "page_id": None})  # NOT NULL everywhere
    assert enq.flush()
    rejected = tmp_path / "spool" / "rejected.jsonl"
    assert enq.stats["rejected"] >= 1 and rejected.exists()
    assert rejected.stat().st_mode & 0o777 == 0o600  # page text and HTML: as private as the spool files
    assert any(json.loads(line)["record"]["page_id"] is None for line in rejected.read_text().splitlines())
    enq.close()


def _append_many(directory: str, tag: str, n: int) -> None:
    spool = Spool(directory)
    for i in range(n):
        spool.append([{"kind": "item", "page_id": f"{tag}-{i}"}])


def test_workers_sharing_a_spool_dir_lose_nothing(tmp_path):
    """Two processes append while a third claims and reads: every record is read exactly once."""
    directory = tmp_path / "spool"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(directory), tag, 400)) for tag in "ab"]
    for p in procs:
        p.start()
    spool, seen = Spool(directory), []
    while any(p.is_alive() for p in procs) or spool.pending_files():
        for path in spool.pending_files():
            with spool.claim(path) as claimed:
                if claimed:
                    seen += [r["page_id"] for r in Spool.read(claimed)]
                    claimed.unlink()
        time.sleep(0.001)
    for p in procs:
        p.join()
    assert len(seen) == 800 and len(set(seen)) == 800


def test_migrate_is_idempotent(db_url):
    migrate(db_url)
    migrate(db_url)


def test_a_spool_line_torn_inside_a_character_is_kept_aside_and_the_rest_replayed(tmp_path):
    """A crash mid-append can cut the last line inside a multi-byte character: the file stays readable."""
    spool = Spool(tmp_path)
    spool.append([{"page_id": "a", "text": "湖南省基础教育"}, {"page_id": "b", "text": "研讨会"}])
    path = spool._own()
    torn = json.dumps({"page_id": "c", "text": "双峰县召开"}, ensure_ascii=False).encode("utf-8")
    with path.open("ab") as fh:
        fh.write(torn[:torn.index("峰".encode("utf-8")) + 1])  # one byte of a three-byte character
    assert [r["page_id"] for r in Spool.read(path)] == ["a", "b"]
    rejected = (tmp_path / "rejected.jsonl").read_text(encoding="utf-8")
    assert '"page_id": "c"' in rejected and "双" in rejected
    assert (tmp_path / "rejected.jsonl").stat().st_mode & 0o777 == 0o600


def test_readyz_says_when_a_database_down_at_start_up_is_back(tmp_path, pg_reason, loaded_model, monkeypatch):
    """The app starts with PostgreSQL unreachable (classify serves; /readyz says database false); once it is
    reachable, /readyz says so without a restart: it has the migration tried again in the background."""
    import service.app
    from service.app import create_app
    from service.config import load_config

    monkeypatch.setattr(service.app, "DATABASE_CHECK_SECONDS", 0.2)
    with proxied_schema("t_late_db", pg_reason) as (proxy, url):
        app = create_app(load_config({"storage": {"database_url": url, "spool_dir": str(tmp_path / "spool")},
                                      "review": {"secret_key_file": str(tmp_path / "key")}}, environ={}))
        app.extensions["pagesieve"].registry._current = loaded_model
        client = app.test_client()
        down = client.get("/readyz")
        assert down.status_code == 200 and down.get_json()["database"] is False
        proxy.start()
        assert wait_for(lambda: client.get("/readyz").get_json()["database"] is True, timeout=30)
        app.extensions["pagesieve_review"].close()

def test_a_database_that_never_answers_does_not_hold_start_up(tmp_path, loaded_model):
    """A server that takes the connection and then says nothing: the app still builds within seconds (libpq's
    connect timeout), classify serves, and /readyz says the database is not there."""
    import socket

    from service.app import create_app
    from service.config import load_config
    from service.storage import db

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nothing ever reads or answers
    url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/pagesieve_test"

    def hung(*_):
        raise TimeoutError("start-up still waiting on the silent database after 60 s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)  # without a connect timeout, libpq waits for ever: fail instead of hanging the suite
    try:
        started = time.monotonic()
        app = create_app(load_config({"storage": {"database_url": url, "spool_dir": str(tmp_path / "spool")},
                                      "review": {"secret_key_file": str(tmp_path / "key")},
                                      "service": {"anonymous_classify": True}}, environ={}))
        assert time.monotonic() - started < db.CONNECT_TIMEOUT_SECONDS * 4
        app.extensions["pagesieve"].registry._current = loaded_model
        client = app.test_client()
        assert client.get("/readyz").get_json()["database"] is False
        assert client.post("/v1/classify", json={"text": "正文"}).status_code == 200
        app.extensions["pagesieve_review"].close()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        silent.close()
        dispose_engine(url)


@contextmanager
def schema_as_own_role(pg_reason):
    """``(admin, url)``: a migrated schema of the local PostgreSQL written by a role of its own, so a test can make
    that role's database read-only or take its permissions away without touching anyone else's connections."""
    if pg_reason:
        pytest.skip(pg_reason)
    import uuid

    import psycopg

    name = f"t_role_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_URL, autocommit=True)
    admin.execute(f"CREATE ROLE {name} LOGIN")
    admin.execute(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    url = f"postgresql://{name}@127.0.0.1:5432/pagesieve_test?options=-csearch_path%3D{name}"
    try:
        migrate(url)
        dispose_engine(url)
        yield admin, name, url
    finally:
        dispose_engine(url)
        admin.execute(f"DROP SCHEMA {name} CASCADE")
        admin.execute(f"DROP OWNED BY {name}")
        admin.execute(f"DROP ROLE {name}")
        admin.close()


@pytest.mark.parametrize("episode", [
    # a failover to a standby: every write is refused with ReadOnlySqlTransaction (25006, an InternalError)
    ("ALTER ROLE {r} SET default_transaction_read_only = on", "ALTER ROLE {r} RESET default_transaction_read_only"),
    # a revoked permission: InsufficientPrivilege (42501, a ProgrammingError)
    ("REVOKE INSERT, UPDATE ON {r}.review_items FROM {r}", "GRANT INSERT, UPDATE ON {r}.review_items TO {r}"),
], ids=["read_only", "permission_revoked"])
def test_records_refused_by_a_database_that_cannot_take_writes_are_spooled_then_delivered(tmp_path, pg_reason,
                                                                                          episode):
    """An episode that has nothing to do with the records is an outage: they wait in the spool, not in rejected.jsonl,
    and reach the queue once the database takes writes again."""
    start, end = episode
    with schema_as_own_role(pg_reason) as (admin, role, url):

        def apply(statement):
            admin.execute(statement.format(r=role))
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))

        apply(start)
        enq = make(url, tmp_path, migrated=True)
        for i in range(5):
            v = verdict(f"ro{i}")
            enq.hook(v, Req(v))
        assert enq.flush(timeout=30)
        assert enq.stats["rejected"] == 0 and not (tmp_path / "spool" / "rejected.jsonl").exists(), enq.stats
        assert count_spooled(enq) == 5
        apply(end)
        assert wait_for(lambda: not enq.spool.pending_files() and count(url) == 5), enq.stats
        enq.close()


def test_a_spool_dir_that_cannot_hold_files_stops_start_up(config, tmp_path):
    """A regular file where the spool directory should be: the app refuses to start, naming the setting, instead of
    saying ready and dropping every record of the next outage."""
    from service.app import create_app
    from service.config import ConfigError

    afile = tmp_path / "afile"
    afile.write_text("not a directory")
    with pytest.raises(ConfigError, match=r"PAGESIEVE_STORAGE_SPOOL_DIR.*afile/spool"):
        create_app(config.with_overrides({"storage": {"spool_dir": str(afile / "spool")}}))


def _unwritable_own_spool_file(enq) -> None:
    """This process's spool file made impossible to create (a link into a directory that does not exist), while the
    directory itself still lets a replay claim other files."""
    enq.spool.directory.mkdir(parents=True, exist_ok=True)
    enq.spool._own().symlink_to(enq.spool.directory / "missing" / "spool.jsonl")


def test_records_the_spool_cannot_take_are_kept_until_the_database_is_back(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the database directory should be")
    url = f"sqlite:///{blocker / 'queue.db'}"
    enq = make(url, tmp_path)
    _unwritable_own_spool_file(enq)
    try:
        for i in range(3):
            v = verdict(f"held{i}")
            enq.hook(v, Req(v))
        assert enq.flush(timeout=30)
        time.sleep(0.5)  # a few replays, with the database and the spool both unusable
        enq.spool._own().unlink()
        blocker.unlink()
        assert wait_for(lambda: enq.stats["written"] == 3), enq.stats
        assert count(url) == 3 and not enq.spool.pending_files()
    finally:
        enq.close()
        dispose_engine(url)


def test_a_claimed_spool_file_is_kept_when_its_records_cannot_be_spooled_again(tmp_path):
    """Database down and this process's spool file not writable: a replay claims a file a dead worker left, cannot
    write its records anywhere, and keeps the file; they are written once the database is back."""
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the database directory should be")
    url = f"sqlite:///{blocker / 'queue.db'}"
    enq = make(url, tmp_path)
    Spool(enq.spool.directory).append([{"kind": "item", "page_id": "left", "verdict": {}, "text": "t"}])
    enq.spool._own().rename(enq.spool.directory / "spool-1.jsonl")  # as a dead worker left it
    _unwritable_own_spool_file(enq)
    try:
        assert enq.replay() is False
        (kept,) = [p for p in enq.spool.pending_files() if p.name.startswith("replay-")]
        assert json.loads(kept.read_text())["page_id"] == "left"
        enq.spool._own().unlink()
        blocker.unlink()
        assert enq.replay() is True and count(url) == 1
    finally:
        enq.close()
        dispose_engine(url)


def test_a_refused_record_logs_one_escaped_line_without_the_page_text(tmp_path, pg_reason, caplog):
    """A page id sent to forge a log line and recolour the terminal, on a record PostgreSQL refuses (an id longer
    than its column): the log says which record and why in one line, the id escaped, and holds no page text."""
    url, drop = make_db_url("postgresql", tmp_path, pg_reason)
    migrate(url)
    forged = "inj2\n2026-11-25 03:53:00,000 INFO service.app: database FAKE is available again\x1b[31m"
    enq = make(url, tmp_path)
    try:
        with caplog.at_level("INFO", logger="service.review.enqueue"):
            enq.put({"kind": "item", "page_id": forged + "x" * 500, "verdict": {}, "text": "SECRET-PAGE-TEXT"})
            assert enq.flush()
        (line,) = [r for r in caplog.records if "refused" in r.getMessage()]
        message = line.getMessage()
        assert "\n" not in message and "\x1b" not in message and "\\n2026-11-25" in message
        assert "StringDataRightTruncation, SQLSTATE 22001" in message and line.exc_info is None
        assert "SECRET-PAGE-TEXT" not in caplog.text
        (kept,) = [json.loads(x) for x in (tmp_path / "spool" / "rejected.jsonl").read_text().splitlines()]
        assert kept["record"]["text"] == "SECRET-PAGE-TEXT"  # the record itself is kept for a human
        assert "SECRET-PAGE-TEXT" not in kept["reason"]  # nor the parameters in the error it was refused with
    finally:
        enq.close()
        drop()


def test_readyz_says_when_the_database_goes_away_and_comes_back_mid_run(tmp_path, pg_reason, loaded_model,
                                                                         monkeypatch):
    """Up at start-up, then cut, then back: /readyz's "database" follows within a check's age, and answers fast
    while the database is gone."""
    import service.app
    from service.app import create_app
    from service.config import load_config

    monkeypatch.setattr(service.app, "DATABASE_CHECK_SECONDS", 0.2)
    with proxied_schema("t_mid_db", pg_reason) as (proxy, url):
        proxy.start()
        app = create_app(load_config({"storage": {"database_url": url, "spool_dir": str(tmp_path / "spool")},
                                      "review": {"secret_key_file": str(tmp_path / "key")}}, environ={}))
        app.extensions["pagesieve"].registry._current = loaded_model
        client = app.test_client()
        assert client.get("/readyz").get_json()["database"] is True
        proxy.stop()
        assert wait_for(lambda: client.get("/readyz").get_json()["database"] is False, timeout=10)
        started = time.monotonic()
        assert client.get("/readyz").status_code == 200
        assert time.monotonic() - started < service.app.DATABASE_CHECK_WAIT_SECONDS + 0.5
        proxy.start()
        assert wait_for(lambda: client.get("/readyz").get_json()["database"] is True, timeout=15)
        app.extensions["pagesieve_review"].close()


def test_readyz_says_a_read_only_database_is_not_ready(tmp_path, pg_reason, loaded_model, monkeypatch):
    """A failover to a standby (here: the role's transactions read-only): the database answers but takes no
    review items, and /readyz says so until it takes writes again."""
    import service.app
    from service.app import create_app
    from service.config import load_config

    monkeypatch.setattr(service.app, "DATABASE_CHECK_SECONDS", 0.2)
    with schema_as_own_role(pg_reason) as (admin, role, url):
        app = create_app(load_config({"storage": {"database_url": url, "spool_dir": str(tmp_path / "spool")},
                                      "review": {"secret_key_file": str(tmp_path / "key")}}, environ={}))
        app.extensions["pagesieve"].registry._current = loaded_model
        client = app.test_client()
        assert client.get("/readyz").get_json()["database"] is True
        for statement in (f"ALTER ROLE {role} SET default_transaction_read_only = on",
                          f"ALTER ROLE {role} RESET default_transaction_read_only"):
            admin.execute(statement)
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
            expected = "RESET" in statement
            assert wait_for(lambda e=expected: client.get("/readyz").get_json()["database"] is e, timeout=10)
        app.extensions["pagesieve_review"].close()


def test_a_write_to_a_read_only_database_is_a_503_not_a_500(tmp_path, pg_reason, loaded_model):
    """After a failover to a standby, a moderator's decision failed with ReadOnlySqlTransaction (25006, an
    InternalError), which only the writer thread counted as an outage: the API answered 500 internal_error with a
    traceback, where README and the OpenAPI document promise 503 database_unavailable."""
    from service.app import create_app
    from service.config import load_config
    from tests.review.conftest import add_items, key_headers

    with schema_as_own_role(pg_reason) as (admin, role, url):
        app = create_app(load_config({"storage": {"database_url": url, "spool_dir": str(tmp_path / "spool")},
                                      "review": {"secret_key_file": str(tmp_path / "key")}}, environ={}))
        app.extensions["pagesieve"].registry._current = loaded_model
        (item_id,) = add_items(url, [verdict("ro", spans=[("injected_spam", INJECTED)])])
        mod = key_headers(url, "moderator", "ro-tool")
        admin.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        dispose_engine(url)
        try:
            resp = app.test_client().post(f"/v1/review/items/{item_id}/decision",
                                          json={"decision": "confirm", "version": 1}, headers=mod)
            assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "database_unavailable", \
                resp.get_json()
        finally:
            admin.execute(f"ALTER ROLE {role} RESET default_transaction_read_only")
            app.extensions["pagesieve_review"].close()


def test_a_spool_file_another_worker_is_replaying_is_left_to_it(db_url, tmp_path):
    """Every worker replays every spool_retry_seconds and lists the others' replay-* files: a replay still running
    in one worker was claimed and written a second time by another (a client's report written twice re-opened what
    a moderator decided in between). A replayer holds its file's lock until done; a locked file is passed over."""
    enq = make(db_url, tmp_path)
    enq.spool.directory.mkdir(parents=True)
    busy = enq.spool.directory / "replay-999-0123abcd.jsonl"
    busy.write_text(json.dumps({"kind": "item", "page_id": "busy", "verdict": {}, "text": "t"}) + "\n")
    try:
        with busy.open("rb") as other_worker:
            fcntl.flock(other_worker, fcntl.LOCK_EX)  # its replay is under way
            result = {}
            replayer = threading.Thread(target=lambda: result.update(ok=enq.replay()))
            replayer.start()
            replayer.join(10)
            assert not replayer.is_alive(), "the replay waited for the other worker's file"
            assert result["ok"] is False and count(db_url) == 0 and busy.exists()
        # its replayer is gone without removing the file (it could not write or spool the records): taken now
        assert enq.replay() is True and count(db_url) == 1 and not busy.exists()
    finally:
        enq.close()


def test_feedback_by_id_from_a_cached_verdict_does_not_replace_a_later_one(db_url, tmp_path):
    """While the database is down, feedback by id takes the page from this worker's cache: the record said it was
    classified when the report came, so it replaced a verdict another worker classified after this one."""
    from service.review.store import upsert_item
    from tests.review.conftest import add_items

    enq = make(db_url, tmp_path)
    old = verdict("cached", action="keep", model_version="m1")
    enq.hook(old, Req(old))  # keep, not sampled: remembered only
    (item_id,) = add_items(db_url, [verdict("cached", model_version="m2")])  # another worker, later
    rec = enq.recent_record("cached")
    try:
        with session_scope(db_url) as s:
            upsert_item(s, rec)
        with session_scope(db_url) as s:
            assert s.get(ReviewItem, item_id).model_version == "m2"
    finally:
        enq.close()


def test_a_refused_record_that_cannot_be_set_aside_is_kept_and_the_writer_goes_on(db_url, tmp_path):
    """rejected.jsonl not writable (here a directory; owned by another user, fchmod failed with EPERM): the OSError
    escaped the writer thread, which died with its batch. The record is spooled again until it can be set aside."""
    enq = make(db_url, tmp_path)
    rejected = tmp_path / "spool" / "rejected.jsonl"
    rejected.mkdir(parents=True)
    try:
        enq.put({"kind": "item", "page_id": None})  # NOT NULL everywhere: refused
        assert enq.flush(timeout=10) and enq._thread.is_alive()
        v = verdict("after")
        enq.hook(v, Req(v))
        assert wait_for(lambda: count(db_url) == 1)
        assert count_spooled(enq) == 1  # the refused record, waiting for rejected.jsonl
        rejected.rmdir()
        assert wait_for(lambda: rejected.is_file() and not enq.spool.pending_files())
        (line,) = rejected.read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["record"]["page_id"] is None
    finally:
        enq.close()


def test_a_torn_spool_line_that_cannot_be_set_aside_keeps_its_file(db_url, tmp_path):
    """The same for an unreadable spool line: the OSError escaped replay(); now the file stays until the line can
    be kept aside, and its records are written then."""
    enq = make(db_url, tmp_path)
    enq.spool.append([{"kind": "item", "page_id": "whole", "verdict": {}, "text": "t"}])
    with enq.spool._own().open("ab") as fh:
        fh.write(b'{"kind": "item", "page_id": "torn\n')
    rejected = enq.spool.directory / "rejected.jsonl"
    rejected.mkdir()
    try:
        assert enq.replay() is False
        assert count(db_url) == 0 and len(enq.spool.pending_files()) == 1
        rejected.rmdir()
        assert enq.replay() is True and count(db_url) == 1
        assert len(rejected.read_text(encoding="utf-8").splitlines()) == 1
    finally:
        enq.close()


def test_close_spools_the_records_held_in_memory(tmp_path):
    """Records the spool could not take wait in memory; at exit they went to the spool only when the queue still
    held something too, and were lost otherwise."""
    enq = make("sqlite://", tmp_path)
    _unwritable_own_spool_file(enq)
    assert enq._spool([{"kind": "item", "page_id": "held"}]) is False
    enq.spool._own().unlink()  # the spool takes records again
    enq.close()
    (path,) = enq.spool.pending_files()
    assert json.loads(path.read_text())["page_id"] == "held"
