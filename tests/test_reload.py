"""``POST /v1/admin/reload``: a new manifest version serves without a restart; a bad one is refused."""

from __future__ import annotations

import json
import shutil

import pytest

from service.app import create_app
from service.config import REPO_ROOT
from service.storage.db import session_scope
from service.storage.keys import create_key


@pytest.fixture()
def model_dir(tmp_path):
    src = REPO_ROOT / "models"
    manifest = json.loads((src / "manifest.json").read_text())
    target = tmp_path / "models"
    target.mkdir()
    shutil.copy(src / "manifest.json", target / "manifest.json")
    shutil.copy(src / manifest["current"]["file"], target / manifest["current"]["file"])
    return target


def _headers(app, role):
    with session_scope(app.extensions["pagesieve"].database_url) as s:
        return {"Authorization": f"Bearer {create_key(s, role)}"}


def test_reload_serves_the_new_manifest_version(config, model_dir):
    app = create_app(config.with_overrides({"model": {"dir": str(model_dir)}}))
    client, admin = app.test_client(), _headers(app, "admin")
    old = client.get("/v1/model").get_json()["version"]
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["current"]["version"] = "reloaded-test"
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    assert client.get("/v1/model").get_json()["version"] == old  # nothing changes until asked
    resp = client.post("/v1/admin/reload", headers=admin)
    assert resp.status_code == 200
    assert resp.get_json() == {"model_version": "reloaded-test", "previous_version": old, "workers": "this process"}
    assert client.get("/v1/model").get_json()["version"] == "reloaded-test"
    verdict = client.post("/v1/classify", json={"text": "全市教育大会召开。"}, headers=admin).get_json()
    assert verdict["model_version"] == "reloaded-test"


def test_a_broken_new_model_is_refused_and_the_old_one_keeps_serving(config, model_dir):
    app = create_app(config.with_overrides({"model": {"dir": str(model_dir)}}))
    client, admin = app.test_client(), _headers(app, "admin")
    old = client.get("/v1/model").get_json()["version"]
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["current"]["sha256"] = "0" * 64
    manifest["current"]["version"] = "tampered"
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    resp = client.post("/v1/admin/reload", headers=admin)
    assert resp.status_code == 409 and "sha256" in resp.get_json()["error"]["message"]
    assert client.get("/v1/model").get_json()["version"] == old


def test_a_malformed_manifest_is_refused_with_409_not_500(config, model_dir):
    app = create_app(config.with_overrides({"model": {"dir": str(model_dir)}}))
    client, admin = app.test_client(), _headers(app, "admin")
    old = client.get("/v1/model").get_json()["version"]
    manifest = json.loads((model_dir / "manifest.json").read_text())
    del manifest["current"]["thresholds"]
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    resp = client.post("/v1/admin/reload", headers=admin)
    assert resp.status_code == 409 and "current.thresholds" in resp.get_json()["error"]["message"]
    assert client.get("/v1/model").get_json()["version"] == old


@pytest.mark.parametrize("role,status", [("crawler", 403), ("moderator", 403), (None, 401)])
def test_reload_needs_an_admin_key(app, role, status):
    headers = _headers(app, role) if role else {}
    assert app.test_client().post("/v1/admin/reload", headers=headers).status_code == status


def test_reload_takes_no_parameters(config, model_dir):
    """A body would be ignored: {"x": 1} was a 200. None, or {}, is a reload."""
    app = create_app(config.with_overrides({"model": {"dir": str(model_dir)}}))
    client, admin = app.test_client(), _headers(app, "admin")
    resp = client.post("/v1/admin/reload", json={"x": 1}, headers=admin)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "unknown_field"
    assert client.post("/v1/admin/reload", json=[1], headers=admin).status_code == 400
    assert client.post("/v1/admin/reload", json={}, headers=admin).status_code == 200
