"""``POST /v1/feedback``: by id or with the page; idempotent per id; re-opens; spooled when the database is down."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.review.conftest import INJECTED, add_items, assert_documented, verdict

PAGE = {"url": "http://edu.example.cn/news/9.html",
        "text": "全市教育大会召开\n\n4月25日上午,全市教育大会召开,市委书记出席并讲话。\n\n" + INJECTED}


def _item(client, mod, item_id):
    return client.get(f"/v1/review/items/{item_id}", headers=mod).get_json()


def test_feedback_by_id_then_corrected(rclient, crawler, mod, review_app):
    (item_id,) = add_items(review_app.extensions["pagesieve"].database_url, [verdict("known")])
    first = rclient.post("/v1/feedback", json={"id": "known", "label": "injected_spam", "note": "spam at the end"},
                         headers=crawler)
    assert first.status_code == 201 and first.get_json()["item_id"] == item_id
    again = rclient.post("/v1/feedback", json={"id": "known", "label": "link_farm"}, headers=crawler)
    assert again.status_code == 200 and again.get_json()["created"] is False
    for resp in (first, again):
        assert_documented(resp, "/v1/feedback", "post")
    detail = _item(rclient, mod, item_id)
    assert detail["source"] == "feedback"
    assert [(f["label"], f["note"]) for f in detail["feedback"]] == [("link_farm", "")]


def test_feedback_with_the_page_classifies_and_queues_it(rclient, crawler, mod):
    resp = rclient.post("/v1/feedback", json={"label": "injected_spam", "page": {**PAGE, "id": "sent-1"},
                                              "spans": [{"start": 0, "end": 8, "label": "boilerplate"}]},
                        headers=crawler)
    assert resp.status_code == 201, resp.get_json()
    detail = _item(rclient, mod, resp.get_json()["item_id"])
    assert detail["page_id"] == "sent-1" and INJECTED in detail["text"] and detail["status"] == "pending"
    assert detail["feedback"][0]["spans"] == [{"start": 0, "end": 8, "label": "boilerplate"}]
    listed = rclient.get("/v1/review/items?source=feedback", headers=mod).get_json()["items"]
    assert [i["page_id"] for i in listed] == ["sent-1"]


def test_nul_characters_are_stored_and_found_on_every_database(rclient, crawler, mod):
    """PostgreSQL text cannot hold NUL; a page, id, note or filter carrying one is stored and matched all the same."""
    page = {**PAGE, "id": "nul\x00id", "url": PAGE["url"] + "?q=\x00", "text": PAGE["text"] + "\x00尾"}
    resp = rclient.post("/v1/feedback", json={"label": "injected_spam", "note": "a\x00b", "page": page},
                        headers=crawler)
    assert resp.status_code == 201, resp.get_json()
    again = rclient.post("/v1/feedback", json={"id": "nul\x00id", "label": "link_farm"}, headers=crawler)
    assert again.status_code == 200 and again.get_json()["item_id"] == resp.get_json()["item_id"]
    detail = _item(rclient, mod, resp.get_json()["item_id"])
    assert detail["page_id"] == "nul\ufffdid" and detail["text"].endswith("\ufffd尾")
    for query in ("q=%00", "site=a%00b", "model_version=%00"):
        assert rclient.get(f"/v1/review/items?status=all&{query}", headers=mod).status_code == 200, query
    assert rclient.get("/v1/review/decisions?moderator=x%00y", headers=mod).status_code == 200


def test_feedback_by_id_of_a_page_classified_but_not_queued(rclient, crawler, mod):
    classified = rclient.post("/v1/classify", json={**PAGE, "id": "recent"}, headers=crawler).get_json()
    resp = rclient.post("/v1/feedback", json={"id": classified["id"], "label": "not_spam"}, headers=crawler)
    assert resp.status_code == 201 and _item(rclient, mod, resp.get_json()["item_id"])["text"] == classified["text"]


def test_feedback_on_a_decided_page_reopens_it(rclient, crawler, mod, review_app):
    (item_id,) = add_items(review_app.extensions["pagesieve"].database_url,
                           [verdict("done", spans=[("injected_spam", INJECTED)])])
    rclient.post(f"/v1/review/items/{item_id}/decision", json={"decision": "not_spam", "version": 1}, headers=mod)
    resp = rclient.post("/v1/feedback", json={"id": "done", "label": "injected_spam"}, headers=crawler)
    assert resp.status_code == 201 and resp.get_json()["status"] == "pending"
    detail = _item(rclient, mod, item_id)
    assert detail["version"] == 3 and detail["decisions"][-1]["decision"] == "reopen"
    agreeing = rclient.post("/v1/feedback", json={"id": "done", "label": "injected_spam"}, headers=crawler)
    assert agreeing.status_code == 200


@pytest.mark.parametrize("body,status,code", [
    ({"id": "x"}, 400, "invalid_label"),
    ({"id": "x", "label": "porn"}, 400, "invalid_label"),
    ({"label": "not_spam"}, 400, "missing_page"),
    ({"id": 5, "label": "not_spam"}, 400, "invalid_field"),
    ({"id": "", "label": "not_spam"}, 400, "invalid_field"),
    ({"id": "x", "label": "not_spam", "note": ["n"]}, 400, "invalid_field"),
    ({"id": "x", "label": "not_spam", "colour": 1}, 400, "unknown_field"),
    ({"id": "x", "label": "not_spam", "spans": "0-5"}, 400, "invalid_spans"),
    ({"id": "never-seen", "label": "not_spam"}, 404, "unknown_id"),
    ({"label": "not_spam", "page": {"url": "u"}}, 400, "missing_content"),
    ({"label": "not_spam", "page": "text"}, 400, "invalid_page"),
    ({"id": "a", "label": "not_spam", "page": {**PAGE, "id": "b"}}, 400, "id_mismatch"),
    ({"label": "not_spam", "page": PAGE, "spans": [{"start": 0, "end": 10**6, "label": "link_farm"}]}, 400,
     "invalid_spans"),
    (["not", "an", "object"], 400, "invalid_body"),
    # an unpaired surrogate (JSON allows "\ud800", UTF-8 cannot store it) was a 500
    ({"id": "x", "label": "link_farm", "note": "\ud800"}, 400, "invalid_text"),
    ({"id": "\udfff", "label": "link_farm"}, 400, "invalid_text"),
    ({"label": "link_farm", "page": {**PAGE, "text": "a\ud800b"}}, 400, "invalid_text"),
])
def test_bad_feedback_gets_a_4xx(rclient, crawler, body, status, code):
    # json.dumps escapes a lone surrogate as JSON may (the test client's own encoder would fail on it)
    resp = rclient.post("/v1/feedback", data=json.dumps(body), content_type="application/json", headers=crawler)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["code"] == code


def test_feedback_roles(rclient, mod):
    assert rclient.post("/v1/feedback", json={"id": "x", "label": "not_spam"}).status_code == 401
    assert rclient.post("/v1/feedback", json={"id": "x", "label": "not_spam"}, headers=mod).status_code == 403


def test_feedback_is_spooled_while_the_database_is_down(rclient, crawler, review_app, mod):
    """And written when it is back, with no further traffic: the writer thread retries a non-empty spool."""
    state = review_app.extensions["pagesieve"]
    enqueuer = review_app.extensions["pagesieve_review"]
    enqueuer.retry_seconds = 0.2
    real_url = state.database_url
    rclient.post("/v1/classify", json={**PAGE, "id": "down"}, headers=crawler)  # key now cached
    state.database_url = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    resp = rclient.post("/v1/feedback", json={"id": "down", "label": "injected_spam"}, headers=crawler)
    assert resp.status_code == 202 and resp.get_json()["status"] == "spooled"
    state.database_url = real_url
    deadline = time.monotonic() + 10
    while enqueuer.spool.pending_files() and time.monotonic() < deadline:
        time.sleep(0.05)
    listed = rclient.get("/v1/review/items?source=feedback", headers=mod).get_json()["items"]
    assert [i["page_id"] for i in listed] == ["down"]


def test_review_api_answers_503_while_the_database_is_down(rclient, review_app, mod):
    state = review_app.extensions["pagesieve"]
    assert rclient.get("/v1/review/items", headers=mod).status_code == 200  # key now cached
    real_url, state.database_url = state.database_url, "postgresql://postgres@127.0.0.1:1/nowhere"
    try:
        resp = rclient.get("/v1/review/items", headers=mod)
    finally:
        state.database_url = real_url
    assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["error"]["code"] == "database_unavailable" and resp.headers["Retry-After"]


def test_reverting_a_decision_made_on_a_reopened_page_reopens_it_again(rclient, crawler, mod, review_app):
    """Confirmed, re-opened by a client's report, relabelled: reverting the relabel gave back the confirm (the
    re-open was not looked at), exported against the client's report; the page was pending before the relabel."""
    (item_id,) = add_items(review_app.extensions["pagesieve"].database_url,
                           [verdict("o3", spans=[("injected_spam", INJECTED)])])
    rclient.post(f"/v1/review/items/{item_id}/decision", json={"decision": "confirm", "version": 1}, headers=mod)
    assert rclient.post("/v1/feedback", json={"id": "o3", "label": "not_spam"}, headers=crawler).status_code == 201
    relabel = rclient.post(f"/v1/review/items/{item_id}/decision",
                           json={"decision": "relabel", "version": 3, "labels": ["link_farm"]}, headers=mod)
    assert relabel.status_code == 200, relabel.get_json()
    resp = rclient.post(f"/v1/review/decisions/{relabel.get_json()['decision']['id']}/revert", headers=mod)
    assert resp.status_code == 200, resp.get_json()
    detail = _item(rclient, mod, item_id)
    assert (detail["status"], detail["version"]) == ("pending", 5)
    assert detail["decisions"][-1]["decision"] == "revert" and detail["decisions"][-1]["new_labels"] is None


