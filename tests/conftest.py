"""Shared fixtures: configuration, app, clients, the committed model, real seed pages, PostgreSQL's availability."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.app import create_app
from service.config import REPO_ROOT, load_config
from service.model.registry import ModelRegistry

SHARED = REPO_ROOT.parent / "shared"
SEEDS_DIR = SHARED / "seeds"
DATA_DIR = SHARED / "data"
PG_URL = "postgresql://postgres@127.0.0.1:5432/pagesieve_test"


def _pg_available() -> str | None:
    """None when the local PostgreSQL answers (creating the test database if needed), else why not."""
    try:
        import psycopg

        try:
            psycopg.connect(PG_URL, connect_timeout=3).close()
        except psycopg.OperationalError as exc:
            if "does not exist" not in str(exc):
                raise
            with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3) as c:
                c.execute("CREATE DATABASE pagesieve_test")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, saying why
        return f"PostgreSQL at {PG_URL} is not reachable ({type(exc).__name__}: {exc}); run tests/prepare.py"


@pytest.fixture(scope="session")
def pg_reason():
    return _pg_available()


@pytest.fixture(scope="session")
def loaded_model():
    """The committed model, verified and loaded once for the session."""
    return ModelRegistry(REPO_ROOT / "models").get()


@pytest.fixture()
def config(tmp_path):
    return load_config({"storage": {"database_url": f"sqlite:///{tmp_path / 'test.db'}",
                                    "spool_dir": str(tmp_path / "spool")},
                        "review": {"sample_rate": 0.0, "secret_key_file": str(tmp_path / "secret_key")},
                        "service": {"anonymous_classify": False}}, environ={})


@pytest.fixture()
def app(config, loaded_model):
    app = create_app(config)
    # share the session's verified model instead of unpickling it again per test
    app.extensions["pagesieve"].registry._current = loaded_model
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def crawler_key(app):
    from service.storage.db import session_scope
    from service.storage.keys import create_key

    with session_scope(app.extensions["pagesieve"].database_url) as session:
        return create_key(session, "crawler", "tests")


@pytest.fixture()
def auth(crawler_key):
    return {"Authorization": f"Bearer {crawler_key}"}


@pytest.fixture()
def anon_client(config, loaded_model):
    """A client of a separate app that allows anonymous classify (as `make serve` on loopback does)."""
    anon_app = create_app(config.with_overrides({"service": {"anonymous_classify": True}}))
    anon_app.extensions["pagesieve"].registry._current = loaded_model
    return anon_app.test_client()


def seed_paths() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt")) if SEEDS_DIR.is_dir() else []


def need_shared(path: Path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent (fresh clone without ../shared): skipped")


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
