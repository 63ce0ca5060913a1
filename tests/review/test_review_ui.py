"""The /review pages without a browser: login, CSRF, security headers, escaping, CLI accounts."""

from __future__ import annotations

import io
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from service.review.accounts import set_password
from service.storage.db import session_scope
from service.storage.models import ReviewItem
from tests.review.conftest import INJECTED, add_items, inline_verdict, verdict

XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture()
def ui(tmp_path, loaded_model):
    from tests.review.conftest import make_app

    url = f"sqlite:///{tmp_path / 'ui.db'}"
    app = make_app(url, tmp_path, loaded_model)
    with session_scope(url) as s:
        set_password(s, "alice", "correct horse", create=True)
    ids = add_items(url, [verdict("x1", spans=[("injected_spam", INJECTED + XSS)], url="http://a.cn/<b>"),
                          verdict("x2", spans=[("injected_spam", INJECTED)], url="http://b.cn/2")])
    yield app, ids
    app.extensions["pagesieve_review"].close()


def csrf(client) -> str:
    client.get("/review/login")
    with client.session_transaction() as sess:
        return sess["csrf"]


def login(client, user="alice", password="correct horse"):
    return client.post("/review/login", data={"username": user, "password": password, "csrf_token": csrf(client)})


def test_pages_need_a_login(ui):
    app, ids = ui
    client = app.test_client()
    for path in ("/review", f"/review/items/{ids[0]}", "/review/audit", "/review/stats"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/review/login" in resp.headers["Location"]


def test_login_logout_and_cookie_flags(ui):
    app, _ = ui
    client = app.test_client()
    resp = login(client)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/review/")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/review").status_code == 200
    client.post("/review/logout", data={"csrf_token": csrf(client)})
    assert client.get("/review").status_code == 302


def test_a_session_copied_before_a_logout_is_over_with_it(ui):
    """The session is a signed cookie: clearing it on logout left a copy of it valid (replayed, it still read
    and decided), and a disabled account's copy came back to life when the account was enabled."""
    from service.review.accounts import set_active
    from service.storage.db import session_scope

    app, ids = ui
    client = app.test_client()
    login(client)
    kept = client.get_cookie("pagesieve_session").value
    token = csrf(client)
    client.post("/review/logout", data={"csrf_token": token})
    replay = app.test_client()
    replay.set_cookie("pagesieve_session", kept)
    assert replay.get("/review").status_code == 302
    login(client)  # a new session works, and ends with the account disabled, for good
    kept = client.get_cookie("pagesieve_session").value
    url = app.extensions["pagesieve"].database_url
    for active in (False, True):
        with session_scope(url) as s:
            set_active(s, "alice", active)
    replay.set_cookie("pagesieve_session", kept)
    assert replay.get("/review").status_code == 302
    assert login(app.test_client()).status_code == 302  # and the account logs in again


def test_wrong_password_then_throttled(ui):
    app, _ = ui
    client = app.test_client()
    assert login(client, "alice", "nope").status_code == 401
    assert login(client, "nobody", "nope").status_code == 401
    for _ in range(5):
        login(client, "mallory", "guess")
    assert login(client, "mallory", "guess").status_code == 429


def test_post_without_or_with_a_wrong_csrf_token_is_refused(ui):
    app, ids = ui
    client = app.test_client()
    login(client)
    for data in ({"decision": "confirm", "version": "1"}, {"decision": "confirm", "version": "1", "csrf_token": "x"}):
        resp = client.post(f"/review/items/{ids[0]}/decision", data=data)
        assert resp.status_code == 400 and b"security token" in resp.data
    assert client.post("/review/login", data={"username": "alice", "password": "correct horse"}).status_code == 400
    detail = client.get(f"/review/items/{ids[0]}")
    assert b'data-status="pending"' in detail.data


