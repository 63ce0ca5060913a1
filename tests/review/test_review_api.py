"""``/v1/review/*`` on SQLite and PostgreSQL: listing, decisions, 409 on a lost race, audit, stats."""

from __future__ import annotations

import json
import threading

import pytest

from tests.review.conftest import INJECTED, add_items, assert_documented, key_headers, make_app, verdict

OTHER = "澳门新葡京娱乐场官网,百家乐真人在线开户,北京赛车pk10计划网页版,时时彩平台注册送38元彩金"


def seed(url: str) -> list[int]:
    """Six items: a two-site campaign, unrelated spam, a link farm, a clean sample, an English page."""
    return add_items(url, [
        verdict("a", url="http://edu.a.cn/1", spans=[("injected_spam", INJECTED)],
                labels={"injected_spam": 0.80, "link_farm": 0.01, "fabricated_listicle": 0.01}),
        verdict("b", url="http://news.b.com/2", spans=[("injected_spam", INJECTED.replace("婷婷", "丁香"))],
                labels={"injected_spam": 0.60, "link_farm": 0.01, "fabricated_listicle": 0.01}, model_version="m2"),
        verdict("c", url="http://c.org/3", spans=[("injected_spam", OTHER)],
                labels={"injected_spam": 0.95, "link_farm": 0.01, "fabricated_listicle": 0.01},
                flags=["injected_spam"], action="strip"),
        verdict("d", url="http://d.cn/4", labels={"injected_spam": 0.01, "link_farm": 0.09,
                                                   "fabricated_listicle": 0.02}),
        verdict("e", url="http://e.cn/5", action="keep", labels={"injected_spam": 0.01, "link_farm": 0.01,
                                                                 "fabricated_listicle": 0.01}),
        verdict("f", url="http://f.com/6", text="Council approves the new budget for city schools.", language="en",
                labels={"injected_spam": 0.02, "link_farm": 0.01, "fabricated_listicle": 0.13}),
    ])


@pytest.fixture()
def seeded(review_app):
    return seed(review_app.extensions["pagesieve"].database_url)


@pytest.fixture(scope="module")
def ro(module_db, loaded_model):
    """A seeded app shared by the read-only tests: (client, moderator headers, item ids)."""
    url, tmp = module_db
    app = make_app(url, tmp, loaded_model)
    ids = seed(url)
    yield app.test_client(), key_headers(url, "moderator", "reader"), ids
    app.extensions["pagesieve_review"].close()


def ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.get_json()
    return [i["page_id"] for i in resp.get_json()["items"]]


def test_tokens_and_roles(rclient, crawler, seeded):
    assert rclient.get("/v1/review/items").status_code == 401
    resp = rclient.get("/v1/review/items", headers=crawler)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("query,expected", [
    ("", {"a", "b", "c", "d", "e", "f"}),
    ("label=injected_spam", {"a", "b", "c"}),
    ("label=link_farm", {"d"}),
    ("label=none", {"e"}),
    ("action=strip", {"c"}),
    ("site=news.b.com", {"b"}),
    ("language=en", {"f"}),
    ("language=EN", {"f"}),  # as site, the filter ignores case (it was 0 items)
    ("model_version=m2", {"b"}),
    ("score_min=0.5&score_max=0.9", {"a", "b"}),
    ("q=市委书记", {"a", "b", "c", "d", "e"}),
    ("q=COUNCIL budget", {"f"}),
    ("q=市%E2%80%8B委%C2%AD书记", {"a", "b", "c", "d", "e"}),  # a query pasted with zero-width characters
    ("q=100%", set()),
    ("date_from=2000-01-01&date_to=2999-12-31", {"a", "b", "c", "d", "e", "f"}),
    ("date_to=2000-01-01", set()),
])
def test_filters(ro, query, expected):
    rclient, mod, _ = ro
    assert set(ids(rclient.get(f"/v1/review/items?{query}", headers=mod))) == expected


def test_campaign_filter_and_campaign_sort(ro):
    rclient, mod, _ = ro
    items = {i["page_id"]: i for i in rclient.get("/v1/review/items", headers=mod).get_json()["items"]}
    campaign = items["a"]["campaign_id"]
    assert campaign and items["b"]["campaign_id"] == campaign and items["a"]["campaign_size"] == 2
    assert set(ids(rclient.get(f"/v1/review/items?campaign={campaign}", headers=mod))) == {"a", "b"}
    assert ids(rclient.get("/v1/review/items?sort=campaign", headers=mod))[:2] == ["a", "b"]