def test_a_reopened_page_shows_no_decision_and_a_conflict_says_it_was_reopened(rclient, crawler, mod, review_app):
    """Re-opened, the page stayed pending with its old decision and decided_by in the API's answers, and a
    decision on the version before answered "was decided (re-opened)"."""
    (item_id,) = add_items(review_app.extensions["pagesieve"].database_url,
                           [verdict("o6", spans=[("injected_spam", INJECTED)])])
    rclient.post(f"/v1/review/items/{item_id}/decision", json={"decision": "confirm", "version": 1}, headers=mod)
    rclient.post("/v1/feedback", json={"id": "o6", "label": "not_spam"}, headers=crawler)
    detail = _item(rclient, mod, item_id)
    assert (detail["status"], detail["decision"], detail["decided_by"], detail["decided_at"]) == (
        "pending", None, None, None)
    assert detail["decisions"][-1]["old_labels"] == ["injected_spam"]  # the audit keeps what it was
    listed = rclient.get("/v1/review/items?status=pending", headers=mod).get_json()["items"]
    assert [(i["decision"], i["decided_by"]) for i in listed if i["id"] == item_id] == [(None, None)]
    stale = rclient.post(f"/v1/review/items/{item_id}/decision", json={"decision": "not_spam", "version": 2},
                         headers=mod).get_json()["error"]
    assert "was re-opened by a client's report (feedback:" in stale["message"]
    assert stale["current"]["decided_by"] is None

