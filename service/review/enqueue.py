"""The classify hook that feeds the review queue without ever slowing or failing classify.

``ReviewEnqueuer.hook`` runs on the request thread: it decides in
microseconds whether a verdict goes to the queue (every ``review`` action,
plus a random ``review.sample_rate`` share of ``keep``/``strip``/``drop``),
builds the record and puts it on an in-process queue. A background thread
writes records to the database. When a write fails because the database cannot
take writes now (unreachable, read-only after a failover, a revoked permission,
out of connections or disk: see ``is_transient``), the records are appended as
JSON lines to this process's spool file (``<spool_dir>/spool-<pid>.jsonl``;
feedback spooled on a request thread goes there too). The writer thread replays
the spool directory at start-up, after a successful write that finds it
non-empty, and every ``review.spool_retry_seconds`` whoever wrote its files, so
a quiet process replays too; any process that spools keeps its writer thread
running. Several gunicorn workers may share one spool
directory: each appends to its own file, and a replayer claims a file by an
atomic rename before reading it (``flock`` makes a writer that still holds
the old name finish first) and holds its ``flock`` until the replay is done;
another worker takes a ``replay-*`` file only when its lock is free (its
replayer finished with records left, or died), never one being replayed.
Writes are idempotent per page id (and a client's report per ``at``), so a
record replayed twice is stored once.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import queue
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from service.errors import loggable
from service.review.store import in_transaction, item_record, now_iso, write_record
from service.storage.db import migrate

log = logging.getLogger(__name__)
BATCH = 200
RECENT_PAGES = 256  # pages remembered per process for feedback by id
RECENT_MAX_CHARS = 200_000


# SQLSTATE classes that say the database refuses what a record holds (22: data exception, such as a value too long
# for its column; 23: integrity constraint violation). Retrying such a record cannot help: it is kept aside.
REFUSED_SQLSTATE_CLASSES = ("22", "23")


def is_transient(exc: BaseException) -> bool:
    """True when the database could not take a write now, whatever the record (spool it, retry later); False when
    it refused the record for what it holds (an integrity or data error) or the record could not be turned into a
    row at all.

    Every database error other than an integrity or data error counts as an outage: unreachable or dropped
    connections, a read-only server (25006, a standby after a failover), a revoked permission (42501), an
    administrator's shutdown (57P01-57P03), too many connections (53300), a full disk (53100), serialization
    failures and deadlocks (40001, 40P01), a missing table. They go away without the record changing."""
    if isinstance(exc, SATimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(exc, DBAPIError):  # the record could not become a row (a Python error before the database)
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc, (IntegrityError, DataError)):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return sqlstate[:2] not in REFUSED_SQLSTATE_CLASSES


def database_error(exc: BaseException) -> str:
    """An error for a log line: its class and, from the database, its SQLSTATE (never the statement's parameters)."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    name = type(orig if orig is not None else exc).__name__
    return f"{name}, SQLSTATE {sqlstate}" if sqlstate else name


class Spool:
    """Append-only JSONL files, one per process, claimed by rename for replay."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _own(self) -> Path:
        return self.directory / f"spool-{os.getpid()}.jsonl"

    def append(self, records: list[dict]) -> None:
        """Append records durably; safe against a concurrent claim of the same file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
        while True:
            path = self._own()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # another thread appending, or a replayer that claimed the file
                    if not _same_file(fd, path):  # claimed: a replay holds it; write to a fresh file instead
                        continue
                    fcntl.flock(fd, fcntl.LOCK_EX)
                if not _same_file(fd, path):  # claimed (renamed) while we waited: write to a fresh file instead
                    continue
                os.write(fd, data)
                os.fsync(fd)
                return
            finally:
                os.close(fd)

    def check(self) -> None:
        """Create the directory and write, sync and remove a probe file in it: OSError when records could not be
        spooled there (a regular file on the path, no permission, a read-only file system)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        probe = self.directory / f".probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"probe\n")
            os.fsync(fd)
        finally:
            os.close(fd)
            probe.unlink()

    def pending_files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir()
                      if p.suffix == ".jsonl" and p.name.startswith(("spool-", "replay-")))

    @contextmanager
    def claim(self, path: Path) -> Iterator[Path | None]:
        """Take a spool file for replay and hold its ``flock`` until the ``with`` block ends: yields the claimed
        path, or None when another replayer has it (or had it and is done with it).

        A ``spool-*`` file is renamed to a ``replay-*`` name of this process, then locked (waiting for an append
        that had opened the old name). A ``replay-*`` file (a replay in progress in another worker, or one that
        kept its file because the records could not be written or spooled again) is taken only when its lock is
        free at once (``LOCK_NB``): a file being replayed is never read by a second replayer."""
        blocking = path.name.startswith("spool-")
        claimed = path
        if blocking:
            claimed = path.with_name(f"replay-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl")
            try:
                os.rename(path, claimed)
            except FileNotFoundError:
                yield None
                return
        try:
            fd = os.open(claimed, os.O_RDONLY)
        except FileNotFoundError:  # replayed and removed by another worker since the listing
            yield None
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # being replayed
                yield None
                return
            # another replayer may have taken and removed the file while we waited for (or before we got) the lock
            yield claimed if _same_file(fd, claimed) else None
        finally:
            os.close(fd)  # releases the lock

    @staticmethod
    def read(path: Path) -> list[dict]:
        """The records of a claimed spool file. A line torn by a crash mid-write (cut JSON, or cut inside a
        multi-byte character) is kept in ``rejected.jsonl`` for a human; the other lines are read."""
        records = []
        for raw in path.read_bytes().split(b"\n"):
            if not raw.strip():
                continue
            try:
                records.append(json.loads(raw.decode("utf-8")))
            except ValueError:  # UnicodeDecodeError is one too
                log.error("unreadable spool line in %s kept in rejected file", path)
                _keep_aside(path.parent, raw.decode("utf-8", errors="backslashreplace"))
        return records

    def reject(self, record: dict, reason: str) -> None:
        """A record the database refuses for good (not an outage): kept aside, never dropped silently."""
        self.directory.mkdir(parents=True, exist_ok=True)
        _keep_aside(self.directory, json.dumps({"reason": reason, "record": record}, ensure_ascii=False))


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not renamed or removed since it was opened)."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _keep_aside(directory: Path, line: str) -> None:
    """Append a line to ``<directory>/rejected.jsonl``, readable by this user only (0600, as the spool files are:
    it holds page text and HTML; one an earlier version left readable to all is made private too)."""
    fd = os.open(directory / "rejected.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


class ReviewEnqueuer:
    """Owns the in-process queue, the writer thread and the spool of one process."""

    def __init__(self, database_url: str, spool_dir: Path, sample_rate: float, max_html_bytes: int,
                 thresholds=None, retry_seconds: float = 5.0, queue_max: int = 10_000, seed: int | None = None,
                 migrated: bool = False):
        self.database_url = database_url
        self.spool = Spool(spool_dir)
        self.sample_rate = float(sample_rate)
        self.max_html_bytes = int(max_html_bytes)
        self.thresholds = thresholds or (lambda: None)  # callable -> the serving model's thresholds
        self.retry_seconds = float(retry_seconds)
        self._queue: queue.Queue = queue.Queue(maxsize=queue_max)
        self._random = random.Random(seed if seed is not None else os.getpid() ^ time.time_ns())
        self._lock = threading.Lock()
        self._held: list[dict] = []  # records the spool could not take: written or spooled at the next chance
        self._held_lock = threading.Lock()
        self._recent: OrderedDict[str, tuple] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._pid = None
        self._migrated = migrated  # the app migrated at start-up; otherwise the first write does
        self._stop = threading.Event()
        self.stats = {"enqueued": 0, "written": 0, "spooled": 0, "replayed": 0, "rejected": 0}
        atexit.register(self.close)

    # -- request thread ---------------------------------------------------------------------------
    def wants(self, verdict: dict) -> str | None:
        """The source under which a verdict is queued (``review``/``sample``), or None."""
        if verdict.get("action") == "review":
            return "review"
        if self.sample_rate > 0 and self._random.random() < self.sample_rate:
            return "sample"
        return None

    def hook(self, verdict: dict, page_request) -> None:
        """The classify hook: cheap, never blocks, never raises into classify."""
        classified_at = now_iso()
        self._remember(verdict, page_request, classified_at)
        source = self.wants(verdict)
        if source is None:
            return
        try:
            thresholds = self.thresholds()
        except Exception:
            thresholds = None
        self.put(item_record(verdict, page_request, thresholds, source, self.max_html_bytes, classified_at))

    def _remember(self, verdict: dict, page_request, classified_at: str) -> None:
        """Keep the last pages this process classified, with when, so feedback by id alone finds an unqueued
        page (and its record is not taken for a newer verdict than one classified since)."""
        if len(verdict.get("text") or "") > RECENT_MAX_CHARS or not verdict.get("id"):
            return
        with self._lock:
            self._recent[verdict["id"]] = (verdict, page_request, classified_at)
            self._recent.move_to_end(verdict["id"])
            while len(self._recent) > RECENT_PAGES:
                self._recent.popitem(last=False)

    def recent_record(self, page_id: str, source: str = "feedback") -> dict | None:
        """An item record for a page this process classified recently (as of when it was classified), or None."""
        with self._lock:
            hit = self._recent.get(page_id)
        if hit is None:
            return None
        try:
            thresholds = self.thresholds()
        except Exception:
            thresholds = None
        return item_record(hit[0], hit[1], thresholds, source, self.max_html_bytes, hit[2])

    def put(self, record: dict) -> None:
        self._ensure_thread()
        self.stats["enqueued"] += 1
        try:
            self._queue.put_nowait(record)
        except queue.Full:  # the database is far behind: go straight to the spool
            self._spool([record])

    # -- writer thread ----------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="review-enqueue", daemon=True)
                self._thread.start()

    def start(self) -> None:
        """Start the writer (it replays any spool left by earlier processes)."""
        self._ensure_thread()

    def _run(self) -> None:
        # The spool directory is looked at every retry_seconds, not only after a write of this thread's: feedback
        # spooled on a request thread, or a file another worker left, waits for no classify traffic.
        replay_due = time.monotonic()  # replay what earlier processes left, at start-up
        while not self._stop.is_set():
            batch = self._take(min(1.0, max(0.01, replay_due - time.monotonic())))
            if batch and batch[-1] is None:  # close() wakes us up
                batch.pop()
                self._queue.task_done()
            if batch:
                ok = self._write(batch)
                for _ in batch:
                    self._queue.task_done()
                if not ok:  # the database is down: the next look at the spool is retry_seconds away
                    replay_due = time.monotonic() + self.retry_seconds
                elif self.spool.pending_files():  # it is back: replay now
                    replay_due = time.monotonic()
            if time.monotonic() >= replay_due:
                self.replay()
                replay_due = time.monotonic() + self.retry_seconds

    def _take(self, timeout: float) -> list[dict]:
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < BATCH and batch[-1] is not None:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch  # a None (wake-up marker) can only be last

    def _write(self, records: list[dict]) -> bool:
        """Write records (one transaction each); spool them all at the first sign of an outage."""
        for i, record in enumerate(records):
            try:
                if not self._migrated:
                    migrate(self.database_url)
                    self._migrated = True
                in_transaction(self.database_url, lambda session, r=record: write_record(session, r))
                self.stats["written"] += 1
            except Exception as exc:
                if is_transient(exc) or not self._migrated:
                    log.warning("review queue: database unavailable (%s); %d item(s) spooled",
                                type(exc).__name__, len(records) - i)
                    self._spool(records[i:])
                    return False
                # The error class and SQLSTATE only: the statement's parameters (page text) stay out of the log, and the
                # page id is the client's, escaped.
                log.error("review queue: record for %s refused (%s); kept in rejected.jsonl",
                          loggable(record.get("page_id")), database_error(exc))
                if self._set_aside(record, f"{type(exc).__name__}: {exc}"):
                    self.stats["rejected"] += 1
        return True

    def _set_aside(self, record: dict, reason: str) -> bool:
        """Keep a refused record in ``rejected.jsonl``; True when it is there. When that file cannot be written
        (owned by another user, a directory, a full disk) the record is spooled again (or held in memory) so a
        later replay tries once more: the writer thread goes on, and the record is not lost."""
        try:
            self.spool.reject(record, reason)
            return True
        except OSError as exc:
            log.error("review queue: could not write rejected.jsonl (%s: %s); the refused record for %s is spooled "
                      "again until it can be", type(exc).__name__, exc, loggable(record.get("page_id")))
            self._spool([record])
            return False

    def _spool(self, records: list[dict]) -> bool:
        """Append records to the spool, after any it could not take before; when it cannot take them either, hold
        them all in memory for the next replay (which writes them to the database or spools them). True when they
        are on disk."""
        with self._held_lock:
            pending = self._held + list(records)
            try:
                self.spool.append(pending)
            except OSError as exc:
                self._held = pending
                log.error("review queue: could not spool %d record(s) (%s: %s); %d held in memory until the spool "
                          "or the database takes them", len(records), type(exc).__name__, exc, len(pending))
                return False
            self._held = []
            self.stats["spooled"] += len(pending)
            return True

    def _unhold(self, records: list[dict]) -> bool:
        """Take these records back out of the memory hold; True when any of them was there."""
        mine = {id(r) for r in records}
        with self._held_lock:
            kept = [r for r in self._held if id(r) not in mine]
            found, self._held = len(kept) != len(self._held), kept
        return found

    def spool_now(self, records: list[dict]) -> None:
        """Spool records from a request thread (feedback while the database is down) and make sure the writer
        thread runs to replay them; raises OSError when they could not be written, so the caller can say so."""
        self.spool.append(records)
        self.stats["spooled"] += len(records)
        self._ensure_thread()

    def replay(self) -> bool:
        """Write the held and spooled records to the database; True when nothing is left held or spooled."""
        with self._held_lock:
            held, self._held = self._held, []
        if held and not self._write(held):
            return False
        for path in self.spool.pending_files():
            with self.spool.claim(path) as claimed:
                if claimed is None:
                    continue
                ok = self._replay_file(claimed)
            if not ok:
                return False
        with self._held_lock:
            return not self._held and not self.spool.pending_files()

    def _replay_file(self, claimed: Path) -> bool:
        """Write the records of a claimed file (its lock held by the caller); False when the database is down."""
        try:
            records = Spool.read(claimed)
        except OSError as exc:  # an unreadable line could not be kept aside: the file stays for a later replay
            log.error("review queue: %s kept for a later replay: an unreadable line in it could not be written to "
                      "rejected.jsonl (%s: %s)", claimed.name, type(exc).__name__, exc)
            return True
        if not records:
            claimed.unlink(missing_ok=True)
            return True
        # The claimed file goes once each of its records is written, refused (kept in rejected.jsonl) or back in
        # a spool file; when the spool could not take the rest, the claimed file keeps them for the next replay
        # (a replay-* file is pending too, taken by whoever finds its lock free). Idempotent writes make the
        # overlap with the records already written harmless.
        done = self.stats["written"] + self.stats["rejected"]
        ok = self._write(records)
        self.stats["replayed"] += self.stats["written"] + self.stats["rejected"] - done
        if not ok and self._unhold(records):
            return False
        claimed.unlink(missing_ok=True)
        return ok

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far was written or spooled (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def close(self) -> None:
        """At exit: whatever is still in memory goes to the spool, so nothing is lost."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass
            thread.join(timeout=5)  # let the batch in flight finish
        left = []
        while True:
            try:
                record = self._queue.get_nowait()
            except queue.Empty:
                break
            self._queue.task_done()
            if record is not None:
                left.append(record)
        if left or self._held:  # records held in memory (the spool could not take them) get a last chance too
            self._spool(left)
