"""The Dockerfile lints clean (hadolint) and copies only files that exist (no Docker engine here)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from service.config import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"


@pytest.mark.skipif(not shutil.which("hadolint") and not (REPO_ROOT / ".venv/bin/hadolint").exists(),
                    reason="hadolint not installed")
def test_hadolint_is_clean():
    exe = shutil.which("hadolint") or str(REPO_ROOT / ".venv/bin/hadolint")
    run = subprocess.run([exe, str(DOCKERFILE)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def _copied_paths() -> list[str]:
    """The sources of the Dockerfile's ``COPY`` lines, relative to the repository."""
    sources = []
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"^\s*COPY\s+(?:--\S+\s+)*(.+)\s+\S+\s*$", line)
        if match:
            sources.extend(match.group(1).split())
    return sources


def test_every_copied_path_exists():
    sources = _copied_paths()
    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_image_runs_as_non_root_with_a_readiness_healthcheck():
    text = DOCKERFILE.read_text()
    assert re.search(r"^USER\s+(?!root|0\b)", text, re.MULTILINE)
    assert re.search(r'^HEALTHCHECK .*\\\n\s+CMD \["python", "-m", "service", "healthcheck"\]$', text, re.MULTILINE), \
        "the HEALTHCHECK asks /readyz on the configured port (python -m service healthcheck)"
    assert "[train]" not in text and "[test]" not in text


def _dockerfile_env() -> dict[str, str]:
    """The ``ENV`` settings of the Dockerfile (``KEY=value`` pairs, continued lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(pair.split("=", 1) for pair in line[4:].split())
    return env


def _image_env(app) -> dict[str, str]:
    """The Dockerfile's environment with its ``/app`` paths under ``app`` (no Docker engine here)."""
    return {k: v.replace("/app/", f"{app}/") for k, v in _dockerfile_env().items()}


@pytest.mark.parametrize("run_env,url", [
    ({"DATABASE_URL": "postgresql://pagesieve:pw@db:5432/pagesieve"}, "postgresql://pagesieve:pw@db:5432/pagesieve"),
    ({}, "sqlite:////app/var/pagesieve.db"),
])
def test_database_url_given_to_docker_run_wins_over_the_images_default(run_env, url):
    """``docker run -e DATABASE_URL=...`` adds to the image's ENV and cannot remove a variable: the image baked
    PAGESIEVE_STORAGE_DATABASE_URL, which outranks DATABASE_URL, so the container used SQLite."""
    from service.config import load_config

    assert load_config(environ={**_dockerfile_env(), **run_env}).database_url() == url


def test_everything_the_image_writes_is_under_app_var():
    """The installed package's var/ (site-packages) is not writable by the image's user: the secret key went there."""
    from service.config import load_config

    config = load_config(environ=_dockerfile_env())
    for section, key in (("storage", "sqlite_path"), ("storage", "spool_dir"), ("review", "secret_key_file")):
        assert str(config.path(section, key)).startswith("/app/var/"), (section, key)


def _pip_install_arguments() -> list[str]:
    """What the Dockerfile's ``RUN pip install ...`` installs (its arguments up to the next ``&&``)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    match = re.search(r"pip install ([^&\n]+)", text)
    assert match, "the Dockerfile installs nothing with pip"
    return [arg.strip('"') for arg in match.group(1).split()]


@pytest.mark.slow
def test_what_the_image_installs_serves_with_postgresql(tmp_path, pg_reason):
    """No Docker engine runs here, so the image's own steps run in a fresh venv instead: only the files the
    Dockerfile copies, its pip install, its environment (with the database on this machine's PostgreSQL and a
    free port), its command; then its HEALTHCHECK's endpoint must say ready with the database up. The install
    without the PostgreSQL driver failed this, as DATABASE_URL=postgresql://... is how the image is deployed."""
    import os
    import sys
    import time
    import urllib.request
    import uuid

    if pg_reason:
        pytest.skip(pg_reason)
    import psycopg

    from tests.conftest import PG_URL

    app = tmp_path / "app"
    app.mkdir()
    for source in _copied_paths():
        (shutil.copytree if (REPO_ROOT / source).is_dir() else shutil.copy2)(REPO_ROOT / source, app / source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *_pip_install_arguments()], cwd=app,
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    schema = f"img_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    port = 8622
    # the image's environment with /app where the image's files are here, then what `docker run -e` adds
    env = {**_image_env(app), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "PAGESIEVE_SERVICE_HOST": "127.0.0.1", "PAGESIEVE_SERVICE_PORT": str(port),
           "DATABASE_URL": f"{PG_URL}?options=-csearch_path%3D{schema}"}
    cmd = re.search(r'^CMD \[(.+)\]$', DOCKERFILE.read_text(), re.MULTILINE).group(1)
    argv = [str(venv / "bin" / "python") if arg == "python" else arg for arg in re.findall(r'"([^"]+)"', cmd)]
    (app / "var").mkdir()
    server = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    healthcheck = re.search(r'^HEALTHCHECK .*\\\n\s+CMD \[(.+)\]$', DOCKERFILE.read_text(), re.MULTILINE).group(1)
    healthcheck_argv = [str(venv / "bin" / "python") if a == "python" else a for a in re.findall(r'"([^"]+)"', healthcheck)]
    healthy = None
    try:
        ready = None
        for _ in range(180):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=4) as resp:
                    ready = resp.status, resp.read().decode()
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        if ready and ready[0] == 200:  # the image's HEALTHCHECK, in the container's environment
            healthy = subprocess.run(healthcheck_argv, cwd=tmp_path, env=env, timeout=30).returncode
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    assert ready and ready[0] == 200 and '"database":true' in ready[1], (ready, log[-3000:])
    assert healthy == 0, log[-3000:]