DOWN = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


def test_feedback_by_an_unknown_id_while_the_database_is_down_is_a_503(rclient, crawler, review_app, mod):
    """Up, it would be 404 unknown_id; down, only the database could tell, so the client is told to retry (it was
    202, and the replayed report had no page and showed nowhere). With the page itself it is still spooled."""
    state = review_app.extensions["pagesieve"]
    enqueuer = review_app.extensions["pagesieve_review"]
    enqueuer.retry_seconds = 0.2
    rclient.post("/v1/classify", json={**PAGE, "id": "warm"}, headers=crawler)  # key now cached
    real_url, state.database_url = state.database_url, DOWN
    try:
        by_id = rclient.post("/v1/feedback", json={"id": "never-seen-page-42", "label": "link_farm"},
                             headers=crawler)
        with_page = rclient.post("/v1/feedback", json={"label": "link_farm", "page": {**PAGE, "id": "sent-down"}},
                                 headers=crawler)
    finally:
        state.database_url = real_url
    assert by_id.status_code == 503 and by_id.headers["Retry-After"], by_id.get_json()
    assert by_id.get_json()["error"]["code"] == "database_unavailable" and "'page'" in by_id.get_json()["error"][
        "message"]
    assert with_page.status_code == 202
    for resp in (by_id, with_page):
        assert_documented(resp, "/v1/feedback", "post")
    assert wait_listed(rclient, mod) == ["sent-down"]
    assert not [p for p in enqueuer.spool.pending_files()]


