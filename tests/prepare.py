"""Prepare the machine for the test suite (run by `make test` before pytest).

* PostgreSQL: start the local cluster when it is down, and create the
  throw-away database the storage tests use (``pagesieve_test``).
* Chromium: Debian's package for the browser tests of /review, installed when
  ``/usr/bin/chromium`` is missing (never a browser download by a test tool).
* ``--screenshots`` (``make screenshots``): also Debian's CJK fonts, without
  which the README's screenshots show the Chinese pages as boxes.
Anything that cannot be prepared is reported; the tests that need it skip
with a message saying so.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

PG_DB = "pagesieve_test"


def sh(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


def ensure_postgres() -> None:
    if not shutil.which("psql"):
        print("prepare: psql not found; PostgreSQL tests will skip")
        return
    if sh("pg_isready", "-h", "127.0.0.1", "-p", "5432").returncode != 0 and shutil.which("pg_ctlcluster"):
        for conf in glob.glob("/etc/postgresql/*/main"):
            version = conf.split("/")[3]
            sh("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start")
    if sh("pg_isready", "-h", "127.0.0.1", "-p", "5432").returncode != 0:
        print("prepare: PostgreSQL is not running and could not be started; PostgreSQL tests will skip")
        return
    sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"DROP DATABASE IF EXISTS {PG_DB}")
    made = sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {PG_DB}")
    print(f"prepare: PostgreSQL up; database {PG_DB} " + ("created" if made.returncode == 0 else
                                                          f"not created: {made.stderr.strip()}"))


def apt_install(package: str) -> str:
    """Install a Debian package; return "" or what went wrong."""
    if not shutil.which("apt-get"):
        return "no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, env=env)
    made = subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True, text=True, env=env)
    return "" if made.returncode == 0 else made.stderr.strip()[-300:] or f"apt-get exited {made.returncode}"


def ensure_chromium() -> None:
    if shutil.which("chromium") or glob.glob("/usr/bin/chromium"):
        print("prepare: chromium present")
        return
    problem = apt_install("chromium")
    print("prepare: chromium " + (f"not installed ({problem}); browser tests will skip" if problem else "installed"))


def ensure_cjk_fonts() -> None:
    if sh("dpkg", "-s", "fonts-noto-cjk").returncode == 0:
        print("prepare: fonts-noto-cjk present")
        return
    problem = apt_install("fonts-noto-cjk")
    print("prepare: fonts-noto-cjk " + (f"not installed ({problem}); Chinese text will show as boxes"
                                        if problem else "installed"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    ensure_postgres()
    ensure_chromium()
    if "--screenshots" in args:
        ensure_cjk_fonts()
    return 0


if __name__ == "__main__":
    sys.exit(main())
