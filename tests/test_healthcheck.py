"""``python -m service healthcheck`` (the image's HEALTHCHECK) asks the configured port; gunicorn's worker timeout is
a setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from service.bench.http import start_server
from service.config import REPO_ROOT, load_config
from service.server import gunicorn_settings


def _healthcheck(port: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PAGESIEVE_SERVICE_HOST": "0.0.0.0", "PAGESIEVE_SERVICE_PORT": str(port)}
    return subprocess.run([sys.executable, "-m", "service", "healthcheck"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_healthcheck_asks_the_configured_port(tmp_path):
    """The HEALTHCHECK asked 127.0.0.1:8080 whatever PAGESIEVE_SERVICE_PORT said: a container on another port was
    marked unhealthy for ever."""
    srv = start_server(tmp_path, workers=1, port=8626)
    try:
        srv.wait_ready()
        ready = _healthcheck(8626)
        assert ready.returncode == 0, ready.stderr
        nobody = _healthcheck(8627)
        assert nobody.returncode == 1 and nobody.stderr.startswith("not ready: no answer from 127.0.0.1:8627")
    finally:
        assert srv.stop() == 0, srv.log_tail()


def test_the_worker_timeout_is_a_setting():
    assert gunicorn_settings(load_config(environ={}))["timeout"] == 60
    config = load_config(environ={"PAGESIEVE_SERVICE_WORKER_TIMEOUT": "300"})
    assert gunicorn_settings(config)["timeout"] == 300