def wait_listed(client, mod, timeout=10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        listed = [i["page_id"] for i in client.get("/v1/review/items?source=feedback&status=all",
                                                   headers=mod).get_json()["items"]]
        if listed or time.monotonic() > deadline:
            return listed
        time.sleep(0.05)


@pytest.mark.parametrize("by", ["id", "page"])
def test_spans_of_a_spooled_report_are_checked_against_the_page(rclient, crawler, review_app, by):
    """While the database is down, a span past the end of the page is the 400 it is when the database is up (it was
    checked against 10**9 and stored)."""
    state = review_app.extensions["pagesieve"]
    text_length = len(rclient.post("/v1/classify", json={**PAGE, "id": "spans-down"}, headers=crawler)
                      .get_json()["text"])
    body = {"id": "spans-down"} if by == "id" else {"page": {**PAGE, "id": "spans-down"}}
    spans = [{"start": 0, "end": text_length + 1, "label": "link_farm"}]
    real_url, state.database_url = state.database_url, DOWN
    try:
        resp = rclient.post("/v1/feedback", json={**body, "label": "link_farm", "spans": spans}, headers=crawler)
        fits = rclient.post("/v1/feedback", json={**body, "label": "link_farm",
                                                  "spans": [{**spans[0], "end": text_length}]}, headers=crawler)
    finally:
        state.database_url = real_url
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_spans", resp.get_json()
    assert fits.status_code == 202


def _report(label: str, at: str) -> dict:
    return {"kind": "feedback", "page_id": "timed", "reporter": "crawler-1", "label": label, "note": "",
            "spans": [], "at": at, "item": None}


def test_a_replayed_report_keeps_the_time_it_was_sent(db_url):
    """A spooled report is written later; its created_at/updated_at are the record's ``at``, not the replay time."""
    from service.review.feedback_store import apply_feedback
    from service.storage.db import session_scope
    from service.storage.models import Feedback

    add_items(db_url, [verdict("timed")])
    with session_scope(db_url) as session:
        apply_feedback(session, _report("link_farm", "2026-01-02T03:04:05+00:00"))
    with session_scope(db_url) as session:
        row = session.scalar(select(Feedback))
        stamps = {(t if t.tzinfo else t.replace(tzinfo=UTC)) for t in (row.created_at, row.updated_at)}
    assert stamps == {datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}


def test_a_report_replayed_after_its_correction_leaves_the_correction_standing(db_url):
    """Spooled during the outage, then corrected once the database was back, then replayed: the later report holds."""
    from service.review.feedback_store import apply_feedback
    from service.storage.db import session_scope
    from service.storage.models import Feedback

    (item_id,) = add_items(db_url, [verdict("timed")])
    with session_scope(db_url) as session:
        apply_feedback(session, _report("not_spam", "2026-01-02T03:05:00+00:00"))  # the correction, written first
    with session_scope(db_url) as session:
        _, created = apply_feedback(session, _report("link_farm", "2026-01-02T03:04:05+00:00"))  # the replay
    with session_scope(db_url) as session:
        row = session.scalar(select(Feedback))
        assert (row.label, row.item_id, created) == ("not_spam", item_id, False)


def _reopened_after_alice(db_url):
    """Bob confirms, alice marks not spam, a client's report re-opens the page, and it is classified again with
    another text; returns (item id, alice's decision id)."""
    from service.review import decisions
    from service.review.feedback_store import apply_feedback
    from service.storage.db import session_scope

    (item_id,) = add_items(db_url, [verdict("ro", spans=[("injected_spam", INJECTED)])])
    with session_scope(db_url) as s:
        decisions.decide(s, item_id, 1, "confirm", "bob")
        alice = decisions.decide(s, item_id, 2, "not_spam", "alice").id
        apply_feedback(s, {"kind": "feedback", "page_id": "ro", "reporter": "crawler-1", "label": "injected_spam",
                           "note": ""})
    add_items(db_url, [verdict("ro", text="区政府召开常务会议。")])
    return item_id, alice


def test_undo_passes_over_a_decision_a_client_reopened_since(db_url):
    """The re-open was not counted: undo took alice's not_spam back to bob's confirm, on the new text, with a span
    past its end. Re-opened, the decision is no longer alice's to take back: nothing is left to undo."""
    from service.errors import ApiError
    from service.review import decisions
    from service.storage.db import session_scope
    from service.storage.models import ReviewItem

    item_id, _ = _reopened_after_alice(db_url)
    with session_scope(db_url) as s:
        with pytest.raises(ApiError) as caught:
            decisions.undo_last(s, "alice")
        assert caught.value.code == "nothing_to_undo"
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert (item.status, item.decision, item.text) == ("pending", None, "区政府召开常务会议。")


def test_a_revert_of_a_decision_a_client_reopened_since_is_refused(db_url):
    from service.errors import ApiError
    from service.review import decisions
    from service.storage.db import session_scope
    from service.storage.models import ReviewItem

    item_id, alice = _reopened_after_alice(db_url)
    with session_scope(db_url) as s:
        with pytest.raises(ApiError, match="re-opened by a client's report since") as caught:
            decisions.revert(s, alice, "alice")
        assert caught.value.status == 409
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert (item.status, item.version) == ("pending", 5)


def test_a_report_replayed_twice_does_not_reopen_a_decision_made_between(db_url):
    """The same spooled report written twice (a claimed file kept, or replayed by two workers) has the same ``at``:
    the second write used to count as newer and re-open the page a moderator had decided after the first."""
    from service.review import decisions
    from service.review.feedback_store import apply_feedback
    from service.review.store import now_iso
    from service.storage.db import session_scope
    from service.storage.models import ReviewItem

    (item_id,) = add_items(db_url, [verdict("twice", spans=[("injected_spam", INJECTED)])])
    with session_scope(db_url) as s:
        decisions.decide(s, item_id, 1, "confirm", "bob")
    rec = {"kind": "feedback", "page_id": "twice", "reporter": "crawler-1", "label": "not_spam", "note": "",
           "at": now_iso()}
    with session_scope(db_url) as s:
        assert apply_feedback(s, dict(rec))[1] is True  # re-opens bob's confirm (version 3)
    with session_scope(db_url) as s:
        decisions.decide(s, item_id, 3, "relabel", "alice", labels=["link_farm"])
    with session_scope(db_url) as s:
        assert apply_feedback(s, dict(rec))[1] is False
    with session_scope(db_url) as s:
        item = s.get(ReviewItem, item_id)
        assert (item.status, item.decided_by, item.final_labels, item.version) == (
            "decided", "alice", ["link_farm"], 4)