def test_no_open_redirect_after_login(ui):
    app, _ = ui
    client = app.test_client()
    token = csrf(client)
    resp = client.post("/review/login?next=//evil.example/x", data={"username": "alice", "password": "correct horse",
                                                                     "csrf_token": token})
    assert resp.headers["Location"].endswith("/review/")


def test_item_page_escapes_page_text_and_html_and_sets_a_strict_csp(ui):
    app, ids = ui
    client = app.test_client()
    login(client)
    resp = client.get(f"/review/items/{ids[0]}")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    body = resp.get_data(as_text=True)
    assert "<script>window.__pwned" not in body and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in body
    assert 'onerror="window' not in body and "http://a.cn/&lt;b&gt;" in body
    assert body.count("<script") == 1  # only review.js


def test_decide_from_the_form_moves_to_the_next_item(ui):
    app, ids = ui
    client = app.test_client()
    login(client)
    resp = client.post(f"/review/items/{ids[0]}/decision", data={"decision": "confirm", "version": "1",
                                                                  "csrf_token": csrf(client), "sort": "uncertainty"})
    assert resp.status_code == 302 and f"/review/items/{ids[1]}" in resp.headers["Location"]
    again = client.post(f"/review/items/{ids[0]}/decision", data={"decision": "not_spam", "version": "1",
                                                                   "csrf_token": csrf(client)})
    assert again.status_code == 302 and f"/review/items/{ids[0]}" in again.headers["Location"]
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "was decided by alice" in page


def test_confirm_stores_what_an_untouched_relabel_form_does(ui):
    """The same intent gave two examples: a relabel form sent as loaded kept the model's boilerplate and inline
    spans, confirm (the API's and the form's) dropped them."""
    app, _ = ui
    url = app.extensions["pagesieve"].database_url
    ids = add_items(url, [inline_verdict("f1", url="http://f.cn/1"), inline_verdict("f2", url="http://f.cn/2")])
    client = app.test_client()
    login(client)
    client.post(f"/review/items/{ids[0]}/decision", data={"decision": "confirm", "version": "1",
                                                           "csrf_token": csrf(client)})
    with session_scope(url) as s:
        n_spans = len(s.get(ReviewItem, ids[1]).verdict["spans"])
    untouched = {"decision": "relabel", "version": "1", "labels_sent": "1", "labels": "injected_spam",
                 "csrf_token": csrf(client), **{f"span_{i}": label for i, label in
                                                enumerate(["boilerplate", "injected_spam", "injected_spam"])}}
    assert n_spans == 3
    client.post(f"/review/items/{ids[1]}/decision", data=untouched)
    with session_scope(url) as s:
        confirmed, relabelled = (s.get(ReviewItem, i) for i in ids)
        assert confirmed.final_labels == relabelled.final_labels == ["injected_spam"]
        assert confirmed.final_spans == relabelled.final_spans
        assert [x["label"] for x in confirmed.final_spans] == ["boilerplate", "injected_spam", "injected_spam"]


def test_a_relabel_form_that_unticks_a_label_turns_its_untouched_spans_into_content(ui):
    """Relabelled link_farm with every select left at the model's injected_spam, the page was stored as
    ['link_farm'] with injected_spam spans; a span the moderator marks must have its label ticked."""
    app, _ = ui
    url = app.extensions["pagesieve"].database_url
    ids = add_items(url, [inline_verdict("g1", url="http://g.cn/1"), inline_verdict("g2", url="http://g.cn/2")])
    client = app.test_client()
    login(client)
    form = {"decision": "relabel", "version": "1", "labels_sent": "1", "labels": "link_farm",
            "span_0": "boilerplate", "span_1": "injected_spam", "span_2": "injected_spam"}
    assert client.post(f"/review/items/{ids[0]}/decision", data={**form, "csrf_token": csrf(client)}).status_code \
        == 302
    with session_scope(url) as s:
        item = s.get(ReviewItem, ids[0])
        assert item.final_labels == ["link_farm"] and [x["label"] for x in item.final_spans] == ["boilerplate"]
    marked = {**form, "add_span": "20:30:injected_spam", "csrf_token": csrf(client)}
    resp = client.post(f"/review/items/{ids[1]}/decision", data=marked)
    assert resp.status_code == 400 and b"span 20-30 is injected_spam but the page labels" in resp.data
    with session_scope(url) as s:
        assert s.get(ReviewItem, ids[1]).status == "pending"


