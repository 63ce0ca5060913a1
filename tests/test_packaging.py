"""The installed package holds every file the service reads: the wheel built from pyproject.toml is checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from service.config import REPO_ROOT

pytestmark = pytest.mark.slow


def test_the_wheel_holds_every_data_file_of_the_packages(tmp_path):
    """The package-data patterns templates/*.html and static/* matched nothing: the review UI's templates and
    static files (service/review/...) were missing from an installed copy, as in the Docker image."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", src)
    shutil.copy(REPO_ROOT / "README.md", src)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("service", "training"):
        shutil.copytree(REPO_ROOT / package, src / package, ignore=ignore)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"),
                          str(src)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data_files = [p.relative_to(src).as_posix() for package in ("service", "training")
                  for p in (src / package).rglob("*") if p.is_file() and p.suffix != ".py"]
    assert any("review/templates/review/" in f for f in data_files)
    missing = [f for f in data_files if f not in names]
    assert not missing, missing
