"""API keys from the command line: create, list, revoke; a revoked key is refused within the cache time."""

from __future__ import annotations

import pytest

from service.cli import create_key_main, list_keys_main, revoke_key_main


@pytest.fixture()
def keys_db(app, monkeypatch):
    """The CLI verbs pointed at the test app's database (they read the configuration from the environment)."""
    monkeypatch.setenv("PAGESIEVE_STORAGE_DATABASE_URL", app.extensions["pagesieve"].database_url)
    return app


def _create(capsys, role: str, name: str) -> str:
    assert create_key_main(["--role", role, "--name", name]) == 0
    return capsys.readouterr().out.strip()


def _listing(capsys) -> list[list[str]]:
    assert list_keys_main([]) == 0
    return [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]]


def test_list_shows_each_key_without_the_key(keys_db, capsys):
    crawler, moderator = _create(capsys, "crawler", "crawl-eu"), _create(capsys, "moderator", "alice")
    rows = _listing(capsys)
    assert [(r[2], r[4], r[5]) for r in rows] == [("crawler", "active", "crawl-eu"), ("moderator", "active", "alice")]
    assert [r[1] for r in rows] == [crawler[:10], moderator[:10]]
    assert not any(crawler in "\t".join(r) or moderator in "\t".join(r) for r in rows)


def test_revoke_by_id_prefix_or_key(keys_db, capsys):
    keys = [_create(capsys, "crawler", f"k{i}") for i in range(3)]
    ids = [r[0] for r in _listing(capsys)]
    assert revoke_key_main([ids[0]]) == 0
    assert revoke_key_main([keys[1][:9]]) == 0
    assert revoke_key_main([keys[2]]) == 0
    assert "running servers refuse it within 60 s" in capsys.readouterr().out
    assert [r[4] for r in _listing(capsys)] == ["revoked"] * 3
    assert revoke_key_main([ids[0]]) == 0  # twice is harmless


def test_revoke_refuses_what_names_no_key_or_several(keys_db, capsys):
    for name in ("a", "b"):
        _create(capsys, "crawler", name)
    capsys.readouterr()
    assert revoke_key_main(["99"]) == 1 and "no key '99'" in capsys.readouterr().err
    assert revoke_key_main(["ps_"]) == 1 and "give at least 7 of its first" in capsys.readouterr().err  # too short
    assert revoke_key_main(["ps_abcdefghijk"]) == 1 and "give at most those" in capsys.readouterr().err  # too long
    assert revoke_key_main(["ps_ab"]) == 1 and "no key" in capsys.readouterr().err  # matches no key
    assert [r[4] for r in _listing(capsys)] == ["active", "active"]


def test_a_key_name_is_one_printable_line(keys_db, capsys):
    """A tab or a newline in a name broke list-keys' columns."""
    from service.storage.db import session_scope
    from service.storage.models import ApiKey

    assert create_key_main(["--role", "crawler", "--name", "eu\tcrawler"]) == 2
    assert "one line of printable text" in capsys.readouterr().err
    _create(capsys, "crawler", "ok")
    with session_scope(keys_db.extensions["pagesieve"].database_url) as session:
        session.query(ApiKey).one().name = "old\tname\n"  # stored before names were checked
    assert [len(r) for r in _listing(capsys)] == [6] and _listing(capsys)[0][5] == "old\\tname\\n"


def test_an_ambiguous_prefix_names_the_keys(keys_db, capsys):
    from service.storage.db import session_scope
    from service.storage.models import ApiKey

    for name in ("a", "b"):
        _create(capsys, "crawler", name)
    with session_scope(keys_db.extensions["pagesieve"].database_url) as session:
        for row in session.query(ApiKey):
            row.prefix = "ps_SAME123"  # two keys that share their first characters
    capsys.readouterr()
    assert revoke_key_main(["ps_SAME"]) == 1
    assert "names 2 keys (ids 1, 2)" in capsys.readouterr().err


def test_a_revoked_key_is_refused_once_the_cache_time_has_passed(keys_db, client, capsys, monkeypatch):
    import service.auth

    key = _create(capsys, "crawler", "leaked")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post("/v1/classify", json={"text": "正文"}, headers=headers).status_code == 200
    assert revoke_key_main([key]) == 0
    now = service.auth.time.monotonic()
    monkeypatch.setattr(service.auth.time, "monotonic", lambda: now + service.auth.CACHE_SECONDS + 1)
    resp = client.post("/v1/classify", json={"text": "正文"}, headers=headers)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_key"