@pytest.mark.parametrize("path,data", [
    ("/review/items/{id}/decision", {"decision": "confirm"}),
    ("/review/items/{id}/decision", {"decision": "burn", "version": "1"}),
    ("/review/bulk", {"decision": "confirm"}),
    ("/review/bulk", {"decision": "confirm", "selected": "1-1"}),
    ("/review/bulk", {"decision": "drop", "selected": "1:1"}),
    ("/review/campaigns/1/decision", {"decision": "skip"}),
    ("/review/items/{id}/decision", {"decision": "relabel", "version": "1", "add_span": "5-9"}),
    ("/review/items/{id}/decision", {"decision": "confirm", "version": "99999999999"}),
    ("/review/bulk", {"decision": "confirm", "selected": "{id}:99999999999"}),
    # an item id no row can have (it read as "changed meanwhile ... by no review item")
    ("/review/bulk", {"decision": "confirm", "selected": "99999999999:1"}),
    ("/review/bulk", {"decision": "confirm", "selected": "-5:1"}),
    # a relabel with no label ticked relabelled the pages clean, where the API refuses it
    ("/review/bulk", {"decision": "relabel", "selected": "{id}:1"}),
    ("/review/campaigns/1/decision", {"decision": "relabel"}),
])
def test_bad_forms_get_a_400_page(ui, path, data):
    app, ids = ui
    client = app.test_client()
    login(client)
    data = {k: v.format(id=ids[0]) for k, v in data.items()}
    resp = client.post(path.format(id=ids[0]), data={**data, "csrf_token": csrf(client)})
    assert resp.status_code == 400 and b"<h1>400" in resp.data


def test_bad_list_parameters_get_a_400_page(ui):
    app, _ = ui
    client = app.test_client()
    login(client)
    assert client.get("/review?score_min=x").status_code == 400
    assert client.get("/review/audit?item=x").status_code == 400
    assert client.get("/review/audit?item=\u00b2").status_code == 400  # a digit to str.isdigit, not to int()
    assert client.get("/review/audit?before=99999999999").status_code == 400
    assert client.get("/review/items/999999").status_code == 404
    assert client.get("/review/items/99999999999").status_code == 404  # past the id column's range


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/review/items/99999999999", 404),  # refused by the path converter, before any /review route runs
    ("GET", "/review/no-such-page", 404),
    ("GET", "/review/items/abc", 404),
    ("DELETE", "/review/audit", 405),
])
def test_errors_before_a_review_route_matches_are_the_ui_page_not_json(ui, method, path, status):
    """A moderator's browser gets the UI's error page, with the UI's strict headers; the API keeps JSON."""
    app, _ = ui
    client = app.test_client()
    login(client)
    resp = client.open(path, method=method)
    assert resp.status_code == status and resp.mimetype == "text/html"
    assert f"<h1>{status}".encode() in resp.data and b"Back to the queue" in resp.data
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert resp.headers["X-Frame-Options"] == "DENY"
    if status == 405:
        assert resp.headers["Allow"] == "GET, HEAD, OPTIONS"
    api = client.get("/v1/review/items/99999999999")
    assert api.status_code == 404 and api.mimetype == "application/json"


def test_audit_and_stats_render(ui):
    app, ids = ui
    client = app.test_client()
    login(client)
    client.post(f"/review/items/{ids[0]}/decision", data={"decision": "confirm", "version": "1",
                                                          "csrf_token": csrf(client)})
    audit = client.get("/review/audit").get_data(as_text=True)
    assert "alice" in audit and "revert" in audit
    stats = client.get("/review/stats").get_data(as_text=True)
    assert "1 pending" in stats and "injected_spam" in stats


