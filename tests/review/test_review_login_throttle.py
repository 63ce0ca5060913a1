"""Failed review logins: throttled per account and client address, counted in the database (SQLite and PostgreSQL).

They used to be counted per username in each worker's memory: five wrong passwords from anywhere locked the
moderator out, and each worker kept its own count.
"""

from __future__ import annotations

import time

import pytest

from service.review import accounts
from service.review.accounts import FAILURE_WINDOW, MAX_ADDRESS_FAILURES, MAX_FAILURES, set_password
from service.storage.db import session_scope
from service.storage.models import LoginFailure
from tests.review.conftest import make_app


@pytest.fixture()
def apps(db_url, tmp_path, loaded_model):
    """Two workers on one database, with the moderators alice and bob."""
    with session_scope(db_url) as s:
        set_password(s, "alice", "correct horse", create=True)
        set_password(s, "bob", "battery staple", create=True)
    pair = [make_app(db_url, tmp_path / name, loaded_model) for name in ("w1", "w2")]
    yield pair
    for app in pair:
        app.extensions["pagesieve_review"].close()


def attempt(app, user, password, address="10.0.0.1", **headers):
    """One login through the form from ``address``."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": address}
    client.get("/review/login", environ_base=environ)
    with client.session_transaction() as sess:
        token = sess["csrf"]
    return client.post("/review/login", data={"username": user, "password": password, "csrf_token": token},
                       environ_base=environ, headers=headers)


def test_an_account_is_refused_from_the_address_that_failed_and_only_there(apps):
    w1, w2 = apps
    for i in range(MAX_FAILURES):
        assert attempt(apps[i % 2], "alice", "wrong").status_code == 401  # both workers count the same failures
    for app in (w1, w2):
        refused = attempt(app, "alice", "correct horse")
        assert refused.status_code == 429, "the right password is refused too while throttled"
        assert 0 < int(refused.headers["Retry-After"]) <= FAILURE_WINDOW
        assert "Too many failed logins for &#39;alice&#39; from this address" in refused.get_data(as_text=True)
    assert attempt(w2, "alice", "correct horse", address="10.0.0.2").status_code == 302  # the moderator elsewhere
    assert attempt(w1, "bob", "battery staple").status_code == 302  # another account from that address


def test_one_address_trying_many_accounts_is_refused(apps, db_url):
    w1, _ = apps
    for i in range(MAX_ADDRESS_FAILURES):
        assert attempt(w1, f"user{i}", "guess").status_code == 401
    assert attempt(w1, "alice", "correct horse").status_code == 429
    assert attempt(w1, "alice", "correct horse", address="10.0.0.9").status_code == 302


def test_failures_expire_and_a_login_clears_them(apps, db_url):
    w1, _ = apps
    old = time.time() - FAILURE_WINDOW - 1
    with session_scope(db_url) as s:
        s.add_all(LoginFailure(username="alice", address="10.0.0.1", failed_at=old) for _ in range(MAX_FAILURES))
    assert attempt(w1, "alice", "correct horse").status_code == 302  # too old to count
    with session_scope(db_url) as s:
        assert s.query(LoginFailure).count() == 0, "a login clears its failures; a failure clears expired ones"
    for _ in range(MAX_FAILURES - 1):
        attempt(w1, "alice", "wrong")
    assert attempt(w1, "alice", "correct horse").status_code == 302
    assert attempt(w1, "alice", "wrong").status_code == 401  # the count started again after the login
    assert attempt(w1, "alice", "correct horse").status_code == 302


def test_behind_a_proxy_the_address_is_the_forwarded_one(db_url, tmp_path, loaded_model):
    with session_scope(db_url) as s:
        set_password(s, "alice", "correct horse", create=True)
    direct = make_app(db_url, tmp_path / "direct", loaded_model)
    proxied = make_app(db_url, tmp_path / "proxied", loaded_model, service={"proxy_hops": 1})
    try:
        for _ in range(MAX_FAILURES):
            attempt(proxied, "alice", "wrong", address="192.0.2.1", **{"X-Forwarded-For": "203.0.113.7"})
        assert attempt(proxied, "alice", "correct horse", address="192.0.2.1",
                       **{"X-Forwarded-For": "203.0.113.8"}).status_code == 302  # another client, same proxy
        assert attempt(proxied, "alice", "correct horse", address="192.0.2.1",
                       **{"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        # without proxy_hops a client cannot choose its address by sending the header
        assert attempt(direct, "alice", "correct horse", address="203.0.113.7",
                       **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429
    finally:
        for app in (direct, proxied):
            app.extensions["pagesieve_review"].close()


def test_check_login_is_throttled_without_a_request(db_url):
    """The function itself, as a command or another caller would use it: no address is one shared address."""
    with session_scope(db_url) as s:
        set_password(s, "alice", "correct horse", create=True)
    for _ in range(MAX_FAILURES):
        assert accounts.check_login(db_url, "alice", "wrong") is None
    with pytest.raises(accounts.TooManyAttempts) as caught:
        accounts.check_login(db_url, "alice", "correct horse")
    assert caught.value.status == 429 and caught.value.retry_after > 0
    assert accounts.check_login(db_url, "x" * 500, "wrong") is None  # a name past the column's width is cut
