"""Real HTTP against a real gunicorn: start ``python -m service serve``, load it, read its memory.

Used by the benchmark and by the load test (``tests/test_load.py``), so both
exercise the production server exactly as ``make serve`` starts it: a
subprocess on a free loopback port, its own temporary SQLite database, an
API key created in that database.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from service.config import REPO_ROOT


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float
    error: str | None = None  # connection-level failure (no HTTP status)

    def json(self):
        return json.loads(self.body)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60.0) -> Response:
    """One HTTP request on a fresh connection (gunicorn's sync workers close after each response)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, data, time.perf_counter() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Response(0, b"", time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


@dataclass
class Server:
    """A gunicorn master started as ``python -m service serve`` in a subprocess."""

    port: int
    process: subprocess.Popen
    api_key: str
    workdir: Path
    log_path: Path
    env: dict = field(default_factory=dict)

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"}

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Block until ``/readyz`` answers 200 (the model is loaded and verified)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log_tail()}")
            if request(self.port, "GET", "/readyz", timeout=10).status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s: {self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """Pids of the master's live children (the workers)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return sorted(pids)

    def reload(self) -> None:
        """Graceful reload: gunicorn starts new workers and lets the old ones finish their requests."""
        os.kill(self.process.pid, signal.SIGHUP)

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_server(workdir: Path, workers: int = 2, extra_env: dict | None = None, port: int | None = None) -> Server:
    """Start gunicorn on ``port`` (default: a free loopback port) with a fresh SQLite database and a crawler key."""
    from service.storage.db import migrate, session_scope
    from service.storage.keys import create_key

    workdir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{workdir / 'bench.db'}"
    migrate(db_url)
    with session_scope(db_url) as session:
        key = create_key(session, "crawler", "benchmark")
    port = port or free_port()
    env = {**os.environ, "PAGESIEVE_STORAGE_DATABASE_URL": db_url,
           "PAGESIEVE_STORAGE_SPOOL_DIR": str(workdir / "spool"), "PAGESIEVE_SERVICE_LOG_LEVEL": "warning",
           **(extra_env or {})}
    log_path = workdir / "gunicorn.log"
    log = log_path.open("ab")
    process = subprocess.Popen([sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(workers)], cwd=REPO_ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return Server(port=port, process=process, api_key=key, workdir=workdir, log_path=log_path, env=env)


def run_concurrently(calls: Iterable[Callable[[], Response]], concurrency: int,
                     on_progress: Callable[[int], None] | None = None) -> tuple[list[Response], float]:
    """Run the calls from ``concurrency`` client threads; ``(responses in call order, wall seconds)``."""
    calls = list(calls)
    done = 0
    lock = threading.Lock()

    def run(call):
        nonlocal done
        result = call()
        with lock:
            done += 1
            if on_progress:
                on_progress(done)
        return result

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        responses = list(pool.map(run, calls))
    return responses, time.perf_counter() - started


def peak_rss_kib(pid: int) -> int | None:
    """Peak resident set size (VmHWM) of a live process, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
