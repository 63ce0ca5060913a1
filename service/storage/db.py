"""Engine, sessions and schema migration.

One engine per database URL per process; a session per request (closed by
the app's teardown hook). ``migrate()`` brings the schema to the latest
Alembic revision; the app runs it once at start-up.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# A PostgreSQL server that takes connections but never answers must not hold a worker's start-up (gunicorn kills a
# worker that boots for longer than its timeout, and a new one would hang the same way) or a request: libpq gives up
# after this long (a connect_timeout in the URL wins).
CONNECT_TIMEOUT_SECONDS = 5
_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_migrate_lock = threading.Lock()  # Alembic's command context is process-global: one migration at a time


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


SECRET_QUERY_PARAMETERS = {"password", "sslpassword"}  # libpq takes a password in the query string too


def display_url(url: str) -> str:
    """A database URL for a log line or a message: its password hidden (``***``), in the user part and in query
    parameters (``postgresql:///db?host=h&password=...``)."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL SQLAlchemy reads: show none of it
        return "<unreadable database URL>"
    query = {key: ("***" if key.lower() in SECRET_QUERY_PARAMETERS else value) for key, value in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


# SQLSTATEs (or their classes) of a database that cannot serve a request now, whatever the request: connection
# exceptions, a read-only server (a standby after a failover), serialization failures and deadlocks, insufficient
# resources (connections, disk), an administrator's shutdown, a revoked permission.
UNAVAILABLE_SQLSTATES = ("08", "25006", "40", "53", "57", "42501")


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot serve requests now (an answer of 503, retry later),
    rather than a bug in the statement (500). SQLite's errors carry no SQLSTATE: its OperationalError (locked,
    unable to open, disk I/O) is the unavailable kind."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return bool(sqlstate) and sqlstate.startswith(UNAVAILABLE_SQLSTATES)


def _new_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite files get WAL and a busy timeout, and their directory is made). Its errors leave
    out the statement's parameters (``hide_parameters``): they hold page text and client values, and errors get
    logged."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url_driver = "postgresql+psycopg://" + url[len("postgresql://"):]
    else:
        url_driver = url
    connect_args = {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url_driver, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args,
                         hide_parameters=True)


def get_engine(url: str) -> Engine:
    """The process-wide engine for ``url``."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _new_engine(url)
        return engine


def check_database_url(url: str) -> None:
    """Refuse, as a ConfigError, a database URL no retry can mend: one that is not a URL, one whose driver is not
    installed, an SQLite file whose directory cannot be made. A database that is merely down passes (it may come
    back: the service retries it). Connects to nothing."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from service.config import ConfigError

    setting = "DATABASE_URL (or storage.database_url)"
    try:
        _new_engine(url).dispose()
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"{setting} is {display_url(url)}: no database driver for it here ({exc}); this service has "
                          f"drivers for postgresql:// and sqlite:///") from None
    except OSError as exc:
        path = Path(url.split("///", 1)[-1])
        raise ConfigError(f"the SQLite database {path} cannot be made: its directory {path.parent} cannot be created "
                          f"({exc.strerror or exc}); set storage.sqlite_path (PAGESIEVE_STORAGE_SQLITE_PATH) or "
                          f"{setting}") from None


def dispose_engine(url: str) -> None:
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = url
    return cfg


# The PostgreSQL advisory lock a migration holds for its transaction (any fixed number; this is "page").
MIGRATION_LOCK_KEY = 0x70616765


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """For an SQLite file: an exclusive lock on a file beside it, held across processes (nothing otherwise)."""
    path = url.split("///", 1)[1] if url.startswith("sqlite") and "///" in url else ""  # "sqlite://": in memory
    if not path or path == ":memory:":
        yield
        return
    lock_path = Path(path).with_name(Path(path).name + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def migrate(url: str) -> None:
    """Upgrade the database at ``url`` to the latest schema revision.

    Several processes may do this at the same moment (gunicorn's workers each build the app; so do replicas
    starting together): one migrates while the others wait, then find the schema current. PostgreSQL serialises
    them with an advisory lock held for the migration's transaction, an SQLite file with a lock file beside it;
    without, they raced to create the same tables.
    """
    from alembic import command

    cfg = alembic_config(url)
    with _migrate_lock, _sqlite_file_lock(url), get_engine(url).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


@contextmanager
def configured_session() -> Iterator[Session]:
    """A :func:`session_scope` on the configured database, migrated first: what a command-line verb writes with.
    A database that cannot be reached is a :class:`DatabaseUnreachable` naming it (without its password)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from service.config import load_config
    from service.errors import DatabaseUnreachable

    url = load_config().database_url()
    check_database_url(url)
    try:
        migrate(url)
        with session_scope(url) as session:
            yield session
    except (OperationalError, InterfaceError) as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) is not None else exc).strip().splitlines()
        raise DatabaseUnreachable(f"the database at {display_url(url)} is unreachable"
                                  f"{f' ({reason[0][:200]})' if reason else ''}; is it running?") from None