def test_uncertainty_sort_puts_the_closest_call_first(ro):
    rclient, mod, _ = ro
    order = ids(rclient.get("/v1/review/items?sort=uncertainty", headers=mod))
    # in log-odds, link_farm 0.09 against 0.10 is closer than injected_spam 0.80 against 0.84
    assert order[:3] == ["d", "f", "a"]  # f: fabricated 0.13 against 0.16
    assert order[-1] == "e"  # everything far below its threshold


def test_keyset_paging_forward_and_back(ro):
    rclient, mod, _ = ro
    seen, cursor, pages = [], None, []
    for sort in ("uncertainty", "newest", "campaign"):
        seen, cursor, pages = [], None, []
        while True:
            body = rclient.get(f"/v1/review/items?sort={sort}&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                               headers=mod).get_json()
            assert body["total"] == 6
            pages.append([i["page_id"] for i in body["items"]])
            seen += pages[-1]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert len(seen) == 6 == len(set(seen)) and len(pages) == 3
        back = rclient.get(f"/v1/review/items?sort={sort}&limit=2&cursor={body['prev_cursor']}",
                           headers=mod).get_json()
        assert [i["page_id"] for i in back["items"]] == pages[1]


def test_counts_per_filter(ro):
    rclient, mod, _ = ro
    counts = rclient.get("/v1/review/items?counts=1&label=injected_spam", headers=mod).get_json()["counts"]
    assert counts["label"] == {"injected_spam": 3, "link_farm": 1, "none": 1, "fabricated_listicle": 1}
    assert counts["action"] == {"review": 2, "strip": 1}
    assert counts["status"]["pending"] == 3 and counts["language"] == {"zh": 3}


@pytest.mark.parametrize("query,name", [
    ("label=spam", "label"), ("action=burn", "action"), ("score_min=abc", "score_min"), ("score_max=2", "score_max"),
    ("score_min=0.9&score_max=0.1", "score_min"), ("date_from=yesterday", "date_from"), ("campaign=0", "campaign"),
    ("sort=random", "sort"), ("cursor=bm9wZQ", "cursor"), ("limit=0", "limit"), ("limit=x", "limit"),
    ("status=open", "status"), ("source=rss", "source"), ("q=" + "x" * 201, "q"), ("score_min=nan", "score_min"),
    ("counts=-5", "counts"), ("counts=TRUE!", "counts"),  # was read as "no counts"
    ("date_from=2026-02-01&date_to=2026-01-01", "date_from"),  # was an empty 200, unlike score_min > score_max
])
def test_bad_parameters_get_a_400_naming_them(ro, query, name):
    rclient, mod, _ = ro
    resp = rclient.get(f"/v1/review/items?{query}", headers=mod)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_parameter" and resp.get_json()["error"]["field"] == name


def test_cursor_of_another_sort_is_refused(ro):
    rclient, mod, _ = ro
    cursor = rclient.get("/v1/review/items?limit=1&sort=newest", headers=mod).get_json()["next_cursor"]
    assert rclient.get(f"/v1/review/items?sort=uncertainty&cursor={cursor}", headers=mod).status_code == 400


def _item(rclient, mod, item_id):
    resp = rclient.get(f"/v1/review/items/{item_id}", headers=mod)
    assert resp.status_code == 200
    return resp.get_json()


def test_item_detail(ro):
    rclient, mod, seeded = ro
    item = _item(rclient, mod, seeded[0])
    assert item["version"] == 1 and item["spans"] and item["reasons"] and INJECTED in item["text"]
    assert [m["id"] for m in item["campaign"]["members"]] == [seeded[1]]
    assert rclient.get("/v1/review/items/999999", headers=mod).status_code == 404


def test_confirm_not_spam_relabel_skip(rclient, mod, seeded):
    a, b, c, d = seeded[:4]
    post = lambda i, body: rclient.post(f"/v1/review/items/{i}/decision", json=body, headers=mod)  # noqa: E731
    assert post(a, {"decision": "confirm", "version": 1}).status_code == 200
    assert _item(rclient, mod, a)["current_labels"] == ["injected_spam"]
    assert post(b, {"decision": "not_spam", "version": 1}).status_code == 200
    assert _item(rclient, mod, b)["current_spans"] == []
    text = _item(rclient, mod, c)["text"]
    resp = post(c, {"decision": "relabel", "version": 1, "spans": [{"start": 0, "end": 8, "label": "injected_spam"},
                                                                   {"start": 10, "end": len(text), "label":
                                                                    "link_farm"}]})
    assert resp.status_code == 200 and resp.get_json()["item"]["version"] == 2
    assert _item(rclient, mod, c)["current_labels"] == ["injected_spam", "link_farm"]
    resp = post(d, {"decision": "skip", "version": 1})
    assert resp.status_code == 200 and _item(rclient, mod, d)["status"] == "pending"
    decided = ids(rclient.get("/v1/review/items?status=decided", headers=mod))
    assert set(decided) == {"a", "b", "c"}
    audit = rclient.get("/v1/review/decisions", headers=mod).get_json()["decisions"]
    assert [x["decision"] for x in audit] == ["skip", "relabel", "not_spam", "confirm"]
    assert audit[-1]["moderator"] == "token:alice-tool" and audit[-1]["model_version"] == "m1"
    assert audit[-1]["old_labels"] == ["injected_spam"] and audit[-2]["new_labels"] == []


def test_search_covers_what_readme_and_the_api_document_say(review_app, rclient, mod):
    """The url and the first SEARCH_CHARS characters of the text, no further (README said "url and text")."""
    from service.config import REPO_ROOT
    from service.openapi import openapi_document
    from service.review.store import SEARCH_CHARS

    add_items(review_app.extensions["pagesieve"].database_url,
              [verdict("long", url="http://long.example.cn/p", text="开头独有词" + "。" * SEARCH_CHARS + "结尾独有词")])
    found = lambda q: ids(rclient.get(f"/v1/review/items?q={q}", headers=mod))  # noqa: E731
    assert (found("开头独有词"), found("long.example"), found("结尾独有词")) == (["long"], ["long"], [])
    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"normalised url and of the first {SEARCH_CHARS:,} characters of the normalised text" in readme
    (q,) = [p for p in openapi_document()["paths"]["/v1/review/items"]["get"]["parameters"] if p["name"] == "q"]
    assert f"first {SEARCH_CHARS:,} characters" in q["schema"]["description"]


def test_the_label_filter_of_decided_items_reads_the_final_labels(rclient, mod, seeded):
    """A decided item is listed, and counted, under the labels the moderator gave it, not the model's proposal
    (an item relabelled to link_farm was listed under injected_spam)."""
    a, b = seeded[:2]
    post = lambda i, body: rclient.post(f"/v1/review/items/{i}/decision", json=body, headers=mod)  # noqa: E731
    assert post(a, {"decision": "relabel", "version": 1, "labels": ["link_farm"]}).status_code == 200
    assert post(b, {"decision": "not_spam", "version": 1}).status_code == 200
    decided = lambda label: set(ids(rclient.get(f"/v1/review/items?status=decided&label={label}",  # noqa: E731
                                                headers=mod)))
    assert (decided("link_farm"), decided("injected_spam"), decided("none")) == ({"a"}, set(), {"b"})
    assert set(ids(rclient.get("/v1/review/items?status=all&label=injected_spam", headers=mod))) == {"c"}
    counts = rclient.get("/v1/review/items?status=decided&counts=1", headers=mod).get_json()["counts"]
    assert counts["label"] == {"link_farm": 1, "none": 1}


@pytest.mark.parametrize("body,code,field", [
    ({"version": 1}, "invalid_decision", "decision"),
    ({"decision": "confirm"}, "invalid_decision", "version"),
    ({"decision": "burn", "version": 1}, "invalid_decision", "decision"),
    ({"decision": "confirm", "version": "1"}, "invalid_decision", "version"),
    ({"decision": "relabel", "version": 1}, "invalid_decision", "labels"),
    ({"decision": "relabel", "version": 1, "labels": ["porn"]}, "invalid_decision", "labels"),
    ({"decision": "relabel", "version": 1, "labels": "injected_spam"}, "invalid_decision", "labels"),
    ({"decision": "relabel", "version": 1, "spans": [{"start": 5, "end": 2, "label": "link_farm"}]},
     "invalid_decision", "spans"),
    ({"decision": "relabel", "version": 1, "spans": [{"start": 0, "end": 10**6, "label": "link_farm"}]},
     "invalid_decision", "spans"),
    ({"decision": "relabel", "version": 1, "spans": [{"start": 0, "end": 5, "label": "spam"}]},
     "invalid_decision", "spans"),
    ({"decision": "relabel", "version": 1, "spans": [{"start": 0, "end": 5, "label": "link_farm"},
                                                      {"start": 3, "end": 8, "label": "content"}]},
     "invalid_decision", "spans"),
    ({"decision": "confirm", "version": 1, "colour": "red"}, "unknown_field", "colour"),
    # a version past the Integer column's range is a 400, not a database overflow (500)
    ({"decision": "confirm", "version": 2**31}, "invalid_decision", "version"),
    ({"decision": "confirm", "version": 10**30}, "invalid_decision", "version"),
    ({"decision": "confirm", "version": -1}, "invalid_decision", "version"),
    ({"decision": "confirm", "version": 1, "note": 5}, "invalid_decision", "note"),
    ({"decision": "confirm", "version": 1.5}, "invalid_decision", "version"),
    # labels or spans with another decision would be ignored: refused instead
    ({"decision": "confirm", "version": 1, "labels": ["link_farm"]}, "invalid_decision", "labels"),
    ({"decision": "not_spam", "version": 1, "spans": []}, "invalid_decision", "spans"),
    ({"decision": "skip", "version": 1, "labels": []}, "invalid_decision", "labels"),
    ({"decision": "confirm", "version": True}, "invalid_decision", "version"),
    ({"decision": "relabel", "version": 1, "spans": [{"start": 0.5, "end": 5, "label": "link_farm"}]},
     "invalid_decision", "spans"),
    # page labels that contradict the spans: a "clean" page with an injected block, a link farm's injected span
    ({"decision": "relabel", "version": 1, "labels": [], "spans": [{"start": 0, "end": 8, "label": "injected_spam"}]},
     "invalid_decision", "spans"),
    ({"decision": "relabel", "version": 1, "labels": ["link_farm"],
      "spans": [{"start": 0, "end": 8, "label": "injected_spam"}]}, "invalid_decision", "spans"),
    # an unpaired surrogate (JSON allows "\ud800", UTF-8 cannot store it) was a 500
    ({"decision": "skip", "version": 1, "note": "\ud800"}, "invalid_text", "note"),
])
def test_bad_decisions_get_a_400(ro, body, code, field):
    rclient, mod, seeded = ro
    # json.dumps escapes a lone surrogate as JSON may (the test client's own encoder would fail on it)
    resp = rclient.post(f"/v1/review/items/{seeded[0]}/decision", data=json.dumps(body),
                        content_type="application/json", headers=mod)
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["code"] == code and resp.get_json()["error"].get("field") == field


def test_a_span_whose_label_the_page_labels_lack_is_named(ro):
    rclient, mod, seeded = ro
    resp = rclient.post(f"/v1/review/items/{seeded[0]}/decision", headers=mod, json={
        "decision": "relabel", "version": 1, "labels": [], "spans": [{"start": 5, "end": 9, "label": "injected_spam"}]})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["message"].startswith("span 5-9 is injected_spam but the page labels [] lack "
                                                          "injected_spam: add it to 'labels'")


def test_integers_written_as_floats_are_integers(rclient, mod, seeded):
    """JSON Schema calls 1.0 an integer, and some JSON libraries write every number so."""
    resp = rclient.post(f"/v1/review/items/{seeded[0]}/decision", headers=mod, json={
        "decision": "relabel", "version": 1.0, "spans": [{"start": 0.0, "end": 8.0, "label": "injected_spam"}]})
    assert resp.status_code == 200, resp.get_json()
    item = _item(rclient, mod, seeded[0])
    assert item["version"] == 2 and item["current_spans"] == [{"start": 0, "end": 8, "label": "injected_spam"}]
    assert all(type(v) is int for v in (item["current_spans"][0]["start"], item["current_spans"][0]["end"]))


def test_decision_on_a_missing_item_and_bad_json(rclient, mod, seeded):
    assert rclient.post("/v1/review/items/999999/decision", json={"decision": "confirm", "version": 1},
                        headers=mod).status_code == 404
    resp = rclient.post(f"/v1/review/items/{seeded[0]}/decision", data="{", content_type="application/json",
                        headers=mod)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"
    resp = rclient.post(f"/v1/review/items/{seeded[0]}/decision", json=[1], headers=mod)
    assert resp.status_code == 400


@pytest.mark.parametrize("method, path", [
    ("get", "/v1/review/items/{}"), ("post", "/v1/review/items/{}/decision"),
    ("post", "/v1/review/campaigns/{}/decision"), ("post", "/v1/review/decisions/{}/revert"),
])
@pytest.mark.parametrize("row_id", [2**31, 2**63, 10**30])
def test_ids_past_the_column_range_are_not_found(ro, method, path, row_id):
    """An id no Integer column can hold names no row: 404, where the database driver would overflow (500)."""
    rclient, mod, _ = ro
    resp = getattr(rclient, method)(path.format(row_id), json={"decision": "confirm", "version": 1}, headers=mod)
    assert resp.status_code == 404, resp.get_data(as_text=True)
    assert resp.get_json()["error"] == {"code": "not_found",
                                        "message": f"no row has id {row_id}: ids run from 0 to 2147483647"}


@pytest.mark.parametrize("row_id", ["１", "٣", "1٣"])
def test_ids_in_other_digits_are_not_found(ro, row_id):
    """A path id in another script's digits named the row of their value (/v1/review/items/١ was item 1)."""
    rclient, mod, _ = ro
    resp = rclient.get(f"/v1/review/items/{row_id}", headers=mod)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["item=2147483648", "before=99999999999999999999", "limit=0", "item=-1"])