def test_create_moderator_cli(tmp_path, monkeypatch):
    from service.review import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    assert cli.create_moderator_main(["bob"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("other\n"))
    assert cli.create_moderator_main(["bob"]) == 2  # exists
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert cli.create_moderator_main(["carol"]) == 2  # empty password
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
    assert cli.create_moderator_main(["bad name!"]) == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("pa\udcffss\n"))  # a byte not in UTF-8, as Python reads it
    assert cli.create_moderator_main(["dave"]) == 2  # was a UnicodeEncodeError traceback from the hash
    monkeypatch.setattr(sys, "stdin", io.StringIO("new pass\n"))
    assert cli.create_moderator_main(["bob", "--reset"]) == 0
    from service.review.accounts import check_login

    assert check_login(url, "bob", "new pass") and not check_login(url, "bob", "s3cret pass")


def test_a_password_reset_or_a_disabled_account_ends_open_sessions(ui, monkeypatch, capsys):
    """A session is bound to the account being active and to the password it was made with: a stolen session
    cookie stops working when the password is reset or the account disabled."""
    from service.review import cli

    app, _ = ui
    monkeypatch.setenv("DATABASE_URL", app.extensions["pagesieve"].database_url)
    old, other = app.test_client(), app.test_client()
    login(old)
    assert old.get("/review").status_code == 200
    monkeypatch.setattr(sys, "stdin", io.StringIO("a new horse\n"))
    assert cli.create_moderator_main(["alice", "--reset"]) == 0
    assert old.get("/review").status_code == 302  # the old password's session is over
    assert login(other, password="a new horse").status_code == 302 and other.get("/review").status_code == 200
    assert cli.disable_moderator_main(["alice"]) == 0
    assert other.get("/review").status_code == 302  # ends at the next request
    assert login(other, password="a new horse").status_code == 401  # and no new one
    capsys.readouterr()
    assert cli.list_moderators_main([]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0] == "name\tcreated\tstatus" and listing[1].startswith("alice\t")
    assert listing[1].endswith("\tdisabled")
    assert cli.enable_moderator_main(["alice"]) == 0
    assert login(other, password="a new horse").status_code == 302 and other.get("/review").status_code == 200
    assert cli.disable_moderator_main(["nobody"]) == 2


def test_create_moderator_through_python_m_service(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "PATH": "/usr/bin:/bin"}
    # a password with characters no salt or hex digest holds: "pw" appeared in a random salt now and then
    run = subprocess.run([sys.executable, "-m", "service", "create-moderator", "dana"], input="p w!\n", text=True,
                         capture_output=True, env=env)
    assert run.returncode == 0 and "created" in run.stdout
    with session_scope(env["DATABASE_URL"]) as s:
        from sqlalchemy import select

        from service.storage.models import Moderator

        row = s.scalar(select(Moderator).where(Moderator.username == "dana"))
        assert row.password_hash.startswith(("scrypt:", "pbkdf2:")) and "p w!" not in row.password_hash


def test_a_decision_sent_after_the_session_ended_goes_to_the_login_and_back_to_its_page(ui):
    """Logged out in another tab, a decision got a CSRF error page; after a password reset, the login sent the
    browser on to the decision's POST-only address with GET (405). Both now return to the item's page."""
    app, ids = ui
    client = app.test_client()
    login(client)
    token = csrf(client)
    item_page = f"/review/items/{ids[0]}?status=pending&sort=newest"
    other_tab = app.test_client()
    other_tab.set_cookie("pagesieve_session", client.get_cookie("pagesieve_session").value)
    other_tab.post("/review/logout", data={"csrf_token": token})
    client.delete_cookie("pagesieve_session")  # the browser's one cookie, cleared by the other tab's logout
    resp = client.post(f"/review/items/{ids[0]}/decision", data={"decision": "confirm", "version": 1,
                                                                 "csrf_token": token},
                       headers={"Referer": f"http://localhost{item_page}"})
    assert resp.status_code == 302 and _next_of(resp) == item_page
    login_page = client.get(resp.headers["Location"])
    assert login_page.status_code == 200
    with session_scope(app.extensions["pagesieve"].database_url) as s:
        assert s.get(ReviewItem, ids[0]).status == "pending"  # nothing was decided
    forged = client.post(f"/review/items/{ids[0]}/decision", data={"decision": "confirm", "version": 1},
                         headers={"Referer": "http://evil.example/review/x"})
    assert _next_of(forged) == "/review/"  # a page of another site is not followed


