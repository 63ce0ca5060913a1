"""Prepare the machine for the test suite (run by `make test` before pytest).

* PostgreSQL: start the local cluster when it is down, and create the
  throw-away database the storage tests use (``pagesieve_test``).
* Chromium: Debian's package for the browser tests of /review, installed when
  ``/usr/bin/chromium`` is missing (never a browser download by a test tool).
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


def ensure_chromium() -> None:
    if shutil.which("chromium") or glob.glob("/usr/bin/chromium"):
        print("prepare: chromium present")
        return
    if not shutil.which("apt-get"):
        print("prepare: chromium missing and no apt-get; browser tests will skip")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, env=env)
    made = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, text=True, env=env)
    print("prepare: chromium " + ("installed" if made.returncode == 0 else
                                  f"not installed ({made.stderr.strip()[-300:]}); browser tests will skip"))


def main() -> int:
    ensure_postgres()
    ensure_chromium()
    return 0


if __name__ == "__main__":
    sys.exit(main())