def test_audit_parameters_past_their_range_get_a_400(ro, query):
    rclient, mod, _ = ro
    resp = rclient.get(f"/v1/review/decisions?{query}", headers=mod)
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == query.split("=")[0]


def test_later_of_two_moderators_gets_409_and_the_audit_keeps_both(rclient, mod, mod2, seeded):
    item = seeded[0]
    v1 = _item(rclient, mod, item)["version"]
    v2 = _item(rclient, mod2, item)["version"]
    first = rclient.post(f"/v1/review/items/{item}/decision", json={"decision": "confirm", "version": v1},
                         headers=mod)
    second = rclient.post(f"/v1/review/items/{item}/decision", json={"decision": "not_spam", "version": v2},
                          headers=mod2)
    assert first.status_code == 200 and second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "conflict" and "token:alice-tool" in error["message"]
    assert error["current"]["decided_by"] == "token:alice-tool" and error["current"]["version"] == 2
    trail = rclient.get(f"/v1/review/decisions?item={item}", headers=mod).get_json()["decisions"]
    assert {(d["moderator"], d["decision"], d["status"]) for d in trail} == {
        ("token:alice-tool", "confirm", "applied"), ("token:bob-tool", "not_spam", "rejected")}
    assert _item(rclient, mod, item)["current_labels"] == ["injected_spam"]


