"""A worker that cannot load the model on disk serves the last model the gunicorn master verified.

Real gunicorn (``python -m service serve``) on a copy of the committed model: the artifact is corrupted, or the
manifest made malformed, then the master gets SIGHUP. The new worker must not serve nothing (503) and the master
must not exit: it serves the model verified before and says so in /readyz and /v1/model.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

from service.bench.http import request, start_server
from service.config import REPO_ROOT

pytestmark = pytest.mark.slow
PORT = 8621


def _copy_model(target):
    manifest = json.loads((REPO_ROOT / "models" / "manifest.json").read_text())
    target.mkdir()
    shutil.copy(REPO_ROOT / "models" / "manifest.json", target / "manifest.json")
    shutil.copy(REPO_ROOT / "models" / manifest["current"]["file"], target / manifest["current"]["file"])
    return manifest


def _hup_and_wait(srv, timeout: float = 120.0) -> dict:
    """SIGHUP the master, wait for a new worker to answer /readyz, return its answer."""
    old = set(srv.worker_pids())
    srv.reload()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert srv.process.poll() is None, f"the master exited: {srv.log_tail()}"
        pids = set(srv.worker_pids())
        if pids and not pids & old:
            resp = request(srv.port, "GET", "/readyz", timeout=10)
            if resp.status:
                return {"status": resp.status, **resp.json()}
        time.sleep(0.3)
    raise AssertionError(f"no new worker after SIGHUP: {srv.log_tail()}")


def _manifest_without_thresholds(m):
    del m["current"]["thresholds"]


def _manifest_with_a_word_for_a_threshold(m):
    m["current"]["thresholds"]["drop_share"] = "high"


def _manifest_with_current_a_string(m):
    m["current"] = "pagesieve"


@pytest.mark.parametrize("break_it", ["artifact", _manifest_without_thresholds, _manifest_with_a_word_for_a_threshold,
                                      _manifest_with_current_a_string])
def test_a_bad_model_on_disk_leaves_the_last_verified_one_serving_after_sighup(tmp_path, break_it):
    model_dir = tmp_path / "models"
    manifest = _copy_model(model_dir)
    version = manifest["current"]["version"]
    srv = start_server(tmp_path / "srv", workers=1, port=PORT,
                       extra_env={"PAGESIEVE_MODEL_DIR": str(model_dir), "PAGESIEVE_SERVICE_LOG_LEVEL": "info"})
    try:
        srv.wait_ready()
        if break_it == "artifact":
            with (model_dir / manifest["current"]["file"]).open("ab") as fh:
                fh.write(b"x")
        else:
            break_it(manifest)
            (model_dir / "manifest.json").write_text(json.dumps(manifest))
        ready = _hup_and_wait(srv)
        assert ready["status"] == 200 and ready["model"] == version, ready
        assert "cannot be loaded" in ready["fallback"], ready
        info = request(srv.port, "GET", "/v1/model").json()
        assert info["version"] == version and "cannot be loaded" in info["fallback"]
        verdict = request(srv.port, "POST", "/v1/classify", json.dumps({"text": "全市教育大会召开。"}).encode(),
                          {**srv.auth, "Content-Type": "application/json"})
        assert verdict.status == 200 and verdict.json()["model_version"] == version
        assert "THE MODEL ON DISK CANNOT BE LOADED" in srv.log_path.read_text(errors="replace")
    finally:
        code = srv.stop()
    assert code == 0, srv.log_tail()