def _next_of(resp) -> str:
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/review/login"
    return parse_qs(location.query)["next"][0]


def test_bidirectional_controls_in_a_url_or_note_are_shown_not_obeyed(ui):
    """An override (U+202E) made http://rtl.example/\u202egnp.exe read as .../exe.png."""
    app, _ = ui
    [item_id] = add_items(app.extensions["pagesieve"].database_url,
                          [verdict("rtl", url="http://rtl.example/\u202egnp.exe", spans=[("injected_spam", INJECTED)])])
    client = app.test_client()
    login(client)
    html = client.get(f"/review/items/{item_id}").get_data(as_text=True)
    assert "http://rtl.example/[U+202E]gnp.exe" in html and "\u202e" not in html
    listing = client.get("/review").get_data(as_text=True)
    assert 'title="http://rtl.example/[U+202E]gnp.exe"' in listing


def test_undo_with_nothing_to_undo_says_so_on_the_list(ui):
    """u on the list (or the item) with no decision of mine left gave a full 409 error page."""
    app, _ = ui
    client = app.test_client()
    login(client)
    resp = client.post("/review/undo", data={"csrf_token": csrf(client), "status": "pending"})
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/review/"
    assert "status=pending" in resp.headers["Location"]
    assert "nothing to undo" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_undo_of_a_bulk_someone_decided_into_reverts_the_rest_and_names_the_item(ui):
    """Bob decided one item of alice's bulk: undo reverted the items after it, then stopped at it with a 409
    error page (half the bulk undone), and every later undo stopped there again."""
    from service.review import decisions as dec

    app, ids = ui
    url = app.extensions["pagesieve"].database_url
    ids = ids + add_items(url, [verdict("x3", spans=[("injected_spam", INJECTED)], url="http://c.cn/3")])
    with session_scope(url) as s:
        dec.decide(s, ids[0], 1, "not_spam", "alice")  # her decision before the bulk
    with session_scope(url) as s:
        bulk = dec.decide_many(s, [(i, 1) for i in ids[1:]] + [(ids[0], 2)], "confirm", "alice")
        assert sorted(bulk.applied) == sorted(ids)
    with session_scope(url) as s:
        dec.decide(s, ids[1], 2, "not_spam", "bob")
    client = app.test_client()
    login(client)
    resp = client.post("/review/undo", data={"csrf_token": csrf(client)})
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/review/"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "undone: 2 item(s)" in page and f"decided or re-opened since (by bob) and were left as they are: #{ids[1]}" in page
    with session_scope(url) as s:
        states = [(s.get(ReviewItem, i).status, s.get(ReviewItem, i).decision) for i in ids]
    assert states == [("decided", "not_spam"), ("decided", "not_spam"), ("pending", None)]
    again = client.post("/review/undo", data={"csrf_token": csrf(client)})  # on to her decision before the bulk
    assert again.status_code == 302 and urlsplit(again.headers["Location"]).path == f"/review/items/{ids[0]}"
    with session_scope(url) as s:
        assert s.get(ReviewItem, ids[0]).status == "pending"
    last = client.post("/review/undo", data={"csrf_token": csrf(client)})
    assert "nothing to undo" in client.get(last.headers["Location"]).get_data(as_text=True)
