"""Run the app under gunicorn (the production server; never ``app.run``)."""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import shutil
import tempfile

from service.config import Config, ConfigError
from service.heap import settle_heap

log = logging.getLogger("pagesieve")
MAX_REQUEST_LINE = 8190  # gunicorn's largest bounded value
# Seconds gunicorn gives workers to finish their requests on SIGTERM or SIGHUP: a container's stop grace period must
# be longer (README, Deploying).
GRACEFUL_TIMEOUT = 30
# gunicorn's default access line, then the answer's X-Request-Id (service/app.py) and the time taken in µs
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s %(D)s'
# The last model the gunicorn master verified (at start and at each SIGHUP): workers forked from it inherit it and
# serve it when the model on disk cannot be loaded, rather than serving nothing.
_last_good = None


def is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_anonymous(config: Config) -> Config:
    """Anonymous classify only on a loopback bind with no reverse proxy in front (``service.proxy_hops`` 0), and
    only if the config allows it: behind a proxy on the same host every client's connection comes from loopback."""
    host = str(config.get("service", "host"))
    allowed = bool(config.get("service", "allow_anonymous_localhost")) and is_loopback(host) \
        and not int(config.get("service", "proxy_hops", 0) or 0)
    return config.with_overrides({"service": {"anonymous_classify": allowed}})


def prepare_metrics_dir(config: Config) -> Config:
    """Put prometheus_client in multiprocess mode on a fresh directory shared by all workers.

    Must run before anything imports prometheus_client (it reads the variable
    at import); the workers, forked from this process, inherit it. The
    directory goes to the app through the config (``metrics.multiprocess_dir``)
    and is removed when the master exits.
    """
    directory = tempfile.mkdtemp(prefix="pagesieve-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    atexit.register(_remove_in, os.getpid(), directory)
    return config.with_overrides({"metrics": {"multiprocess_dir": directory}})


def _remove_in(pid: int, directory: str) -> None:
    """Remove the metrics directory at exit, in the master only (workers inherit atexit handlers)."""
    if os.getpid() == pid:
        shutil.rmtree(directory, ignore_errors=True)


def verify_model_on_disk(model_dir) -> None:
    """In the gunicorn master: verify the model on disk and keep it as the workers' fallback if it loads."""
    global _last_good
    from service.model.registry import ModelLoadError, load_verified

    try:
        loaded = load_verified(model_dir)
    except ModelLoadError as exc:
        if _last_good is not None:
            log.error("THE MODEL ON DISK CANNOT BE LOADED (%s): new workers serve %s, the last model verified, "
                      "until it is fixed and the server reloaded", exc, _last_good.version)
        else:
            log.error("the model on disk cannot be loaded (%s) and none was verified before: workers are not ready",
                      exc)
        return
    _last_good = loaded
    log.info("model %s verified in the master: new workers fall back on it", loaded.version)


def gunicorn_settings(config: Config) -> dict:
    """gunicorn's settings for ``config`` (bind, workers, timeouts, logging, the worker hooks)."""
    return {
        "bind": f"{config.get('service', 'host')}:{int(config.get('service', 'port'))}",
        "workers": int(config.get("service", "workers")),
        "timeout": int(config.get("service", "worker_timeout")),
        # the longest request line gunicorn reads (its default, 4094, answered a JSON-sized ?url= of raw page
        # bytes with its own HTML 414)
        "limit_request_line": MAX_REQUEST_LINE,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "post_worker_init": _prepare_worker,
        "child_exit": _child_exit,
    }


def run(config: Config) -> int:
    from gunicorn.app.base import BaseApplication

    from service.app import create_app

    config = prepare_metrics_dir(resolve_anonymous(config))
    host, port = config.get("service", "host"), int(config.get("service", "port"))
    workers = int(config.get("service", "workers"))
    if not 0 <= port <= 65535:
        raise ConfigError(f"service.port is {port}: a port is 0 to 65535")
    if workers < 1:  # gunicorn listened with no worker to answer: every request hung
        raise ConfigError(f"service.workers is {workers}: at least 1 worker is needed")
    logging.basicConfig(level=str(config.get("service", "log_level")).upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if config.get("service", "anonymous_classify"):
        log.warning("anonymous classify is ENABLED: bound to loopback %s; other clients need an API key", host)
    elif config.get("service", "allow_anonymous_localhost") and is_loopback(host):
        log.warning("anonymous classify is OFF although bound to loopback %s: service.proxy_hops is %s, and behind a "
                    "reverse proxy a loopback peer says nothing about the client; classify requires an API key",
                    host, config.get("service", "proxy_hops"))
    else:
        log.info("classify requires an API key (create one: python -m service create-key --role crawler)")

    from service.review import check_spool_dir, load_secret_key
    from service.storage.db import check_database_url

    check_database_url(config.database_url())  # a URL no retry can mend is a config error, not an outage
    # made here, once, before the workers read them: a bad path is one line, not dead workers
    load_secret_key(config)
    check_spool_dir(config)
    model_dir = config.path("model", "dir")
    verify_model_on_disk(model_dir)

    settings = gunicorn_settings(config)
    settings["on_reload"] = lambda arbiter: verify_model_on_disk(model_dir)  # in the master, before the new workers

    class App(BaseApplication):
        def load_config(self):
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self):
            return create_app(config)

    App().run()
    return 0


def _prepare_worker(worker) -> None:
    """Load, verify and warm up the model in each worker before it takes requests (the master's last verified
    model when the one on disk cannot be loaded), then settle the heap."""
    from service.model.registry import ModelLoadError

    app = worker.wsgi
    state = getattr(app, "extensions", {}).get("pagesieve")
    if state is not None:
        ready, detail = state.registry.status()
        if not ready and _last_good is not None:
            try:
                state.registry.serve_fallback(_last_good, detail)
            except ModelLoadError as exc:
                worker.log.error("fallback model %s not loaded either: %s", _last_good.version, exc)
            ready, detail = state.registry.status()
        warmed = state.registry.warm_up_ms
        worker.log.info("model %s", (detail + (f" warmed up in {warmed:.0f} ms" if warmed is not None else ""))
                        if ready else f"NOT loaded: {detail}")
        worker.log.info("heap settled: %d objects frozen out of the garbage collector", settle_heap())


def _child_exit(server, worker) -> None:
    """A worker died or was replaced (reload): stop counting its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