def test_simultaneous_decisions_from_two_threads(review_app, mod, mod2, seeded):
    """Both moderators press at the same moment: exactly one wins, nothing is lost from the audit."""
    item, barrier, results = seeded[2], threading.Barrier(2), {}

    def press(name, headers, decision):
        client = review_app.test_client()
        barrier.wait()
        results[name] = client.post(f"/v1/review/items/{item}/decision", json={"decision": decision, "version": 1},
                                    headers=headers).status_code

    threads = [threading.Thread(target=press, args=("alice", mod, "confirm")),
               threading.Thread(target=press, args=("bob", mod2, "not_spam"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [200, 409]
    trail = review_app.test_client().get(f"/v1/review/decisions?item={item}", headers=mod).get_json()["decisions"]
    assert sorted(d["status"] for d in trail) == ["applied", "rejected"]


def test_campaign_decision_settles_every_pending_member(rclient, mod, seeded):
    campaign = _item(rclient, mod, seeded[0])["campaign_id"]
    refused = rclient.post(f"/v1/review/campaigns/{campaign}/decision", headers=mod,
                           json={"decision": "confirm", "labels": [{}]})  # would be ignored: refused, nothing decided
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "labels"
    assert sorted(ids(rclient.get(f"/v1/review/items?campaign={campaign}", headers=mod))) == ["a", "b"]
    resp = rclient.post(f"/v1/review/campaigns/{campaign}/decision", json={"decision": "confirm"}, headers=mod)
    assert resp.status_code == 200 and sorted(resp.get_json()["applied"]) == sorted(seeded[:2])
    assert ids(rclient.get(f"/v1/review/items?campaign={campaign}", headers=mod)) == []
    assert rclient.post("/v1/review/campaigns/999999/decision", json={"decision": "confirm"},
                        headers=mod).status_code == 404
    assert rclient.post(f"/v1/review/campaigns/{campaign}/decision", json={"decision": "skip"},
                        headers=mod).status_code == 400
    # nothing is pending now: malformed labels are refused all the same (they were never looked at)
    for body in ({"decision": "relabel", "labels": 7}, {"decision": "relabel", "labels": ["spam"]},
                 {"decision": "confirm", "labels": -1}):
        resp = rclient.post(f"/v1/review/campaigns/{campaign}/decision", json=body, headers=mod)
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "labels", body


def test_campaign_0_is_no_campaign(rclient, mod, seeded):
    """An item in no campaign has campaign_id 0: a decision on "campaign 0" confirmed every such item."""
    alone = [i for i in seeded if _item(rclient, mod, i)["campaign_id"] == 0]
    assert alone, "the seed has items in no campaign"
    resp = rclient.post("/v1/review/campaigns/0/decision", json={"decision": "confirm"}, headers=mod)
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert all(_item(rclient, mod, i)["status"] == "pending" for i in alone)


def test_revert_returns_the_item_to_its_previous_state(rclient, mod, seeded):
    item = seeded[0]
    first = rclient.post(f"/v1/review/items/{item}/decision", json={"decision": "not_spam", "version": 1},
                         headers=mod).get_json()["decision"]["id"]
    second = rclient.post(f"/v1/review/items/{item}/decision", json={"decision": "confirm", "version": 2},
                          headers=mod).get_json()["decision"]["id"]
    assert rclient.post(f"/v1/review/decisions/{first}/revert", headers=mod).status_code == 409  # not the latest
    assert rclient.post(f"/v1/review/decisions/{second}/revert", headers=mod).status_code == 200
    assert _item(rclient, mod, item)["current_labels"] == []  # back to the not_spam decision
    assert rclient.post(f"/v1/review/decisions/{first}/revert", headers=mod).status_code == 200
    detail = _item(rclient, mod, item)
    assert detail["status"] == "pending" and detail["version"] == 5
    assert rclient.post(f"/v1/review/decisions/{first}/revert", headers=mod).status_code == 409
    assert rclient.post("/v1/review/decisions/999999/revert", headers=mod).status_code == 404


def test_stats_show_agreement_per_label_and_backlog(rclient, mod, seeded):
    c = seeded[2]  # flagged injected_spam by the model
    rclient.post(f"/v1/review/items/{c}/decision", json={"decision": "confirm", "version": 1}, headers=mod)
    rclient.post(f"/v1/review/items/{seeded[0]}/decision", json={"decision": "not_spam", "version": 1}, headers=mod)
    body = rclient.get("/v1/review/stats", headers=mod).get_json()
    spam = body["agreement"]["injected_spam"]
    assert spam["flagged"] == 1 and spam["precision"] == 1.0 and spam["proposal_precision"] == 0.5
    assert body["backlog"]["pending"] == 4 and body["backlog"]["decided"] == 2
    assert sum(body["per_day"][max(body["per_day"])].values()) == 2
    assert rclient.get("/v1/review/stats?days=0", headers=mod).status_code == 400


def test_decisions_per_day_count_those_in_force(rclient, mod, seeded):
    """Per day counted reverted decisions and the reverts too (3 confirms, one reverted: 3 confirm + 1 revert)."""
    decided = [rclient.post(f"/v1/review/items/{i}/decision", json={"decision": "confirm", "version": 1},
                            headers=mod).get_json()["decision"]["id"] for i in seeded[:3]]
    assert rclient.post(f"/v1/review/decisions/{decided[0]}/revert", headers=mod).status_code == 200
    body = rclient.get("/v1/review/stats", headers=mod).get_json()
    assert list(body["per_day"].values()) == [{"confirm": 2}]
    assert body["per_moderator"]["token:alice-tool"] == {"confirm": 3, "revert": 1}


def test_a_conflict_on_a_pending_item_says_what_changed(rclient, mod, seeded, review_app):
    """A pending item whose verdict a new classification refreshed answered "was decided (re-opened)"."""
    url = review_app.extensions["pagesieve"].database_url
    add_items(url, [verdict("d", url="http://d.cn/4", model_version="m9",
                            labels={"injected_spam": 0.01, "link_farm": 0.08, "fabricated_listicle": 0.02})])
    stale = rclient.post(f"/v1/review/items/{seeded[3]}/decision", json={"decision": "confirm", "version": 1},
                         headers=mod)
    message = stale.get_json()["error"]["message"]
    assert stale.status_code == 409 and "was classified again" in message and "model version m9" in message
    assert "decided" not in message and "re-opened" not in message
    applied = rclient.post(f"/v1/review/items/{seeded[4]}/decision", json={"decision": "confirm", "version": 1},
                           headers=mod).get_json()["decision"]["id"]
    rclient.post(f"/v1/review/decisions/{applied}/revert", headers=mod)
    late = rclient.post(f"/v1/review/items/{seeded[4]}/decision", json={"decision": "skip", "version": 1},
                        headers=mod).get_json()["error"]["message"]
    assert "was decided, then reverted to pending by token:alice-tool" in late

def test_every_review_answer_matches_its_documented_schema(rclient, mod, seeded):
    """No 2xx of the review API had a body schema, so the fuzz test's body check could catch nothing there."""
    a, b = seeded[:2]
    assert_documented(rclient.get("/v1/review/items?status=all&counts=1", headers=mod), "/v1/review/items", "get")
    decided = rclient.post(f"/v1/review/items/{a}/decision", json={"decision": "confirm", "version": 1},
                           headers=mod)
    assert_documented(decided, "/v1/review/items/{item_id}/decision", "post")
    campaign = _item(rclient, mod, b)["campaign_id"]
    bulk = rclient.post(f"/v1/review/campaigns/{campaign}/decision", json={"decision": "not_spam"}, headers=mod)
    assert_documented(bulk, "/v1/review/campaigns/{campaign_id}/decision", "post")
    assert_documented(rclient.get(f"/v1/review/items/{a}", headers=mod), "/v1/review/items/{item_id}", "get")
    assert_documented(rclient.get("/v1/review/decisions", headers=mod), "/v1/review/decisions", "get")
    reverted = rclient.post(f"/v1/review/decisions/{decided.get_json()['decision']['id']}/revert", headers=mod)
    assert_documented(reverted, "/v1/review/decisions/{decision_id}/revert", "post")
    assert_documented(rclient.get("/v1/review/stats", headers=mod), "/v1/review/stats", "get")


def test_the_document_gives_every_success_a_body_and_lists_the_503s():
    from service.openapi import openapi_document
    from service.review.openapi_paths import REVIEW_PATHS

    document = openapi_document()
    for path in REVIEW_PATHS:
        for method, operation in document["paths"][path].items():
            answers = operation["responses"]
            for status in (s for s in answers if s.startswith("2")):
                assert "schema" in answers[status].get("content", {}).get("application/json", {}), (path, status)
            assert "503" in answers, (path, method)  # database_unavailable, auth_unavailable


@pytest.mark.parametrize("body,code", [({"bogus": 1}, "unknown_field"), ([1], "invalid_body")])
def test_revert_refuses_a_body_it_would_ignore(rclient, mod, seeded, body, code):
    """Revert takes no fields; {"bogus": 1} was a 200 that ignored it."""
    decided = rclient.post(f"/v1/review/items/{seeded[0]}/decision", json={"decision": "confirm", "version": 1},
                           headers=mod).get_json()["decision"]["id"]
    resp = rclient.post(f"/v1/review/decisions/{decided}/revert", json=body, headers=mod)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == code
    assert rclient.post(f"/v1/review/decisions/{decided}/revert", json={}, headers=mod).status_code == 200
