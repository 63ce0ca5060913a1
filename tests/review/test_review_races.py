"""Two writers on one item at once, on SQLite and PostgreSQL (a re-classification, a decision, a client's report,
a revert, an undo), each on its own thread and connection, one held just before its write until the other has
committed."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from sqlalchemy import event, select

from service.review import decisions
from service.review.store import item_record, upsert_item
from service.storage.db import get_engine, session_scope
from service.storage.models import Decision, ReviewItem
from tests.review.conftest import INJECTED, THRESHOLDS, add_items, verdict

OTHER = "澳门新葡京娱乐场官网,百家乐真人在线开户,北京赛车pk10计划网页版,时时彩平台注册送38元彩金"
TEXT_B = "区政府召开常务会议,研究部署近期重点工作。会议听取了有关情况汇报,安排了下一步工作。"


def _record(v: dict) -> dict:
    from service.requests import PageRequest

    return item_record(v, PageRequest(id=v["id"], url=v["url"], text=v["text"]), THRESHOLDS, "review", 200_000)


@contextmanager
def held_before(url: str, statement_start: str = "UPDATE review_items"):
    """Run ``work`` on a thread of its own, held just before its first statement starting with
    ``statement_start`` (its first write: SQLite lets one transaction write at a time) until released.

    Yields ``start(work)``, which returns once the thread is held (or done), and ``finish()``, which lets it go
    and returns what it returned (or raises what it raised)."""
    engine, held, release, out = get_engine(url), threading.Event(), threading.Event(), {}
    worker: dict = {}

    def hold(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread() is worker.get("thread") and statement.lstrip().upper().startswith(
                statement_start.upper()) and not held.is_set():
            held.set()
            assert release.wait(30)

    def run(work):
        try:
            out["value"] = work()
        except BaseException as exc:  # handed to the test's thread
            out["error"] = exc
        finally:
            held.set()

    def start(work):
        worker["thread"] = threading.Thread(target=run, args=(work,))
        worker["thread"].start()
        assert held.wait(30)

    def finish():
        release.set()
        worker["thread"].join(30)
        if "error" in out:
            raise out["error"]
        return out.get("value")

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield start, finish
    finally:
        release.set()
        event.remove(engine, "before_cursor_execute", hold)


def _reclassify(url: str, v: dict):
    def work():
        with session_scope(url) as session:
            return upsert_item(session, _record(v)).version
    return work


def test_a_decision_made_while_the_page_is_classified_again_keeps_its_page(db_url):
    """The re-classification read version 1 (pending), then the moderator confirmed version 1: the new verdict
    used to overwrite the decided row (text B under the decision made on text A, both writers making version 2)."""
    (item_id,) = add_items(db_url, [verdict("race", spans=[("injected_spam", INJECTED)])])
    with session_scope(db_url) as s:
        text_a = s.get(ReviewItem, item_id).text
    with held_before(db_url) as (start, finish):
        start(_reclassify(db_url, verdict("race", text=TEXT_B, spans=[("injected_spam", OTHER)])))
        with session_scope(db_url) as s:
            decisions.decide(s, item_id, 1, "confirm", "alice")
        assert finish() == 2
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert (item.status, item.version, item.decision, item.text) == ("decided", 2, "confirm", text_a)
        assert [text_a[sp["start"]:sp["end"]] for sp in item.final_spans] == [INJECTED]


def test_a_page_classified_again_while_a_decision_is_on_its_way_refuses_the_decision(db_url):
    """The other order: the decision read version 1, the new verdict was written first; the decision gets 409."""
    (item_id,) = add_items(db_url, [verdict("race2", spans=[("injected_spam", INJECTED)])])

    def decide():
        with session_scope(db_url) as s:
            decisions.decide(s, item_id, 1, "confirm", "alice")

    with held_before(db_url) as (start, finish):
        start(decide)
        _reclassify(db_url, verdict("race2", text=TEXT_B, spans=[("injected_spam", OTHER)]))()
        try:
            finish()
            raise AssertionError("the decision on version 1 was applied to version 2")
        except decisions.Conflict:
            pass
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert (item.status, item.version, item.decision) == ("pending", 2, None)
        assert item.text.startswith(TEXT_B)


def test_a_report_on_a_page_reverted_meanwhile_does_not_reopen_it(db_url):
    """The report read the page decided (version 2); a moderator reverted it to pending (version 3) before the
    report wrote: the report used to 're-open' the pending page, writing version 3 a second time."""
    from service.review.feedback_store import apply_feedback

    (item_id,) = add_items(db_url, [verdict("rep", spans=[("injected_spam", INJECTED)])])
    with session_scope(db_url) as s:
        confirm = decisions.decide(s, item_id, 1, "confirm", "alice").id

    def report():
        with session_scope(db_url) as s:
            apply_feedback(s, {"kind": "feedback", "page_id": "rep", "reporter": "crawler-1",
                               "label": "not_spam", "note": ""})

    with held_before(db_url, "INSERT INTO review_feedback") as (start, finish):
        start(report)
        with session_scope(db_url) as s:
            decisions.revert(s, confirm, "alice")
        finish()
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        trail = [d.decision for d in s.scalars(select(Decision).where(Decision.item_id == item_id)
                                                .order_by(Decision.id))]
        assert (item.status, item.version, item.source) == ("pending", 3, "feedback")
        assert trail == ["confirm", "revert"]


def test_an_undo_of_a_bulk_is_all_or_nothing(db_url):
    """An item of the bulk changed while the undo ran (a client re-opened it after the undo had read it): the undo
    used to commit the items before it one by one, leaving half the bulk undone; now none is, and it says so."""
    import pytest

    from service.errors import ApiError
    from service.review.feedback_store import apply_feedback

    ids = add_items(db_url, [verdict(f"bulk{i}", url=f"http://s{i}.cn/", spans=[("injected_spam", INJECTED)])
                             for i in range(3)])
    with session_scope(db_url) as s:
        assert sorted(decisions.decide_many(s, [(i, 1) for i in ids], "confirm", "alice").applied) == ids

    def undo():
        with session_scope(db_url) as s:
            return decisions.undo_last(s, "alice")

    with held_before(db_url) as (start, finish):
        start(undo)  # held before it reverts the item it reads first, the bulk's last
        with session_scope(db_url) as s:
            apply_feedback(s, {"kind": "feedback", "page_id": "bulk2", "reporter": "crawler-1",
                               "label": "not_spam", "note": ""})
        with pytest.raises(ApiError, match="nothing was undone") as caught:
            finish()
        assert caught.value.status == 409
    with session_scope(db_url) as s:
        assert [(s.get(ReviewItem, i).status, s.get(ReviewItem, i).version) for i in ids] == [
            ("decided", 2), ("decided", 2), ("pending", 3)]
    again = undo()  # a later undo is not stuck: the rest of the bulk; the re-opened item is left to the client
    assert again.reverted == ids[:2] and again.kept == [{"id": ids[2], "decided_by": "feedback:crawler-1"}]
