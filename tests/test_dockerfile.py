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


def test_every_copied_path_exists():
    sources = []
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"^\s*COPY\s+(?:--\S+\s+)*(.+)\s+\S+\s*$", line)
        if match:
            sources.extend(match.group(1).split())
    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_image_runs_as_non_root_with_a_readiness_healthcheck():
    text = DOCKERFILE.read_text()
    assert re.search(r"^USER\s+(?!root|0\b)", text, re.MULTILINE)
    assert "HEALTHCHECK" in text and "/readyz" in text
    assert "[train]" not in text and "[test]" not in text
